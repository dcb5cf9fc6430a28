import CSystemd
import Foundation

/// The service watchdog systemd armed for this process (`WatchdogSec=`), if any.
///
/// The ping itself is `SystemdNotifier.watchdog()`, sent by the scheduler's own loop every
/// `pingInterval`, so a stuck scheduler stops pinging and systemd restarts the service. Nothing
/// here owns a timer: a timer pinging on its own would keep a hung service alive.
public struct WatchdogConfiguration: Sendable, Equatable {
    /// How long systemd waits for a ping before it kills the service (`WATCHDOG_USEC`).
    public let timeout: Duration

    /// Ping twice per timeout, as sd_watchdog_enabled(3) recommends.
    public var pingInterval: Duration { timeout / 2 }

    /// A watchdog with the given timeout.
    public init(timeout: Duration) { self.timeout = timeout }

    /// The watchdog of this process, read by libsystemd's `sd_watchdog_enabled`; nil when disabled.
    public static func current() -> WatchdogConfiguration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return WatchdogConfiguration(timeout: .microseconds(Int64(clamping: usec)))
    }

    /// The watchdog described by an injected environment, with sd_watchdog_enabled's rules:
    /// `WATCHDOG_USEC` a positive integer, and `WATCHDOG_PID`, when set, equal to `pid`.
    public static func from(environment: [String: String], pid: Int32 = getpid()) -> WatchdogConfiguration? {
        guard let text = environment["WATCHDOG_USEC"], let usec = UInt64(text), usec > 0 else { return nil }
        if let pidText = environment["WATCHDOG_PID"] {
            guard let watchdogPID = Int32(pidText), watchdogPID == pid else { return nil }
        }
        return WatchdogConfiguration(timeout: .microseconds(Int64(clamping: usec)))
    }
}
