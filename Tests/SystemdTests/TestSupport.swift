import Foundation
import Logging
import Synchronization

@testable import Systemd

/// A journal sink that keeps what it was given.
final class RecordingJournalSink: JournalSink {
    private let stored = Mutex<[[String: String]]>([])
    private let failing: Bool

    init(failing: Bool = false) { self.failing = failing }

    var entries: [[String: String]] { stored.withLock { $0 } }

    func send(_ fields: [(name: String, value: String)]) throws(JournalSendError) {
        if failing { throw JournalSendError(errno: ECONNREFUSED) }
        stored.withLock { $0.append(Dictionary(fields.map { ($0.name, $0.value) }, uniquingKeysWith: { _, b in b })) }
    }
}

/// Collects written text.
final class TextCollector: Sendable {
    private let text = Mutex<[String]>([])
    var lines: [String] { text.withLock { $0.joined().split(separator: "\n").map(String.init) } }
    var write: @Sendable (String) -> Void { { s in self.text.withLock { $0.append(s) } } }
}

/// A monotonic clock the test moves by hand.
final class ManualClock: Sendable {
    private let current = Mutex<Duration>(.zero)
    func advance(by d: Duration) { current.withLock { $0 += d } }
    var now: RepeatSuppressor.Now { { self.current.withLock { $0 } } }
}

/// Stand-in for a type whose description hides its value, like `RDSClient.Secret`.
struct RedactedStandIn: CustomStringConvertible, Sendable {
    let value: String
    var description: String { "<redacted>" }
}
