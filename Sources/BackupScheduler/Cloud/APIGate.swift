import Foundation

/// What stands in front of every API call: a concurrency cap and a token-bucket rate limit
/// (`max_concurrent`, `requests_per_second`), shared by all entries of a cloud.
public final class APIGate: Sendable {
    private let state: GateState
    private let clock: any ServiceClock

    /// A gate letting `maxConcurrent` calls run at once, at most `requestsPerSecond` started per
    /// second on average, with bursts of up to `burst` (default: the rate, at least 1).
    public init(maxConcurrent: Int, requestsPerSecond: Double, burst: Int? = nil, clock: any ServiceClock) {
        let rate = max(requestsPerSecond, 0.001)
        state = GateState(
            maxConcurrent: max(1, maxConcurrent), interval: .seconds(1 / rate), burst: max(1, burst ?? Int(rate.rounded(.down))))
        self.clock = clock
    }

    /// Runs one API call when a permit and a token are available.
    public func perform<T: Sendable>(_ call: () async throws -> T) async throws -> T {
        await state.acquire()
        do {
            // On the monotonic clock: a wall step back must not make every call wait for the step.
            let start = await state.reserveToken(now: clock.monotonicNow())
            if start > clock.monotonicNow() { try await clock.sleep(until: start) }
        } catch {
            await state.release()
            throw error
        }
        await state.markStarted()
        do {
            let result = try await call()
            await state.release()
            return result
        } catch {
            await state.release()
            throw error
        }
    }

    /// Calls in flight and the most ever seen at once (for tests and status).
    public func counters() async -> (inFlight: Int, peak: Int, started: Int) {
        await state.counters()
    }
}

/// The gate's mutable part.
actor GateState {
    let maxConcurrent: Int
    let interval: Duration
    let burst: Int
    private var inFlight = 0
    private var peak = 0
    private var started = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    /// GCRA "theoretical arrival time": when the bucket would be full again.
    private var theoreticalArrival: MonotonicInstant?

    init(maxConcurrent: Int, interval: Duration, burst: Int) {
        self.maxConcurrent = maxConcurrent
        self.interval = interval
        self.burst = burst
    }

    func acquire() async {
        if inFlight < maxConcurrent {
            inFlight += 1
            peak = max(peak, inFlight)
            return
        }
        // The releasing caller hands its permit straight over, so inFlight stays counted.
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            inFlight -= 1
        } else {
            waiters.removeFirst().resume()
        }
    }

    func markStarted() { started += 1 }

    /// Reserves the next token and returns when the caller may start.
    func reserveToken(now: MonotonicInstant) -> MonotonicInstant {
        let tat = max(theoreticalArrival ?? now, now)
        let start = max(now, tat.advanced(by: interval * -(burst - 1)))
        theoreticalArrival = tat.advanced(by: interval)
        return start
    }

    func counters() -> (inFlight: Int, peak: Int, started: Int) { (inFlight, peak, started) }
}
