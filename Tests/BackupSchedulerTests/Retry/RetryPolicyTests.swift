import Foundation
import Synchronization
import Testing

@testable import BackupScheduler
@testable import RDSClient

/// A clock for retries: `sleep` advances both its clocks instead of waiting, and records the wait;
/// `stepWall` moves the wall clock alone.
final class SteppingClock: ServiceClock {
    private let state: Mutex<(wall: Date, elapsed: Duration, sleeps: [Duration])>
    init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { state = Mutex((start, .zero, [])) }
    var sleeps: [Duration] { state.withLock { $0.sleeps } }
    func now() -> Date { state.withLock { $0.wall } }
    func monotonicNow() -> MonotonicInstant { state.withLock { MonotonicInstant(sinceOrigin: $0.elapsed) } }
    func sleep(until deadline: MonotonicInstant) async throws {
        state.withLock {
            let duration = max(.zero, deadline.sinceOrigin - $0.elapsed)
            $0.elapsed += duration
            $0.wall = $0.wall.addingTimeInterval(duration.timeInterval)
            $0.sleeps.append(duration)
        }
    }
    func stepWall(by seconds: TimeInterval) { state.withLock { $0.wall = $0.wall.addingTimeInterval(seconds) } }
}

@Suite struct RetryPolicyTests {
    func error(_ errorClass: ErrorClass, retryAfter: Duration? = nil) -> RDSError {
        RDSError(operation: "op", errorClass: errorClass, status: 503, message: "m", retryAfter: retryAfter)
    }

    func retrier(_ policy: RetryPolicy, clock: SteppingClock, random: Double = 1) -> Retrier {
        Retrier(policy: policy, clock: clock, random: { random })
    }

    @Test func ceilingDoublesUpToTheMaximum() {
        let policy = RetryPolicy(attempts: 10, initial: .seconds(10), max: .seconds(60))
        #expect((1...6).map { policy.ceiling(afterAttempt: $0) } == [.seconds(10), .seconds(20), .seconds(40), .seconds(60), .seconds(60), .seconds(60)])
    }

    @Test func fullJitterStaysUnderTheCeiling() {
        let clock = SteppingClock()
        let policy = RetryPolicy(attempts: 5, initial: .seconds(8), max: .seconds(600))
        #expect(retrier(policy, clock: clock, random: 0.25).delay(afterAttempt: 3, error: error(.transient)) == .seconds(8))
        #expect(retrier(policy, clock: clock, random: 0).delay(afterAttempt: 3, error: error(.transient)) == .zero)
    }

    @Test func retryAfterIsHonouredEvenAboveTheJitter() {
        let clock = SteppingClock()
        let policy = RetryPolicy(attempts: 5, initial: .seconds(1), max: .seconds(4))
        #expect(retrier(policy, clock: clock, random: 0.5).delay(afterAttempt: 1, error: error(.transient, retryAfter: .seconds(30))) == .seconds(30))
    }

    @Test func transientFailuresAreRetriedUntilSuccess() async throws {
        let clock = SteppingClock()
        let calls = Mutex(0)
        let result = try await retrier(RetryPolicy(attempts: 5, initial: .seconds(1), max: .seconds(10)), clock: clock).run { attempt in
            calls.withLock { $0 += 1 }
            if attempt < 3 { throw error(attempt == 1 ? .transient : .busy) }
            return "done"
        }
        #expect(result == "done")
        #expect(calls.withLock { $0 } == 3)
        #expect(clock.sleeps == [.seconds(1), .seconds(2)])
    }

    @Test func permanentErrorsFailAtOnce() async {
        let clock = SteppingClock()
        for errorClass in [ErrorClass.permanent, .auth, .alreadyExists] {
            await #expect(throws: RDSError.self) {
                try await retrier(RetryPolicy(attempts: 5), clock: clock).run { _ in throw error(errorClass) }
            }
        }
        #expect(clock.sleeps.isEmpty)
    }

    @Test func attemptsRunOut() async {
        let clock = SteppingClock()
        do {
            _ = try await retrier(RetryPolicy(attempts: 3, initial: .seconds(1), max: .seconds(1)), clock: clock).run { _ -> Int in
                throw error(.transient)
            }
            Issue.record("no error")
        } catch let exhausted as RetriesExhausted {
            #expect(exhausted.attempts == 3)
            #expect(!exhausted.stoppedByDeadline)
        } catch {
            Issue.record("unexpected \(error)")
        }
        #expect(clock.sleeps.count == 2)
    }

    @Test func neverSleepsPastTheDeadline() async {
        let clock = SteppingClock()
        let deadline = clock.monotonicNow().advanced(by: .seconds(25))
        do {
            _ = try await retrier(RetryPolicy(attempts: 100, initial: .seconds(10), max: .seconds(10)), clock: clock)
                .run(deadline: deadline) { _ -> Int in throw error(.transient) }
            Issue.record("no error")
        } catch let exhausted as RetriesExhausted {
            #expect(exhausted.stoppedByDeadline)
            #expect(exhausted.attempts == 3)
            #expect(clock.monotonicNow() <= deadline)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    /// The deadline and the backoffs are on the monotonic clock: the wall clock stepping an hour
    /// back or ahead between attempts changes neither how long the retries wait nor when they stop.
    @Test(arguments: [-3600.0, 7200.0])
    func aWallStepBetweenAttemptsMovesNeitherTheBackoffNorTheDeadline(step: TimeInterval) async {
        let clock = SteppingClock()
        let deadline = clock.monotonicNow().advanced(by: .seconds(25))
        do {
            _ = try await retrier(RetryPolicy(attempts: 100, initial: .seconds(10), max: .seconds(10)), clock: clock)
                .run(deadline: deadline) { attempt -> Int in
                    if attempt == 1 { clock.stepWall(by: step) }
                    throw error(.transient)
                }
            Issue.record("no error")
        } catch let exhausted as RetriesExhausted {
            #expect(exhausted.stoppedByDeadline)
            #expect(exhausted.attempts == 3, "as without the step")
            #expect(clock.sleeps == [.seconds(10), .seconds(10)])
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
