import Foundation

/// The service's notion of time: schedules, retries, polling and rate limits all go through it,
/// so tests run days of schedule in milliseconds.
public protocol ServiceClock: Sendable {
    /// The current instant.
    func now() -> Date
    /// Suspends until `deadline` (returns at once when it has passed); throws `CancellationError` when cancelled.
    func sleep(until deadline: Date) async throws
}

extension ServiceClock {
    /// Suspends for `duration`.
    public func sleep(for duration: Duration) async throws {
        try await sleep(until: now().addingTimeInterval(duration.timeInterval))
    }
}

/// The wall clock.
public struct SystemServiceClock: ServiceClock {
    public init() {}

    public func now() -> Date { Date() }

    public func sleep(until deadline: Date) async throws {
        let interval = deadline.timeIntervalSinceNow
        if interval <= 0 {
            try Task.checkCancellation()
            return
        }
        // 50 ms late is harmless here and lets the timer coalesce. (The idle service's one wakeup a
        // second is libdispatch's worker-pool monitor, not this timer: BENCHMARKS.md, "Idle".)
        try await Task.sleep(for: .milliseconds(Int64((interval * 1000).rounded(.up))), tolerance: .milliseconds(50))
    }
}
