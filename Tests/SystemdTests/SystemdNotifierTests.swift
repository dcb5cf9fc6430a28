import Foundation
import RDSTestSupport
import Synchronization
import Testing

@testable import Systemd

#if canImport(Glibc)
import Glibc
#endif

@Suite struct SystemdNotifierTests {
    @Test(arguments: [false, true])
    func startReloadStopSequenceSendsExactMessages(abstract: Bool) throws {
        let listener = try DatagramListener(abstract: abstract)
        let notifier = SystemdNotifier(
            environment: ["NOTIFY_SOCKET": listener.address], monotonicMicroseconds: { 123_456_789 })
        #expect(notifier.isEnabled)

        try notifier.ready(status: "3 entries, next slot 02:00")
        try notifier.watchdog()
        try notifier.reloading(status: "reloading configuration")
        try notifier.ready(status: "4 entries, next slot 02:00")
        try notifier.extendTimeout(by: .seconds(30))
        try notifier.stopping(status: "finishing 1 backup")
        try notifier.errno(5, status: "state database unwritable")

        #expect(listener.receiveAll() == [
            "READY=1\nSTATUS=3 entries, next slot 02:00",
            "WATCHDOG=1",
            "RELOADING=1\nMONOTONIC_USEC=123456789\nSTATUS=reloading configuration",
            "READY=1\nSTATUS=4 entries, next slot 02:00",
            "EXTEND_TIMEOUT_USEC=30000000",
            "STOPPING=1\nSTATUS=finishing 1 backup",
            "STATUS=state database unwritable\nERRNO=5",
        ])
    }

    @Test func statusWithNewlinesCannotInjectAnotherAssignment() throws {
        let listener = try DatagramListener()
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.address])
        try notifier.status("failed\nREADY=1")
        #expect(listener.receiveAll() == ["STATUS=failed READY=1"])
    }

    @Test func notifierWithoutNotifySocketIsANoOp() throws {
        let notifier = SystemdNotifier(environment: [:])
        #expect(!notifier.isEnabled)
        try notifier.ready(status: "ignored")
        try notifier.watchdog()
        try notifier.stopping()
    }

    @Test func defaultMonotonicClockIsClockMonotonicInMicroseconds() {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        let before = UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000
        let now = SystemdNotifier.monotonicNow()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        let after = UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000
        #expect(before <= now && now <= after)
    }

    @Test func unreachableSocketReportsAddressAndErrno() {
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/nonexistent/rds-backupd/notify"])
        #expect(throws: SystemdNotifyError(socket: "/nonexistent/rds-backupd/notify", errno: ENOENT)) {
            try notifier.ready()
        }
    }

    /// A service manager that stops reading must not stall the scheduler: once the socket's queue
    /// is full a send fails at once with EAGAIN (libsystemd's sd_notify would block here), the
    /// failure is logged once however often it repeats, and sends work again once it is read.
    @Test func aFullNotifySocketFailsFastAndIsLoggedOnce() throws {
        let listener = try DatagramListener()
        let logs = CapturedLogs()
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.address], logger: logs.logger())
        let line = String(repeating: "x", count: 1000)
        let finished = DispatchSemaphore(value: 0)
        let outcome = SendOutcome()
        // On a thread of its own: a blocking send would hang here for good; the test must fail, not hang.
        Thread.detachNewThread {
            for _ in 0..<10_000 where outcome.errors.count < 3 {
                do throws(SystemdNotifyError) {
                    try notifier.status(line)
                    outcome.record(nil)
                } catch {
                    outcome.record(error)
                }
            }
            finished.signal()
        }
        #expect(finished.wait(timeout: .now() + 5) == .success, "a send blocked on a full notify socket")
        let queued = outcome.queued
        #expect(queued > 0)
        #expect(outcome.errors == Array(repeating: SystemdNotifyError(socket: listener.address, errno: EAGAIN), count: 3))
        #expect(logs.all.count == 1)
        #expect(logs.all.first?.contains("Resource temporarily unavailable") == true)
        #expect(logs.all.first?.contains("later failed notifications are not logged") == true)
        // Once the manager reads again, notifications flow again.
        #expect(listener.receiveAll().count == queued)
        try notifier.watchdog()
        #expect(listener.receiveAll() == ["WATCHDOG=1"])
    }
}

/// What a sending thread saw.
private final class SendOutcome: Sendable {
    private let state = Mutex<(queued: Int, errors: [SystemdNotifyError])>((0, []))
    var queued: Int { state.withLock { $0.queued } }
    var errors: [SystemdNotifyError] { state.withLock { $0.errors } }
    func record(_ error: SystemdNotifyError?) {
        state.withLock { if let error { $0.errors.append(error) } else { $0.queued += 1 } }
    }
}
