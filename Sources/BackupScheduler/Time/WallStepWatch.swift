#if canImport(Glibc)
import CTimerFD
import Dispatch
import Foundation
import Glibc

/// Waits for a step of the system's wall clock (Linux): a timerfd on `CLOCK_REALTIME` armed with
/// `TFD_TIMER_CANCEL_ON_SET`, which the kernel cancels whenever the clock is set (`clock_settime`,
/// `date -s`, an NTP step rather than a slew), as systemd's calendar timers notice steps. The
/// descriptor is watched by a dispatch source, so no thread blocks on it.
///
/// libfaketime fakes what the clock reads and never sets it, so a step it makes is not seen here;
/// the service's bounded re-check of the wall clock sees it (docs/architecture.md, "Clocks").
enum WallStepWatch {
    enum Outcome: Sendable {
        /// The wall clock was set.
        case stepped
        /// The watch cannot tell (no timerfd, or its timer was moved by an interposed clock).
        case unavailable
    }

    private static let queue = DispatchQueue(label: "rds-backupd.wall-step-watch")

    /// Returns when the wall clock is set after the call began, or at once when steps cannot be
    /// watched; throws `CancellationError` when cancelled.
    static func next() async throws -> Outcome {
        try Task.checkCancellation()
        let fd = ctimerfd_open_wall_step_watch()
        guard fd >= 0 else { return .unavailable }
        let watch = Watch()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Outcome, any Error>) in
                watch.start(fd: fd, queue: queue, continuation: continuation)
            }
        } onCancel: {
            watch.end(.failure(CancellationError()))
        }
    }

    /// One armed descriptor and the continuation waiting on it; ended exactly once.
    private final class Watch: @unchecked Sendable {
        private let lock = NSLock()
        private var continuation: CheckedContinuation<Outcome, any Error>?
        private var source: (any DispatchSourceRead)?
        private var ended = false

        func start(fd: Int32, queue: DispatchQueue, continuation: CheckedContinuation<Outcome, any Error>) {
            let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
            source.setEventHandler { [self] in
                switch ctimerfd_read_wall_step_watch(fd) {
                case 1: end(.success(.stepped))
                case 0: break
                default: end(.success(.unavailable))
                }
            }
            source.setCancelHandler { close(fd) }
            let cancelledAlready: Bool = lock.withLock {
                if ended { return true }
                self.continuation = continuation
                self.source = source
                return false
            }
            if cancelledAlready {
                close(fd)
                continuation.resume(throwing: CancellationError())
                return
            }
            source.resume()
        }

        func end(_ result: Result<Outcome, any Error>) {
            let (continuation, source) = lock.withLock { () -> (CheckedContinuation<Outcome, any Error>?, (any DispatchSourceRead)?) in
                if ended { return (nil, nil) }
                ended = true
                defer {
                    self.continuation = nil
                    self.source = nil
                }
                return (self.continuation, self.source)
            }
            source?.cancel()
            continuation?.resume(with: result)
        }
    }
}
#endif
