import Foundation
import RDSTestSupport
import Testing

/// The sandbox drop-in for offsite copies (`contrib/systemd/rds-backupd-copies.conf`), as
/// docs/offsite-copies.md prints it, passes `systemd-analyze verify` on top of the unit.
@Suite struct CopyDropInTests {
    static let dropIn = BinaryRunner.packageRoot.appendingPathComponent("contrib/systemd/rds-backupd-copies.conf")
    static let guide = BinaryRunner.packageRoot.appendingPathComponent("docs/offsite-copies.md")

    /// `systemd-analyze verify` of the unit (commands on /bin/true) with `dropIn` in its `.d` directory.
    static func verify(dropIn text: String) throws -> ProcessResult {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dropin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("rds-backupd.service.d"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let unit = try String(contentsOf: UnitFileTests.unitURL, encoding: .utf8).replacingOccurrences(of: "/usr/bin/rds-backupd", with: "/bin/true")
        try unit.write(to: dir.appendingPathComponent("rds-backupd.service"), atomically: true, encoding: .utf8)
        try text.write(to: dir.appendingPathComponent("rds-backupd.service.d/copies.conf"), atomically: true, encoding: .utf8)
        return try ProcessRunner.run(["systemd-analyze", "verify", "--man=no", dir.appendingPathComponent("rds-backupd.service").path])
    }

    @Test func theDocumentedDropInIsTheFileAndVerifiesCleanWhileAMisspeltOneDoesNot() throws {
        let text = try String(contentsOf: Self.dropIn, encoding: .utf8)
        let directives = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: "\n")
        let guide = try String(contentsOf: Self.guide, encoding: .utf8)
        #expect(guide.contains(directives), "docs/offsite-copies.md shows the drop-in's directives as they are")
        #expect(directives.contains("ReadWritePaths=/srv/rds-copies"))
        guard ProcessRunner.which("systemd-analyze") != nil else {
            try Test.cancel("systemd-analyze is not installed (apt-get install systemd); drop-in check skipped")
        }
        let clean = try Self.verify(dropIn: text)
        #expect(clean.status == 0 && clean.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "verify said:\n\(clean.output)")
        // The drop-in is really read: a misspelt directive in it is reported.
        let broken = try Self.verify(dropIn: text.replacingOccurrences(of: "ReadWritePaths=", with: "ReadWritePath="))
        #expect(broken.output.contains("Unknown key 'ReadWritePath'"), "\(broken.output)")
    }
}
