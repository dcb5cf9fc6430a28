import BackupScheduler
import Foundation
import Logging
import RDSTestSupport
import Testing

@testable import Systemd

/// Entries written through `JournalLogHandler` into a real systemd-journald, read back with
/// `journalctl -o json`. `scripts/start-journald.sh` starts a journald where none runs.
@Suite struct JournalTests {
    /// Makes sure a journald answers; cancels (skips) the test when none can be had outside CI,
    /// fails it in CI (`CI=true`), where `.ci/run` must have started one.
    static func requireJournald() throws {
        if journaldAnswers() { return }
        if ProcessRunner.isRoot {
            // Root can start one the same way .ci/run does.
            let script = BinaryRunner.packageRoot.appendingPathComponent("scripts/start-journald.sh").path
            _ = try? ProcessRunner.run(["sh", script])
            if journaldAnswers() { return }
        }
        let why = "no systemd-journald answers on /run/systemd/journal/socket; run scripts/start-journald.sh as root"
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            Issue.record("\(why) (CI=true: .ci/run must start journald before the tests)")
            throw JournaldMissing()
        }
        try Test.cancel("\(why) (journal round-trip test skipped)")
    }

    struct JournaldMissing: Error {}

    static func journaldAnswers() -> Bool {
        guard FileManager.default.fileExists(atPath: "/run/systemd/journal/socket"),
            ProcessRunner.which("journalctl") != nil, ProcessRunner.which("systemd-cat") != nil
        else { return false }
        return (try? ProcessRunner.run(["systemd-cat", "-t", "rds-backupd-probe", "true"]).status) == 0
    }

    /// The entries carrying `RDS_TEST_RUN=run`, once journald has processed everything sent so far.
    static func entries(run: String, expecting count: Int) throws -> [[String: JournalValue]] {
        // `journalctl --sync` returns after journald has written every message queued before the
        // call (root only). Without it (non-root), poll a bounded number of times.
        let synced = (try? ProcessRunner.run(["journalctl", "--sync"]).status) == 0
        var found: [[String: JournalValue]] = []
        for _ in 0..<(synced ? 1 : 100) {
            let result = try ProcessRunner.run(["journalctl", "--no-pager", "-o", "json", "RDS_TEST_RUN=\(run)"])
            found = result.stdout.split(separator: "\n").compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            }.map { $0.mapValues(JournalValue.init) }
            if found.count >= count { break }
            usleep(50_000)
        }
        return found
    }

    /// A journalctl JSON value: a string, or an array of byte values for non-printable data.
    struct JournalValue: Equatable, CustomStringConvertible {
        var bytes: [UInt8]
        init(_ any: Any) {
            if let s = any as? String {
                bytes = Array(s.utf8)
            } else if let numbers = any as? [Any] {
                bytes = numbers.compactMap { ($0 as? NSNumber)?.uint8Value }
            } else {
                bytes = []
            }
        }
        var string: String { String(decoding: bytes, as: UTF8.self) }
        var description: String { string }
    }

    private func logger(run: String) -> Logger {
        var logger = Logger(label: "rds-backupd.test") { JournalLogHandler(label: $0, suppressor: nil) }
        logger.logLevel = .trace
        logger[metadataKey: "RDS_TEST_RUN"] = .string(run)
        return logger
    }

    @Test func backupFailureRoundTripsThroughJournald() throws {
        try Self.requireJournald()
        let run = UUID().uuidString.lowercased()
        var metadata = BackupEvent.backupFailed.metadata
        metadata["RDS_INSTANCE_ID"] = "d8e6ca5a624745bcb546a227aa3ae1cfin01"
        metadata["RDS_BACKUP_NAME"] = "orders-20261129-0200"
        metadata["RDS_SLOT"] = "2026-11-29T01:00:00Z"
        metadata["RDS_ATTEMPT"] = "3"
        metadata["RDS_ERROR_CODE"] = "DBS.201205"
        metadata["RDS_REQUEST_ID"] = "7f0c3a3e-5d2b-4e0f-9c43-0a1b2c3d4e5f"
        metadata["RDS_ENTRY"] = "orders"
        metadata["retry-after"] = "30s"
        let line: UInt = #line + 1
        logger(run: run).warning("backup failed", metadata: metadata)

        let entries = try Self.entries(run: run, expecting: 1)
        try #require(entries.count == 1, "expected 1 entry for RDS_TEST_RUN=\(run), got \(entries.count)")
        let entry = entries[0]
        #expect(entry["MESSAGE"]?.string == "backup failed")
        #expect(entry["PRIORITY"]?.string == "4")
        #expect(entry["SYSLOG_IDENTIFIER"]?.string == "rds-backupd")
        #expect(entry["MESSAGE_ID"]?.string == BackupEvent.backupFailed.messageID)
        #expect(entry["RDS_INSTANCE_ID"]?.string == "d8e6ca5a624745bcb546a227aa3ae1cfin01")
        #expect(entry["RDS_BACKUP_NAME"]?.string == "orders-20261129-0200")
        #expect(entry["RDS_SLOT"]?.string == "2026-11-29T01:00:00Z")
        #expect(entry["RDS_ATTEMPT"]?.string == "3")
        #expect(entry["RDS_ERROR_CODE"]?.string == "DBS.201205")
        #expect(entry["RDS_REQUEST_ID"]?.string == "7f0c3a3e-5d2b-4e0f-9c43-0a1b2c3d4e5f")
        #expect(entry["RDS_ENTRY"]?.string == "orders")
        #expect(entry["RETRY_AFTER"]?.string == "30s")
        #expect(entry["CODE_FILE"]?.string.hasSuffix("JournalTests.swift") == true)
        #expect(entry["CODE_LINE"]?.string == String(line))
        #expect(entry["CODE_FUNC"]?.string == "backupFailureRoundTripsThroughJournald()")
        #expect(entry["_TRANSPORT"]?.string == "journal")
    }

    @Test func multiLineAndBinaryValuesArriveByteForByte() throws {
        try Self.requireJournald()
        let run = UUID().uuidString.lowercased()
        let multiLine = "DBS.200047: instance busy\n  retry later\n"
        let binary = "a\u{1}b\u{7f}c\tä"
        logger(run: run).error("first line\nsecond line", metadata: ["RDS_DETAIL": .string(multiLine), "RDS_RAW": .string(binary)])

        let entries = try Self.entries(run: run, expecting: 1)
        try #require(entries.count == 1)
        #expect(entries[0]["MESSAGE"]?.string == "first line\nsecond line")
        #expect(entries[0]["RDS_DETAIL"]?.bytes == Array(multiLine.utf8))
        #expect(entries[0]["RDS_RAW"]?.bytes == Array(binary.utf8))
        #expect(entries[0]["PRIORITY"]?.string == "3")
    }

    @Test func everyLevelIsStoredWithItsSyslogPriority() throws {
        try Self.requireJournald()
        let run = UUID().uuidString.lowercased()
        let log = logger(run: run)
        for level in Logger.Level.allCases { log.log(level: level, "level \(level.rawValue)") }
        let entries = try Self.entries(run: run, expecting: Logger.Level.allCases.count)
        let byMessage = Dictionary(entries.map { ($0["MESSAGE"]?.string ?? "", $0["PRIORITY"]?.string ?? "") }) { a, _ in a }
        #expect(byMessage == [
            "level trace": "7", "level debug": "7", "level info": "6", "level notice": "5",
            "level warning": "4", "level error": "3", "level critical": "2",
        ])
    }
}
