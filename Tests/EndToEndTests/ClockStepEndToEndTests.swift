import BackupScheduler
import Foundation
import RDSSimulator
import RDSTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The built binary with its wall clock stepped an hour ahead and back by libfaketime, as an NTP
/// correction or a VM resume steps a host's, while the cloud (the simulator, in this process)
/// keeps real time: no duplicate, no burst, no stall, and SIGTERM is honoured.
///
/// libfaketime fakes what the binary reads from the wall clock (`FAKETIME_TIMESTAMP_FILE`, read
/// anew at every reading: `FAKETIME_NO_CACHE=1`) and leaves the monotonic clock real
/// (`FAKETIME_DONT_FAKE_MONOTONIC=1`). It never sets the clock, so the kernel's notice of a step
/// does not come: the service sees the step at its next look at the wall clock, here within a
/// second (`WATCHDOG_USEC` of 2 s makes the loop ping, and look, every second).
@Suite(.serialized) struct ClockStepEndToEndTests {
    /// Debian's libfaketime (package faketime), if installed.
    static let libfaketime: String? = {
        let fileManager = FileManager.default
        var candidates = ["/usr/lib/faketime/libfaketime.so.1", "/usr/local/lib/faketime/libfaketime.so.1"]
        if let multiarch = try? fileManager.contentsOfDirectory(atPath: "/usr/lib") {
            candidates += multiarch.sorted().map { "/usr/lib/\($0)/faketime/libfaketime.so.1" }
        }
        return candidates.first { fileManager.fileExists(atPath: $0) }
    }()

    /// Under CI the test must run: a missing library fails it instead of skipping it.
    static let required = ProcessInfo.processInfo.environment["CI"] == "true"

    @Test(
        .enabled(
            if: libfaketime != nil || required,
            "skipped: libfaketime is not installed (Debian's faketime package; make deps installs it); under CI=true it fails instead"))
    func aWallClockSteppedAnHourAheadAndBackMakesNoDuplicateNoBurstAndNoStall() async throws {
        let library = try #require(Self.libfaketime, "CI=true and libfaketime is missing: make deps installs Debian's faketime package")
        let simulator = try await ServiceEndToEndTests.simulator()
        defer { Task { try? await simulator.shutdown() } }
        let (directory, firstSlot) = try ServiceEndToEndTests.preparedStateDirectory()
        let schedule = try ServiceEndToEndTests.schedule(simulator, in: directory)
        let offsetFile = directory + "/faketime"
        func setOffset(_ offset: String) throws { try offset.write(toFile: offsetFile, atomically: true, encoding: .utf8) }
        try setOffset("+0")
        let listener = try DatagramListener()
        var environment = ServiceEndToEndTests.environment(simulator)
        environment["NOTIFY_SOCKET"] = listener.address
        environment["WATCHDOG_USEC"] = "2000000"
        environment["LD_PRELOAD"] = library
        environment["FAKETIME_TIMESTAMP_FILE"] = offsetFile
        environment["FAKETIME_NO_CACHE"] = "1"
        environment["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
        // Through env, so that env, not the binary, is the first process to load libfaketime: a
        // Swift binary started with it directly sees no command-line arguments.
        let service = try RunningBinary(
            executable: "/usr/bin/env",
            arguments: [BinaryRunner.binary.path, "run", "--schedule", schedule, "--state-dir", directory, "--poll-interval", "1s"],
            environment: environment)
        func rows() throws -> [SlotRecord] { try ServiceEndToEndTests.rows(directory) }

        // The slot of the last minute (catch-up) runs on the real time.
        let first = try await ServiceEndToEndTests.eventually(timeout: 20) { try rows().first { $0.slotAt == firstSlot }?.state == .completed }
        #expect(first, "stderr: \(service.stderr)")

        // An hour ahead: sixty slots fell due together; only the newest runs.
        try setOffset("+1h")
        #expect(await service.waitForLine(containing: "the wall clock was stepped forward by 1h", timeout: .seconds(10)), "\(service.stderr)")
        let ahead = try await ServiceEndToEndTests.eventually(timeout: 20) {
            try rows().contains { $0.slotAt >= firstSlot.addingTimeInterval(3600) && $0.state == .completed }
        }
        #expect(ahead, "the newest slot ran on the stepped clock: \(service.stderr)")

        // And back: nothing runs again, and the loop goes on (the watchdog keeps being pinged).
        try setOffset("+0")
        #expect(await service.waitForLine(containing: "the wall clock was stepped back by 1h", timeout: .seconds(10)), "\(service.stderr)")
        _ = listener.receiveAll()
        let pings = await listener.collect(until: { $0.filter { $0.contains("WATCHDOG=1") }.count >= 3 }, timeout: .seconds(10))
        #expect(pings.filter { $0.contains("WATCHDOG=1") }.count >= 3, "a ping a second after the step back: \(pings)")

        let stoppedAt = ContinuousClock.now
        service.kill(SIGTERM)
        let status = await service.waitForExit(timeout: .seconds(40))
        let stopTook = ContinuousClock.now - stoppedAt
        #expect(status == 0, "\(service.stderr)")
        #expect(stopTook < .seconds(35), "within the shutdown bound: \(stopTook)")

        // Exactly two backups, one per slot that ran; every slot between them recorded missed.
        let recorded = try rows().sorted { $0.slotAt < $1.slotAt }
        let completed = recorded.filter { $0.state == .completed }
        #expect(completed.count == 2, "\(recorded.map { "\($0.slotAt) \($0.state)" })")
        let newest = try #require(completed.last)
        let skipped = recorded.filter { $0.slotAt > firstSlot && $0.slotAt < newest.slotAt }
        #expect(skipped.count == Int(newest.slotAt.timeIntervalSince(firstSlot) / 60) - 1)
        #expect(skipped.allSatisfy { $0.state == .missed })
        #expect(recorded.count == skipped.count + 2)
        let backups = simulator.backups()
        #expect(backups.count == 2, "no burst, no duplicate: \(backups.map(\.name))")
        #expect(Set(backups.map(\.name)) == ["orders-" + ServiceEndToEndTests.slotSuffix(firstSlot), "orders-" + ServiceEndToEndTests.slotSuffix(newest.slotAt)])
        #expect(simulator.requests().filter { $0.route == .createBackup }.count == 2)
        #expect(service.stderr.components(separatedBy: "the wall clock was stepped").count - 1 == 2, "each step logged once")
    }
}
