import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Where log lines go: the journal (native entries) or stderr (readable lines).
public enum LogTarget: String, Sendable, CaseIterable {
    case journal
    case stderr

    /// The `--log-target` choice: `auto` picks the journal when stderr is connected to it.
    public enum Option: String, Sendable, CaseIterable {
        case auto
        case journal
        case stderr
    }

    /// Resolves `option`; `auto` means `.journal` exactly when `JOURNAL_STREAM` names stderr's
    /// `device:inode` (systemd.exec(5): stderr goes to the journal, so native entries are better).
    public static func resolve(
        _ option: Option,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        stderrIdentity: (device: UInt64, inode: UInt64)? = LogTarget.stderrIdentity()
    ) -> LogTarget {
        switch option {
        case .journal: return .journal
        case .stderr: return .stderr
        case .auto:
            guard let stream = environment["JOURNAL_STREAM"], let stderrIdentity else { return .stderr }
            let parts = stream.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else {
                return .stderr
            }
            return device == stderrIdentity.device && inode == stderrIdentity.inode ? .journal : .stderr
        }
    }

    /// `st_dev` and `st_ino` of file descriptor 2, as `JOURNAL_STREAM` spells them; nil if closed.
    public static func stderrIdentity() -> (device: UInt64, inode: UInt64)? {
        var st = stat()
        guard fstat(2, &st) == 0 else { return nil }
        return (UInt64(st.st_dev), UInt64(st.st_ino))
    }

    /// A `LoggingSystem.bootstrap` factory for this target; all its handlers share one
    /// `RepeatSuppressor`, so repeats are counted across loggers.
    public func makeFactory(
        level: Logger.Level = .info,
        suppression: RepeatSuppressor.Policy = .init()
    ) -> @Sendable (String) -> any LogHandler {
        let suppressor = RepeatSuppressor(policy: suppression)
        switch self {
        case .journal:
            return { label in
                var handler = JournalLogHandler(label: label, suppressor: suppressor)
                handler.logLevel = level
                return handler
            }
        case .stderr:
            return { label in
                var handler = StderrLogHandler(label: label, suppressor: suppressor)
                handler.logLevel = level
                return handler
            }
        }
    }
}
