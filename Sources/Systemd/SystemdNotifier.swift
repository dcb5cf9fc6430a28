import CSystemd
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Sends service state changes to the service manager (`sd_notify(3)` protocol).
///
/// Without `NOTIFY_SOCKET` every call is a no-op, so the same code runs under systemd and in a
/// terminal. It writes the `sd_notify` datagram itself, non-blocking (`MSG_DONTWAIT`): libsystemd's
/// `sd_pid_notify` blocks while the socket's queue is full, and a service manager that stops
/// reading must not stall the scheduler. A message that cannot be queued is dropped and reported
/// (thrown, and logged once).
public struct SystemdNotifier: Sendable {
    /// Where the messages go.
    enum Route: Sendable, Equatable {
        case none
        case socket(String)
    }

    let route: Route
    private let monotonicMicroseconds: @Sendable () -> UInt64
    private let failures: FailureLog?

    /// Notifier for this process: `NOTIFY_SOCKET` from the real environment; the first failed
    /// send is logged to `logger`.
    public init(logger: Logger? = nil) {
        self.init(environment: ProcessInfo.processInfo.environment, logger: logger)
    }

    /// Notifier for an injected environment (only `NOTIFY_SOCKET` is read) and monotonic clock.
    public init(
        environment: [String: String],
        monotonicMicroseconds: @escaping @Sendable () -> UInt64 = SystemdNotifier.monotonicNow,
        logger: Logger? = nil
    ) {
        if let socket = environment["NOTIFY_SOCKET"], !socket.isEmpty {
            self.route = .socket(socket)
        } else {
            self.route = .none
        }
        self.monotonicMicroseconds = monotonicMicroseconds
        self.failures = logger.map(FailureLog.init)
    }

    /// `CLOCK_MONOTONIC` in microseconds, the clock systemd compares `MONOTONIC_USEC=` with.
    @Sendable public static func monotonicNow() -> UInt64 { UInt64(csystemd_monotonic_usec()) }

    /// True when a service manager listens (`NOTIFY_SOCKET` is set).
    public var isEnabled: Bool { route != .none }

    /// `READY=1`: start-up finished (schedule loaded, state opened), optionally with `STATUS=`.
    public func ready(status: String? = nil) throws(SystemdNotifyError) {
        try send(["READY=1"] + Self.statusLine(status))
    }

    /// `STATUS=`: one line a person reads in `systemctl status`.
    public func status(_ text: String) throws(SystemdNotifyError) {
        try send(Self.statusLine(text))
    }

    /// `WATCHDOG=1`: call from the scheduler's own loop, at `WatchdogConfiguration.pingInterval`.
    public func watchdog() throws(SystemdNotifyError) {
        try send(["WATCHDOG=1"])
    }

    /// `RELOADING=1` with `MONOTONIC_USEC=`: a reload began; send `ready()` when it is done.
    public func reloading(status: String? = nil) throws(SystemdNotifyError) {
        try send(["RELOADING=1", "MONOTONIC_USEC=\(monotonicMicroseconds())"] + Self.statusLine(status))
    }

    /// `STOPPING=1`: shutdown began (SIGTERM); in-flight work is finishing.
    public func stopping(status: String? = nil) throws(SystemdNotifyError) {
        try send(["STOPPING=1"] + Self.statusLine(status))
    }

    /// `EXTEND_TIMEOUT_USEC=`: ask for more time for the current start, reload or stop step.
    public func extendTimeout(by duration: Duration) throws(SystemdNotifyError) {
        try send(["EXTEND_TIMEOUT_USEC=\(Self.microseconds(duration))"])
    }

    /// `ERRNO=`: the errno-style reason of a failure, shown by `systemctl status`.
    public func errno(_ code: Int32, status: String? = nil) throws(SystemdNotifyError) {
        try send(Self.statusLine(status) + ["ERRNO=\(code)"])
    }

    /// Sends `assignments` (each `NAME=value`, one line) as one notification message.
    public func send(_ assignments: [String]) throws(SystemdNotifyError) {
        guard !assignments.isEmpty else { return }
        let message = assignments.joined(separator: "\n")
        switch route {
        case .none:
            return
        case .socket(let address):
            do {
                try NotifyDatagram.send(message, to: address)
            } catch {
                failures?.record(error)
                throw error
            }
        }
    }

    /// `STATUS=` lines must stay one line, or the text could smuggle in another assignment.
    static func statusLine(_ text: String?) -> [String] {
        guard let text else { return [] }
        let oneLine = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            .joined(separator: " ")
        return ["STATUS=\(oneLine)"]
    }

    static func microseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) * 1_000_000 + UInt64(attoseconds / 1_000_000_000_000)
    }
}

/// A notification that could not be delivered to the service manager.
public struct SystemdNotifyError: Error, CustomStringConvertible, Equatable {
    /// The `NOTIFY_SOCKET` address it was sent to.
    public let socket: String
    /// The errno of the failed call.
    public let errno: Int32

    public var description: String {
        "cannot notify the service manager at \(socket): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// Logs the first failed notification only: a notify socket that stays full would otherwise
/// log a line for every status update.
final class FailureLog: Sendable {
    private let logger: Logger
    private let logged = Mutex(false)

    init(logger: Logger) { self.logger = logger }

    func record(_ error: SystemdNotifyError) {
        let first = logged.withLock { logged in
            defer { logged = true }
            return !logged
        }
        guard first else { return }
        logger.warning(
            "\(error); the notification was dropped rather than wait for the service manager, and later failed notifications are not logged")
    }
}

/// The datagram write of `sd_notify(3)`, non-blocking.
enum NotifyDatagram {
    static func send(_ message: String, to address: String) throws(SystemdNotifyError) {
        // "@name" is an abstract socket, "/path" a file system one (sd_notify(3)).
        guard address.hasPrefix("/") || address.hasPrefix("@") else {
            throw SystemdNotifyError(socket: address, errno: EAFNOSUPPORT)
        }
        var pathBytes = Array(address.utf8)
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard pathBytes.count < capacity else { throw SystemdNotifyError(socket: address, errno: ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        // Abstract addresses are exactly as long as given; paths carry their terminating NUL.
        let length = MemoryLayout<sa_family_t>.size + pathBytes.count + (pathBytes[0] == 0 ? 0 : 1)

        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemdNotifyError(socket: address, errno: Glibc.errno) }
        defer { close(fd) }
        let bytes = Array(message.utf8)
        let sent = bytes.withUnsafeBytes { buffer in
            withUnsafePointer(to: &addr) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    // MSG_DONTWAIT: a full queue (nobody reading) fails with EAGAIN instead of blocking.
                    sendto(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT), sa, socklen_t(length))
                }
            }
        }
        guard sent == bytes.count else { throw SystemdNotifyError(socket: address, errno: sent < 0 ? Glibc.errno : EMSGSIZE) }
    }
}
