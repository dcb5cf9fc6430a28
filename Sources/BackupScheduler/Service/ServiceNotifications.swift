/// What the service tells its supervisor as it runs (under systemd: sd_notify messages). Every
/// member defaults to nothing; each is called on the service's own path and must return at once.
public struct ServiceNotifications: Sendable {
    /// Once the state is reconciled and the loop runs, before any network call (READY=1).
    public var started: @Sendable () -> Void = {}
    /// From the scheduler's loop at the configured watchdog interval (WATCHDOG=1).
    public var watchdog: @Sendable () -> Void = {}
    /// The status line, at most once a second (STATUS=).
    public var status: @Sendable (String) -> Void = { _ in }
    /// Stopping begins: no new slots (STOPPING=1).
    public var stopping: @Sendable () -> Void = {}
    /// A reload begins, with a status text (RELOADING=1).
    public var reloading: @Sendable (String) -> Void = { _ in }
    /// A reload ended, applied or rejected, with the status line (READY=1).
    public var reloaded: @Sendable (String) -> Void = { _ in }

    public init() {}
}
