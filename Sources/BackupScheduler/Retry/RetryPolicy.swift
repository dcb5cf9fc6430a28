import Foundation
import RDSClient

/// Exponential backoff with full jitter (docs/architecture.md "Error classification").
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first one included.
    public var attempts: Int
    public var initial: Duration
    public var max: Duration

    public init(attempts: Int = 8, initial: Duration = .seconds(10), max: Duration = .seconds(600)) {
        self.attempts = Swift.max(1, attempts)
        self.initial = initial
        self.max = max
    }

    /// The ceiling of the wait after failed attempt `attempt` (1-based): `initial · 2^(attempt-1)`, capped at `max`.
    public func ceiling(afterAttempt attempt: Int) -> Duration {
        var ceiling = initial
        for _ in 1..<Swift.max(1, attempt) {
            if ceiling >= max / 2 { return max }
            ceiling *= 2
        }
        return Swift.min(ceiling, max)
    }
}

/// Retries were spent, or the deadline came first: the last error explains why.
public struct RetriesExhausted: Error, Sendable, CustomStringConvertible {
    public var lastError: RDSError
    public var attempts: Int
    /// True when the deadline (the slot's start window) stopped the retries before `attempts` ran out.
    public var stoppedByDeadline: Bool

    /// How every description starts (`backup-now` tells this exit status from a refusal by it).
    public static let messagePrefix = "gave up after"

    public var description: String {
        let why = stoppedByDeadline ? "the start window closed" : "no attempts left"
        return "\(Self.messagePrefix) \(attempts) attempt\(attempts == 1 ? "" : "s") (\(why)); last error: \(lastError)"
    }
}

/// Runs an operation under a `RetryPolicy`, with an injected clock and randomness.
///
/// Backoffs and the deadline are on the clock's monotonic clock: a step of the wall clock neither
/// cuts a slot's retries short nor lets them run past its start window.
public struct Retrier: Sendable {
    public var policy: RetryPolicy
    public var clock: any ServiceClock
    /// A uniform draw from `0...1`; injected so tests are exact.
    public var random: @Sendable () -> Double

    public init(
        policy: RetryPolicy,
        clock: any ServiceClock = SystemServiceClock(),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }
    ) {
        self.policy = policy
        self.clock = clock
        self.random = random
    }

    /// The wait before the next attempt: full jitter under the ceiling, at least `Retry-After`.
    public func delay(afterAttempt attempt: Int, error: RDSError) -> Duration {
        let ceiling = policy.ceiling(afterAttempt: attempt)
        let jittered = ceiling * Swift.min(1, Swift.max(0, random()))
        if let retryAfter = error.retryAfter { return Swift.max(jittered, retryAfter) }
        return jittered
    }

    /// Runs `body` (given the 1-based attempt number) until it succeeds, fails with an error that
    /// is not retryable (thrown as is), or retries run out (`RetriesExhausted`). Never sleeps past
    /// `deadline` (on the monotonic clock: `ServiceClock.monotonicDeadline(atWall:)` makes one of a wall instant).
    public func run<T>(
        deadline: MonotonicInstant? = nil,
        onRetry: (_ notice: RetryNotice) -> Void = { _ in },
        _ body: (_ attempt: Int) async throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            let started = clock.monotonicNow()
            do {
                return try await body(attempt)
            } catch let error as RDSError where error.errorClass.isRetryable {
                if attempt >= policy.attempts {
                    throw RetriesExhausted(lastError: error, attempts: attempt, stoppedByDeadline: false)
                }
                let wait = delay(afterAttempt: attempt, error: error)
                if let deadline, clock.monotonicNow().advanced(by: wait) > deadline {
                    throw RetriesExhausted(lastError: error, attempts: attempt, stoppedByDeadline: true)
                }
                onRetry(RetryNotice(error: error, attempt: attempt, took: started.duration(to: clock.monotonicNow()), delay: wait))
                try await clock.sleep(for: wait)
                attempt += 1
            }
        }
    }
}

/// One retry as it is announced: the attempt that failed, how long it ran (a connect timeout or a
/// slow answer shows here, so "retrying at once" is not mistaken for "nothing happened"), the
/// error, and the wait before the next attempt.
public struct RetryNotice: Sendable {
    public var error: RDSError
    public var attempt: Int
    public var took: Duration
    public var delay: Duration

    public init(error: RDSError, attempt: Int, took: Duration, delay: Duration) {
        self.error = error
        self.attempt = attempt
        self.took = took
        self.delay = delay
    }

    /// "attempt 2 failed after 10s: ERROR; attempt 3 in 4.2s" (`number`: the attempt as the
    /// caller counts them, e.g. across restarts).
    public func message(attempt number: Int? = nil) -> String {
        let failed = number ?? attempt
        let next = delay < .milliseconds(100) ? "attempt \(failed + 1) follows at once" : "attempt \(failed + 1) in \(Self.format(delay))"
        return "attempt \(failed) failed after \(Self.format(took)): \(error); \(next)"
    }

    /// `0.3s`, `10s`, `2m5s`: tenths below ten seconds, whole seconds above.
    static func format(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        if seconds < 10 { return String(format: "%.1fs", seconds) }
        return DurationParser.format(.seconds(Int64(seconds.rounded())))
    }
}
