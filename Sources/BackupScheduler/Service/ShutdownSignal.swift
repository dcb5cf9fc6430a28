import Foundation

/// Set once when the service begins to stop; sleepers on an `InterruptibleClock` wake at once.
public final class ShutdownSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var fired = false
    private var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]

    public init() {}

    public var isSet: Bool { lock.withLock { fired } }

    public func fire() {
        let woken: [CheckedContinuation<Void, Never>] = lock.withLock {
            fired = true
            defer { waiters = [:] }
            return Array(waiters.values)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Returns when fired (or when the task is cancelled).
    func wait() async {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow: Bool = lock.withLock {
                    if fired || Task.isCancelled { return true }
                    waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let continuation = lock.withLock { waiters.removeValue(forKey: id) }
            continuation?.resume()
        }
    }
}

/// A clock whose sleeps end with `CancellationError` when shutdown begins, so slots stop waiting
/// (retry backoff, status polling) while an HTTP call already in flight still finishes.
public struct InterruptibleClock: ServiceClock {
    public let base: any ServiceClock
    public let signal: ShutdownSignal

    public init(base: any ServiceClock, signal: ShutdownSignal) {
        self.base = base
        self.signal = signal
    }

    public func now() -> Date { base.now() }

    public func monotonicNow() -> MonotonicInstant { base.monotonicNow() }

    public func waitForWallStep() async throws { try await base.waitForWallStep() }

    public func sleep(until deadline: MonotonicInstant) async throws {
        if signal.isSet { throw CancellationError() }
        let base = self.base
        let signal = self.signal
        let interrupted = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await base.sleep(until: deadline)
                return false
            }
            group.addTask {
                await signal.wait()
                return true
            }
            defer { group.cancelAll() }
            return try await group.next() ?? true
        }
        if interrupted || signal.isSet { throw CancellationError() }
    }
}
