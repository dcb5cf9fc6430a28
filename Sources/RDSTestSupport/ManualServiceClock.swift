import BackupScheduler
import Foundation

/// A clock for tests: time moves only when someone sleeps on it or calls `advance`, and its wall
/// clock can be stepped alone (`stepWall`), as an NTP correction or a VM resume steps a host's.
///
/// It holds the two clocks of `ServiceClock`: the wall clock (`now()`) and the monotonic clock
/// (`monotonicNow()`), which every sleep waits on. `advance` moves both together (time passing);
/// `stepWall` moves only the wall clock, forward or back, and wakes no sleeper: only those waiting
/// for a wall step (`waitForWallStep`, as the kernel's timerfd tells the real service), unless the
/// step is made `unnoticed` (as libfaketime's steps are: the service then sees it only by re-checking).
///
/// In auto-advance mode (the default) a `sleep(until:)` moves time straight to its deadline, so a
/// retry backoff of ten minutes or a day of schedule passes in microseconds. Without it, sleepers
/// wait until a test calls `advance`. `onAdvance` mirrors every move of the true time, the start
/// plus the monotonic time elapsed (e.g. onto the simulator's clock, so backups finish when the
/// service thinks time has passed; a wall step is not mirrored: the cloud keeps real time).
public final class ManualServiceClock: ServiceClock, @unchecked Sendable {
    private let lock = NSLock()
    private let start: Date
    private var wall: Date
    private var elapsed: Duration = .zero
    private var sleepers: [(id: UInt64, deadline: MonotonicInstant, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextID: UInt64 = 0
    private var stepWaiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private let autoAdvance: Bool
    private let onAdvance: @Sendable (Date) -> Void
    /// Deadlines this close past the target are reached by a move too (a deadline computed from a
    /// wall instant and read back as one may differ by a rounding).
    private static let snap: Duration = .microseconds(1)

    /// A clock whose wall and true time stand at `start`.
    public init(start: Date, autoAdvance: Bool = true, onAdvance: @escaping @Sendable (Date) -> Void = { _ in }) {
        self.start = start
        wall = start
        self.autoAdvance = autoAdvance
        self.onAdvance = onAdvance
    }

    public func now() -> Date {
        lock.withLock { wall }
    }

    public func monotonicNow() -> MonotonicInstant {
        lock.withLock { MonotonicInstant(sinceOrigin: elapsed) }
    }

    public func sleep(until deadline: MonotonicInstant) async throws {
        try Task.checkCancellation()
        if autoAdvance {
            move(by: max(.zero, monotonicNow().duration(to: deadline)), wallTarget: nil)
            await Task.yield()
            try Task.checkCancellation()
            return
        }
        let id: UInt64 = lock.withLock {
            nextID += 1
            return nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: Bool = lock.withLock {
                    if deadline.sinceOrigin <= elapsed { return true }
                    sleepers.append((id, deadline, continuation))
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let cancelled = lock.withLock { () -> CheckedContinuation<Void, any Error>? in
                guard let index = sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return sleepers.remove(at: index).continuation
            }
            cancelled?.resume(throwing: CancellationError())
        }
    }

    public func waitForWallStep() async throws {
        try Task.checkCancellation()
        let id: UInt64 = lock.withLock {
            nextID += 1
            return nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let cancelled: Bool = lock.withLock {
                    if Task.isCancelled { return true }
                    stepWaiters.append((id, continuation))
                    return false
                }
                if cancelled { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let cancelled = lock.withLock { () -> CheckedContinuation<Void, any Error>? in
                guard let index = stepWaiters.firstIndex(where: { $0.id == id }) else { return nil }
                return stepWaiters.remove(at: index).continuation
            }
            cancelled?.resume(throwing: CancellationError())
        }
    }

    /// Lets time pass until the wall clock shows `date` (never back): both clocks move, and the
    /// sleepers whose deadline passed wake.
    public func advance(to date: Date) {
        let seconds = max(0, date.timeIntervalSince(now()))
        move(by: .seconds(seconds), wallTarget: date)
    }

    /// Lets `seconds` pass on both clocks.
    public func advance(by seconds: TimeInterval) {
        move(by: .seconds(max(0, seconds)), wallTarget: nil)
    }

    /// Lets `duration` pass on both clocks (nothing when it is negative).
    public func advance(by duration: Duration) {
        move(by: max(.zero, duration), wallTarget: nil)
    }

    private func move(by duration: Duration, wallTarget: Date?) {
        let (woken, moved): ([CheckedContinuation<Void, any Error>], Date?) = lock.withLock {
            var target = elapsed + duration
            // Snap onto a deadline a rounding away, so its sleeper sees the clock at its deadline.
            var snapped = false
            for sleeper in sleepers where sleeper.deadline.sinceOrigin > target && sleeper.deadline.sinceOrigin <= target + Self.snap {
                target = sleeper.deadline.sinceOrigin
                snapped = true
            }
            guard target > elapsed else { return ([], nil) }
            let step = target - elapsed
            elapsed = target
            if let wallTarget, !snapped, wallTarget > wall {
                wall = wallTarget
            } else {
                wall = wall.addingTimeInterval(step.timeInterval)
            }
            let due = sleepers.filter { $0.deadline.sinceOrigin <= target }
            sleepers.removeAll { $0.deadline.sinceOrigin <= target }
            return (due.map(\.continuation), start.addingTimeInterval(target.timeInterval))
        }
        if let moved { onAdvance(moved) }
        for continuation in woken { continuation.resume() }
    }

    /// Steps the wall clock alone by `seconds` (negative: back), as NTP or a VM resume does; the
    /// monotonic clock and every sleeper stay where they are. Those waiting for a wall step wake,
    /// unless `unnoticed` (a step no timerfd reports, as libfaketime's).
    public func stepWall(by seconds: TimeInterval, unnoticed: Bool = false) {
        let woken: [CheckedContinuation<Void, any Error>] = lock.withLock {
            wall = wall.addingTimeInterval(seconds)
            guard !unnoticed else { return [] }
            defer { stepWaiters = [] }
            return stepWaiters.map(\.continuation)
        }
        for continuation in woken { continuation.resume() }
    }

    /// How many tasks wait for a wall step (`waitForWallStep`).
    public var wallStepWaiterCount: Int {
        lock.withLock { stepWaiters.count }
    }

    /// The wall instant at which the earliest sleeper wakes if the wall clock is not stepped (manual mode).
    public var nextDeadline: Date? {
        lock.withLock {
            sleepers.map(\.deadline).min().map { wall.addingTimeInterval((elapsed.duration(toDeadline: $0)).timeInterval) }
        }
    }

    /// The earliest monotonic deadline anyone sleeps until (manual mode).
    public var nextMonotonicDeadline: MonotonicInstant? {
        lock.withLock { sleepers.map(\.deadline).min() }
    }

    /// How many tasks sleep on it (manual mode).
    public var sleeperCount: Int {
        lock.withLock { sleepers.count }
    }
}

extension Duration {
    fileprivate func duration(toDeadline deadline: MonotonicInstant) -> Duration { deadline.sinceOrigin - self }
}
