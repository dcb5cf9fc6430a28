import BackupScheduler
import Foundation

/// A clock for tests: time moves only when someone sleeps on it or calls `advance`.
///
/// In auto-advance mode (the default) a `sleep(until:)` moves time straight to its deadline, so a
/// retry backoff of ten minutes or a day of schedule passes in microseconds. Without it, sleepers
/// wait until a test calls `advance(to:)`. `onAdvance` mirrors every move (e.g. onto the
/// simulator's clock, so backups finish when the service thinks time has passed).
public final class ManualServiceClock: ServiceClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    private var sleepers: [(id: UInt64, deadline: Date, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextID: UInt64 = 0
    private let autoAdvance: Bool
    private let onAdvance: @Sendable (Date) -> Void

    /// A clock standing at `start`.
    public init(start: Date, autoAdvance: Bool = true, onAdvance: @escaping @Sendable (Date) -> Void = { _ in }) {
        current = start
        self.autoAdvance = autoAdvance
        self.onAdvance = onAdvance
    }

    public func now() -> Date {
        lock.withLock { current }
    }

    public func sleep(until deadline: Date) async throws {
        try Task.checkCancellation()
        if autoAdvance {
            advance(to: deadline)
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
                    if deadline <= current { return true }
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

    /// Moves time forward to `date` (never back) and wakes the sleepers whose deadline passed.
    public func advance(to date: Date) {
        let (woken, moved): ([CheckedContinuation<Void, any Error>], Date?) = lock.withLock {
            guard date > current else { return ([], nil) }
            current = date
            let due = sleepers.filter { $0.deadline <= date }
            sleepers.removeAll { $0.deadline <= date }
            return (due.map(\.continuation), date)
        }
        if let moved { onAdvance(moved) }
        for continuation in woken { continuation.resume() }
    }

    /// Moves time forward by `seconds`.
    public func advance(by seconds: TimeInterval) {
        advance(to: now().addingTimeInterval(seconds))
    }

    /// The earliest deadline anyone sleeps until (manual mode).
    public var nextDeadline: Date? {
        lock.withLock { sleepers.map(\.deadline).min() }
    }

    /// How many tasks sleep on it (manual mode).
    public var sleeperCount: Int {
        lock.withLock { sleepers.count }
    }
}
