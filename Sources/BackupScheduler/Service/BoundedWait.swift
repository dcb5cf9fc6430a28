import Foundation

/// Waiting for work that may never end, for at most a bound.
///
/// Awaiting task values inside a task group cannot bound anything: the group returns only when
/// every child ended, and a child awaiting a task stuck in an API call that never answers (and
/// ignores cancellation) never ends. Here the work and the timer run as tasks of their own and the
/// first to finish answers; work still running at the bound is left behind, not awaited.
public enum BoundedWait {
    /// Runs `work` and returns true when it ended within `limit` on `clock`, false when the bound
    /// came first (the work goes on unawaited) or the caller was cancelled.
    public static func run(
        atMost limit: Duration, on clock: any ServiceClock, _ work: @escaping @Sendable () async -> Void
    ) async -> Bool {
        let (outcomes, continuation) = AsyncStream.makeStream(of: Bool.self, bufferingPolicy: .bufferingOldest(1))
        let worker = Task {
            await work()
            continuation.yield(true)
        }
        let timer = Task {
            try? await clock.sleep(for: limit)
            continuation.yield(false)
        }
        var iterator = outcomes.makeAsyncIterator()
        let ended = await withTaskCancellationHandler {
            await iterator.next() ?? false
        } onCancel: {
            continuation.finish()
        }
        timer.cancel()
        continuation.finish()
        _ = worker  // not awaited: it may never end
        return ended
    }

    /// Whether every task in `tasks` ended within `limit` on `clock`.
    public static func all(_ tasks: [Task<Void, Never>], atMost limit: Duration, on clock: any ServiceClock) async -> Bool {
        await run(atMost: limit, on: clock) {
            for task in tasks { await task.value }
        }
    }
}
