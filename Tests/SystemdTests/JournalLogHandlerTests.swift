import Logging
import RDSClient
import Testing

@testable import Systemd

@Suite struct JournalLogHandlerTests {
    private func logger(_ sink: RecordingJournalSink, suppressor: RepeatSuppressor? = nil) -> Logger {
        var logger = Logger(label: "test") { JournalLogHandler(label: $0, sink: sink, suppressor: suppressor) }
        logger.logLevel = .trace
        return logger
    }

    @Test func entryCarriesMessagePriorityIdentifierCodeLocationAndFields() throws {
        let sink = RecordingJournalSink()
        let line: UInt = #line + 1
        logger(sink).warning("backup failed", metadata: ["MESSAGE_ID": "c8ba84c836b94c11b97f4c47bf27d6a8", "RDS_INSTANCE_ID": "abc123in03", "RDS_ERROR_CODE": "DBS.201205"])
        let entry = try #require(sink.entries.first)
        #expect(entry["MESSAGE"] == "backup failed")
        #expect(entry["PRIORITY"] == "4")
        #expect(entry["SYSLOG_IDENTIFIER"] == "rds-backupd")
        #expect(entry["CODE_FILE"]?.hasSuffix("JournalLogHandlerTests.swift") == true)
        #expect(entry["CODE_LINE"] == String(line))
        #expect(entry["CODE_FUNC"] == "entryCarriesMessagePriorityIdentifierCodeLocationAndFields()")
        #expect(entry["MESSAGE_ID"] == "c8ba84c836b94c11b97f4c47bf27d6a8")
        #expect(entry["RDS_INSTANCE_ID"] == "abc123in03")
        #expect(entry["RDS_ERROR_CODE"] == "DBS.201205")
    }

    @Test func levelsMapToSyslogPriorities() {
        let sink = RecordingJournalSink()
        let log = logger(sink)
        log.trace("t"); log.debug("d"); log.info("i"); log.notice("n")
        log.warning("w"); log.error("e"); log.critical("c")
        #expect(sink.entries.map { $0["PRIORITY"] } == ["7", "7", "6", "5", "4", "3", "2"])
    }

    @Test func handlerAndEventMetadataMergeWithEventWinning() throws {
        let sink = RecordingJournalSink()
        var log = logger(sink)
        log[metadataKey: "RDS_ENTRY"] = "orders"
        log[metadataKey: "RDS_SLOT"] = "2026-11-29T02:00:00Z"
        log.info("slot started", metadata: ["RDS_SLOT": "2026-11-30T02:00:00Z"])
        let entry = try #require(sink.entries.first)
        #expect(entry["RDS_ENTRY"] == "orders")
        #expect(entry["RDS_SLOT"] == "2026-11-30T02:00:00Z")
    }

    @Test func secretInMetadataIsSentRedacted() throws {
        let sink = RecordingJournalSink()
        logger(sink).error("auth failed", metadata: [
            "password": .stringConvertible(Secret("hunter2-secret")),
            "token": .stringConvertible(RedactedStandIn(value: "tok-123")),
        ])
        let entry = try #require(sink.entries.first)
        #expect(entry["PASSWORD"] == "<redacted>")
        #expect(entry["TOKEN"] == "<redacted>")
        #expect(!entry.values.contains { $0.contains("hunter2") || $0.contains("tok-123") })
    }

    @Test func refusedEntryIsPrintedToStderrInstead() {
        let collector = TextCollector()
        let log = Logger(label: "test") {
            JournalLogHandler(label: $0, sink: RecordingJournalSink(failing: true), suppressor: nil, fallback: collector.write)
        }
        log.error("state database locked", metadata: ["RDS_ENTRY": "orders"])
        #expect(collector.lines.count == 1)
        #expect(collector.lines.first?.contains("error state database locked entry=orders journal_error=") == true)
    }
}
