import Foundation

/// A reading of the service's monotonic clock: the time elapsed since an arbitrary origin of the
/// process. It never steps, so every wait, deadline, rate limit and interval is measured on it.
public struct MonotonicInstant: Comparable, Hashable, Sendable {
    /// Elapsed since the clock's origin.
    public var sinceOrigin: Duration

    public init(sinceOrigin: Duration) {
        self.sinceOrigin = sinceOrigin
    }

    public func advanced(by duration: Duration) -> MonotonicInstant {
        MonotonicInstant(sinceOrigin: sinceOrigin + duration)
    }

    /// How long from `self` to `later` (negative when `later` is earlier).
    public func duration(to later: MonotonicInstant) -> Duration {
        later.sinceOrigin - sinceOrigin
    }

    public static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool {
        lhs.sinceOrigin < rhs.sinceOrigin
    }
}

/// The service's notion of time, two clocks each for what it is good at, so tests run days of
/// schedule in milliseconds and step either clock alone.
///
/// - The wall clock (`now()`) says which slot is due: cron means wall-clock instants, and rows,
///   log lines and backup names carry them. NTP corrections and VM resumes step it.
/// - The monotonic clock (`monotonicNow()`, `sleep(until:)`) measures every wait, deadline, rate
///   limit, watchdog interval, completion window and timeout: a step of the wall clock neither
///   stretches nor cuts any of them.
public protocol ServiceClock: Sendable {
    /// The wall clock's current instant.
    func now() -> Date
    /// The monotonic clock's current reading.
    func monotonicNow() -> MonotonicInstant
    /// Suspends until the monotonic clock reaches `deadline` (returns at once when it has
    /// passed); throws `CancellationError` when cancelled.
    func sleep(until deadline: MonotonicInstant) async throws
    /// Returns when the wall clock is stepped (set, forward or back) after the call began, so
    /// the service re-plans at once; throws `CancellationError` when cancelled. A clock that
    /// cannot notice steps never returns: the service's bounded re-check sees them instead.
    func waitForWallStep() async throws
}

extension ServiceClock {
    /// Suspends for `duration` on the monotonic clock.
    public func sleep(for duration: Duration) async throws {
        try await sleep(until: monotonicNow().advanced(by: duration))
    }

    /// Never returns (a clock that cannot notice steps); throws `CancellationError` when cancelled.
    public func waitForWallStep() async throws {
        try await suspendUntilCancelled()
    }

    /// The monotonic reading at which the wall clock, if it is not stepped meanwhile, shows `date`
    /// (a reading already passed when `date` has: a deadline at a past wall instant has passed too).
    public func monotonicDeadline(atWall date: Date) -> MonotonicInstant {
        monotonicNow().advanced(by: .seconds(date.timeIntervalSince(now())))
    }
}

/// The system's clocks: `Date()` for the wall, Swift's `ContinuousClock` for the monotonic one.
///
/// On Linux `ContinuousClock` reads `CLOCK_BOOTTIME`, which keeps counting while the machine (or
/// the VM) is suspended; `CLOCK_MONOTONIC` (`SuspendingClock`) stops. BOOTTIME is the one wanted
/// here: the cloud goes on while this host sleeps, so a completion window, a retry's backoff or a
/// rate limit that began before a suspend must count the suspended time too, the way the backup
/// it watches did. (The watchdog is pinged from the loop, which wakes at once after a resume.)
public struct SystemServiceClock: ServiceClock {
    /// The process's origin of `monotonicNow()`.
    private static let origin = ContinuousClock.now

    public init() {}

    public func now() -> Date { Date() }

    public func monotonicNow() -> MonotonicInstant {
        MonotonicInstant(sinceOrigin: Self.origin.duration(to: ContinuousClock.now))
    }

    public func sleep(until deadline: MonotonicInstant) async throws {
        if deadline <= monotonicNow() {
            try Task.checkCancellation()
            return
        }
        // 50 ms late is harmless here and lets the timer coalesce. (The idle service's one wakeup a
        // second is libdispatch's worker-pool monitor, not this timer: BENCHMARKS.md, "Idle".)
        try await Task.sleep(until: Self.origin.advanced(by: deadline.sinceOrigin), tolerance: .milliseconds(50), clock: .continuous)
    }

    /// On Linux a timerfd the kernel cancels when the clock is set (`WallStepWatch`); elsewhere,
    /// or when the watch cannot tell, never.
    public func waitForWallStep() async throws {
        #if canImport(Glibc)
        if try await WallStepWatch.next() == .stepped { return }
        #endif
        try await suspendUntilCancelled()
    }
}

/// Suspends until the task is cancelled, then throws `CancellationError`.
func suspendUntilCancelled() async throws {
    while true {
        try await Task.sleep(for: .seconds(86_400), clock: .continuous)
    }
}
