import Foundation
import Synchronization

/// The offsite copies' own bounded worker pool: at most `maxConcurrent` copies run at once, each on
/// a task of its own, the rest wait in order. Backups never wait for it: a slot hands its copy
/// over and ends (docs/offsite-copies.md "In the service").
public final class CopyPool: Sendable {
    private struct Job: Sendable {
        var record: CopyRecord
        var entry: BackupEntry
        var runner: CopyRunner
    }

    private struct State {
        var queue: [Job] = []
        var running: [Int64: Task<Void, Never>] = [:]
        var stopped = false
    }

    public let maxConcurrent: Int
    private let state = Mutex(State())

    public init(maxConcurrent: Int = 2) {
        self.maxConcurrent = max(1, maxConcurrent)
    }

    /// Queues the copy of `record` (once: a copy already queued or running is not added again).
    public func submit(_ record: CopyRecord, entry: BackupEntry, runner: CopyRunner) {
        guard let id = record.id else { return }
        state.withLock { s in
            guard !s.stopped, s.running[id] == nil, !s.queue.contains(where: { $0.record.id == id }) else { return }
            s.queue.append(Job(record: record, entry: entry, runner: runner))
        }
        pump()
    }

    /// Copies running now and waiting.
    public var counts: (running: Int, queued: Int) { state.withLock { ($0.running.count, $0.queue.count) } }

    /// No more copies start; the running ones are cancelled (their rows stay `copying` and their
    /// partial files stay, so the next start continues them). Returns their tasks to wait for.
    public func stop() -> [Task<Void, Never>] {
        state.withLock { s in
            s.stopped = true
            s.queue.removeAll()
            let tasks = Array(s.running.values)
            for task in tasks { task.cancel() }
            return tasks
        }
    }

    /// Waits until nothing runs or waits (tests).
    public func idle() async {
        while true {
            let tasks: [Task<Void, Never>] = state.withLock { s in
                s.running.isEmpty && s.queue.isEmpty ? [] : Array(s.running.values)
            }
            if tasks.isEmpty && counts.queued == 0 { return }
            for task in tasks { await task.value }
            if tasks.isEmpty { await Task.yield() }
        }
    }

    private func pump() {
        state.withLock { s in
            while !s.stopped, s.running.count < maxConcurrent, !s.queue.isEmpty {
                let job = s.queue.removeFirst()
                guard let id = job.record.id else { continue }
                s.running[id] = Task { [self] in
                    _ = await job.runner.run(job.record, entry: job.entry)
                    finished(id)
                }
            }
        }
    }

    private func finished(_ id: Int64) {
        state.withLock { s in s.running[id] = nil }
        pump()
    }
}
