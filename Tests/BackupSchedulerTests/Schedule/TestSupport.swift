import Foundation
import Testing

@testable import BackupScheduler

/// Shared helpers for the schedule tests.
enum T {
    static func date(_ text: String) -> Date {
        guard let date = RFC3339.parse(text) else { fatalError("bad test date \(text)") }
        return date
    }

    static func zone(_ identifier: String) -> TimeZone {
        guard let zone = TimeZone(identifier: identifier) else { fatalError("no zone \(identifier)") }
        return zone
    }

    static func cron(_ text: String) -> CronExpression {
        do { return try CronExpression(text) } catch { fatalError("bad test cron \(text): \(error)") }
    }

    /// The next `count` slots after `from`, as UTC RFC 3339 strings.
    static func slots(_ cron: String, _ zone: String, after from: String, count: Int) -> [String] {
        let expression = Self.cron(cron)
        var cursor = date(from)
        var result: [String] = []
        for _ in 0..<count {
            guard let next = expression.next(after: cursor, in: Self.zone(zone)) else { break }
            result.append(RFC3339.formatUTC(next))
            cursor = next
        }
        return result
    }
}

/// A small deterministic random generator (SplitMix64) so property tests repeat exactly.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
