import Foundation
import Testing

@testable import BackupScheduler

#if canImport(Glibc)
import CTimerFD
import Glibc

/// The kernel's notice of a wall-clock step (a timerfd with `TFD_TIMER_CANCEL_ON_SET`). Setting
/// the host's clock to make it fire would disturb everything else on the machine, so these pin
/// what can be seen without: the watch arms on this kernel and reads "nothing yet" while the
/// clock is not set, and a watch that is cancelled ends. The service's side (woken by a step,
/// re-planning) runs on the manual clock (`ForwardStepTests`, `ClockStepTests`).
@Suite struct WallStepWatchTests {
    @Test func theWatchArmsAndReadsNothingWhileTheClockIsNotSet() throws {
        let fd = ctimerfd_open_wall_step_watch()
        #expect(fd >= 0, "timerfd with TFD_TIMER_CANCEL_ON_SET: errno \(errno)")
        guard fd >= 0 else { return }
        defer { close(fd) }
        #expect(ctimerfd_read_wall_step_watch(fd) == 0, "armed for the end of time, not expired, not cancelled")
    }

    @Test func aWatchEndsWhenCancelled() async throws {
        let outcome = LockedBox<String?>(nil)
        let watch = Task {
            do {
                outcome.set("returned \(try await WallStepWatch.next())")
            } catch is CancellationError {
                outcome.set("cancelled")
            } catch {
                outcome.set("\(error)")
            }
        }
        watch.cancel()
        try await pollUntil("the cancelled watch ends") { outcome.get() != nil }
        #expect(outcome.get() == "cancelled")
    }
}
#endif
