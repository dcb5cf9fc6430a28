import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// For a simulator run as a process of its own (the benchmarks' `bench-simulator` and
/// `copy-bench serve`): suspends until SIGTERM, so the process can print its counts and exit.
/// SIGTERM's default action is turned off first; the handler runs on a serial queue of its own,
/// off the main actor.
public func waitForTermination() async {
    signal(SIGTERM, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: SIGTERM, queue: DispatchQueue(label: "sigterm"))
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        var resumed = false  // only touched on the source's serial queue
        source.setEventHandler {
            guard !resumed else { return }
            resumed = true
            continuation.resume()
        }
        source.resume()
    }
    source.cancel()
}
