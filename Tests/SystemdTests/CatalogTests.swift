import BackupScheduler
import Foundation
import RDSTestSupport
import Testing

/// `systemd/rds-backupd.catalog` against the `BackupEvent` ids.
@Suite struct CatalogTests {
    struct Entry {
        var id: String
        var headers: [String: String]
        var body: String
    }

    static let catalogURL = BinaryRunner.packageRoot.appendingPathComponent("systemd/rds-backupd.catalog")

    /// Parses the journald catalog format: `-- ID` starts an entry, `Key: value` headers until
    /// the first blank line, then the text. `#` lines outside entries are comments.
    static func parse(_ text: String) -> [Entry] {
        var entries: [Entry] = []
        var current: Entry?
        var inHeaders = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("-- ") {
                if let current { entries.append(current) }
                current = Entry(id: String(line.dropFirst(3)), headers: [:], body: "")
                inHeaders = true
            } else if current == nil {
                continue
            } else if inHeaders {
                if line.isEmpty {
                    inHeaders = false
                } else if let colon = line.firstIndex(of: ":") {
                    current?.headers[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
            } else {
                current?.body += line + "\n"
            }
        }
        if let current { entries.append(current) }
        return entries
    }

    @Test func everyEventHasExactlyOneCatalogEntryAndViceVersa() throws {
        let entries = Self.parse(try String(contentsOf: Self.catalogURL, encoding: .utf8))
        let ids = entries.map(\.id)
        #expect(Set(ids).count == ids.count, "duplicate catalog ids: \(ids)")
        #expect(Set(ids) == Set(BackupEvent.allCases.map(\.messageID)))
        #expect(entries.count == BackupEvent.allCases.count)
    }

    @Test func catalogEntriesCarryTitleDefinerSupportAndText() throws {
        let entries = Self.parse(try String(contentsOf: Self.catalogURL, encoding: .utf8))
        for event in BackupEvent.allCases {
            let entry = try #require(entries.first { $0.id == event.messageID }, "no entry for \(event)")
            #expect(entry.headers["Subject"] == event.title, "\(event)")
            #expect(entry.headers["Defined-By"] == "rds-backupd", "\(event)")
            #expect(entry.headers["Support"]?.isEmpty == false, "\(event)")
            #expect(entry.body.trimmingCharacters(in: .whitespacesAndNewlines).count > 40, "\(event) has no explanation")
        }
    }

    @Test func messageIDsAre32LowercaseHexAndDistinct() {
        let ids = BackupEvent.allCases.map(\.messageID)
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(id.count == 32 && id.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }, "\(id)")
        }
    }

    @Test func journalctlCompilesTheCatalogAndListsEveryEvent() throws {
        guard ProcessRunner.which("journalctl") != nil else {
            try Test.cancel("journalctl is not installed (apt-get install systemd); catalog compile check skipped")
        }
        // A throw-away root: --update-catalog reads <root>/usr/lib/systemd/catalog and writes
        // <root>/var/lib/systemd/catalog/database, the host's catalog stays untouched.
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let dir = root.appendingPathComponent("usr/lib/systemd/catalog")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.catalogURL, to: dir.appendingPathComponent("rds-backupd.catalog"))

        let update = try ProcessRunner.run(["journalctl", "--root=\(root.path)", "--update-catalog"])
        #expect(update.status == 0, "\(update.output)")
        #expect(!update.stderr.contains("rds-backupd.catalog"), "journalctl complained: \(update.stderr)")

        let list = try ProcessRunner.run(["journalctl", "--root=\(root.path)", "--list-catalog"])
        #expect(list.status == 0, "\(list.output)")
        let listed = Set(list.stdout.split(separator: "\n").map(String.init))
        let expected = Set(BackupEvent.allCases.map { "\($0.messageID) rds-backupd: \($0.title)" })
        #expect(listed == expected)
    }
}
