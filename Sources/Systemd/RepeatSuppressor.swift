import Logging
import Synchronization

/// Collapses floods of identical warnings and errors into one "suppressed N repeats" entry.
///
/// Records at `policy.minimumLevel` or above with the same level, message and `MESSAGE_ID` are
/// counted per window (which starts at the first of them). The first `policy.limit` pass;
/// further ones in the window are dropped and counted. Once the window has passed, the next
/// record logged (of any kind) or `flush()` emits one summary record: same level and fields as
/// the last dropped one, message `suppressed N repeats of: <message>`, field
/// `RDS_SUPPRESSED_REPEATS=N`. Time comes from the injected `now`; nothing here runs a timer.
public final class RepeatSuppressor: Sendable {
    /// Limits of the suppression.
    public struct Policy: Sendable {
        /// Identical records that pass per window before suppression starts.
        public var limit: Int
        /// Length of a counting window.
        public var window: Duration
        /// Records below this level are never suppressed.
        public var minimumLevel: Logger.Level

        /// Defaults: 5 identical warnings or errors per 60 s.
        public init(limit: Int = 5, window: Duration = .seconds(60), minimumLevel: Logger.Level = .warning) {
            self.limit = limit
            self.window = window
            self.minimumLevel = minimumLevel
        }
    }

    private struct Key: Hashable {
        var level: Logger.Level
        var message: String
        var messageID: String?
    }

    private struct Window {
        var start: Duration
        var count: Int
        var suppressed: Int
        var last: LogRecord?
    }

    /// Seconds on a monotonic clock since an arbitrary origin.
    public typealias Now = @Sendable () -> Duration

    private let policy: Policy
    private let now: Now
    private let windows = Mutex<[Key: Window]>([:])

    /// A suppressor with `policy`, reading time from `now` (default: `ContinuousClock`).
    public init(policy: Policy = Policy(), now: Now? = nil) {
        self.policy = policy
        if let now {
            self.now = now
        } else {
            let origin = ContinuousClock.now
            self.now = { ContinuousClock.now - origin }
        }
    }

    /// The records to emit for `record`: summaries of windows that have passed, then `record`
    /// itself unless it is a suppressed repeat.
    public func process(_ record: LogRecord) -> [LogRecord] {
        let t = now()
        return windows.withLock { windows in
            var out = Self.expire(&windows, at: t, window: policy.window)
            guard record.level >= policy.minimumLevel else {
                out.append(record)
                return out
            }
            let key = Key(level: record.level, message: record.message, messageID: record[field: "MESSAGE_ID"])
            var window = windows[key] ?? Window(start: t, count: 0, suppressed: 0, last: nil)
            window.count += 1
            if window.count <= policy.limit {
                out.append(record)
            } else {
                window.suppressed += 1
                window.last = record
            }
            windows[key] = window
            return out
        }
    }

    /// Summaries of every window with suppressed records, whether or not it has passed (at shutdown).
    public func flush() -> [LogRecord] {
        windows.withLock { windows in
            let out = windows.values.sorted { $0.start < $1.start }.compactMap(Self.summary)
            windows.removeAll()
            return out
        }
    }

    private static func expire(_ windows: inout [Key: Window], at t: Duration, window: Duration) -> [LogRecord] {
        let expired = windows.filter { t - $0.value.start >= window }
        guard !expired.isEmpty else { return [] }
        for key in expired.keys { windows[key] = nil }
        return expired.values.sorted { $0.start < $1.start }.compactMap(summary)
    }

    private static func summary(of window: Window) -> LogRecord? {
        guard window.suppressed > 0, var record = window.last else { return nil }
        record.message = "suppressed \(window.suppressed) repeats of: \(record.message)"
        record.fields.removeAll { $0.name == "RDS_SUPPRESSED_REPEATS" }
        record.fields.append(.init(name: "RDS_SUPPRESSED_REPEATS", value: "\(window.suppressed)"))
        record.fields.sort { $0.name < $1.name }
        return record
    }
}
