import Foundation
import RDSTestSupport
import Testing

@testable import BackupScheduler

/// The keys the parser accepts and the documented example cannot drift apart.
struct ScheduleKeysTests {
    static let example = BinaryRunner.packageRoot.appendingPathComponent("config/schedule.example.yaml")

    @Test func theExampleShowsEveryKeyOfEverySection() throws {
        let text = try String(contentsOf: Self.example, encoding: .utf8)
        var missing: [String] = []
        for (section, keys) in ScheduleKeys.sections {
            for key in keys {
                // As a key: at a line's start (after indentation, a list dash or a comment mark)
                // or inside a flow mapping.
                let pattern = "(^|[\\s{,#-])" + NSRegularExpression.escapedPattern(for: key) + ":"
                if text.range(of: pattern, options: .regularExpression) == nil { missing.append("\(section).\(key)") }
            }
        }
        #expect(missing.isEmpty, "config/schedule.example.yaml does not show \(missing)")
    }

}
