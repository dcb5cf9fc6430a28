import Foundation
import RDSTestSupport
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

    /// The production path: libsystemd's sd_pid_notify reading the real process environment.
    /// Only this test touches NOTIFY_SOCKET in the process environment.
    @Test func processNotifierSendsThroughLibsystemd() throws {
        let listener = try DatagramListener()
        setenv("NOTIFY_SOCKET", listener.address, 1)
        defer { unsetenv("NOTIFY_SOCKET") }
        let notifier = SystemdNotifier()
        #expect(notifier.route == .libsystemd)
        try notifier.ready(status: "up")
        try notifier.stopping()
        #expect(listener.receiveAll() == ["READY=1\nSTATUS=up", "STOPPING=1"])
    }
}
