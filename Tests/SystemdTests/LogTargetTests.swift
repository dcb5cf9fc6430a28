import Testing

@testable import Systemd

@Suite struct LogTargetTests {
    private let stderrID: (device: UInt64, inode: UInt64) = (64769, 123456)

    @Test func autoPicksJournalWhenJournalStreamIsStderr() {
        #expect(LogTarget.resolve(.auto, environment: ["JOURNAL_STREAM": "64769:123456"], stderrIdentity: stderrID) == .journal)
    }

    @Test func autoPicksStderrWhenJournalStreamIsAnotherFileOrMissing() {
        #expect(LogTarget.resolve(.auto, environment: ["JOURNAL_STREAM": "64769:999"], stderrIdentity: stderrID) == .stderr)
        #expect(LogTarget.resolve(.auto, environment: ["JOURNAL_STREAM": "garbage"], stderrIdentity: stderrID) == .stderr)
        #expect(LogTarget.resolve(.auto, environment: [:], stderrIdentity: stderrID) == .stderr)
        #expect(LogTarget.resolve(.auto, environment: ["JOURNAL_STREAM": "64769:123456"], stderrIdentity: nil) == .stderr)
    }

    @Test func explicitChoiceWins() {
        #expect(LogTarget.resolve(.journal, environment: [:], stderrIdentity: nil) == .journal)
        #expect(LogTarget.resolve(.stderr, environment: ["JOURNAL_STREAM": "64769:123456"], stderrIdentity: stderrID) == .stderr)
    }

    @Test func stderrIdentityMatchesWhatSystemdWouldPutInJournalStream() throws {
        let id = try #require(LogTarget.stderrIdentity())
        let env = ["JOURNAL_STREAM": "\(id.device):\(id.inode)"]
        #expect(LogTarget.resolve(.auto, environment: env) == .journal)
    }

    @Test func optionParsesTheCommandLineSpellings() {
        #expect(LogTarget.Option(rawValue: "auto") == .auto)
        #expect(LogTarget.Option(rawValue: "journal") == .journal)
        #expect(LogTarget.Option(rawValue: "stderr") == .stderr)
        #expect(LogTarget.Option(rawValue: "syslog") == nil)
    }
}
