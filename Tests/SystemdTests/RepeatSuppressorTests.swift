import Logging
import Testing

@testable import Systemd

@Suite struct RepeatSuppressorTests {
    private func record(_ message: String = "backup failed", level: Logger.Level = .error, id: String? = "c8ba84c836b94c11b97f4c47bf27d6a8") -> LogRecord {
        LogRecord(level: level, message: message, fields: id.map { [.init(name: "MESSAGE_ID", value: $0)] } ?? [],
                  file: "f", function: "fn", line: 1)
    }

    @Test func repeatsBeyondLimitAreCollapsedIntoOneSummaryWhenWindowPasses() throws {
        let clock = ManualClock()
        let sink = RecordingJournalSink()
        let suppressor = RepeatSuppressor(policy: .init(limit: 3, window: .seconds(60)), now: clock.now)
        let log = Logger(label: "t") { JournalLogHandler(label: $0, sink: sink, suppressor: suppressor) }
        for _ in 0..<10 {
            log.error("backup failed", metadata: ["MESSAGE_ID": "c8ba84c836b94c11b97f4c47bf27d6a8", "RDS_ENTRY": "orders"])
            clock.advance(by: .seconds(1))
        }
        #expect(sink.entries.count == 3)
        clock.advance(by: .seconds(60))
        log.info("next slot computed")
        let entries = sink.entries
        #expect(entries.count == 5)
        let summary = entries[3]
        #expect(summary["MESSAGE"] == "suppressed 7 repeats of: backup failed")
        #expect(summary["RDS_SUPPRESSED_REPEATS"] == "7")
        #expect(summary["MESSAGE_ID"] == "c8ba84c836b94c11b97f4c47bf27d6a8")
        #expect(summary["RDS_ENTRY"] == "orders")
        #expect(summary["PRIORITY"] == "3")
        #expect(entries[4]["MESSAGE"] == "next slot computed")
    }

    @Test func newWindowAfterExpiryPassesTheLimitAgain() {
        let clock = ManualClock()
        let s = RepeatSuppressor(policy: .init(limit: 2, window: .seconds(10)), now: clock.now)
        #expect(s.process(record()).count == 1)
        #expect(s.process(record()).count == 1)
        #expect(s.process(record()).isEmpty)
        clock.advance(by: .seconds(10))
        let out = s.process(record())
        #expect(out.map(\.message) == ["suppressed 1 repeats of: backup failed", "backup failed"])
    }

    @Test func differentMessageIDsOrMessagesAreCountedSeparately() {
        let s = RepeatSuppressor(policy: .init(limit: 1, window: .seconds(60)), now: ManualClock().now)
        #expect(s.process(record(id: "a")).count == 1)
        #expect(s.process(record(id: "b")).count == 1)
        #expect(s.process(record("other", id: "a")).count == 1)
        #expect(s.process(record(id: "a")).isEmpty)
    }

    @Test func recordsBelowWarningAreNeverSuppressed() {
        let s = RepeatSuppressor(policy: .init(limit: 1, window: .seconds(60)), now: ManualClock().now)
        for _ in 0..<5 { #expect(s.process(record("slot started", level: .info)).count == 1) }
    }

    @Test func flushEmitsPendingSummariesBeforeTheWindowPasses() {
        let s = RepeatSuppressor(policy: .init(limit: 1, window: .seconds(60)), now: ManualClock().now)
        _ = s.process(record()); _ = s.process(record()); _ = s.process(record())
        #expect(s.flush().map(\.message) == ["suppressed 2 repeats of: backup failed"])
        #expect(s.flush().isEmpty)
    }
}
