import Foundation
import RDSTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The exact sd_notify messages of `rds-backupd run` for start, reload and stop, read from a real
/// `NOTIFY_SOCKET` datagram socket.
@Suite struct NotifySequenceTests {
    @Test func startReloadAndStopAnnounceThemselvesInOrder() async throws {
        let listener = try DatagramListener()
        let stateDirectory = TestScratch.path("rds-notify")
        let schedule = BinaryRunner.packageRoot.appendingPathComponent("config/demo.yaml").path
        let service = try RunningBinary(
            ["run", "--simulate", "--schedule", schedule, "--state-dir", stateDirectory],
            environment: ["NOTIFY_SOCKET": listener.address])
        defer { try? FileManager.default.removeItem(atPath: stateDirectory) }

        // The first status line is a datagram of its own, sent after READY=1: wait for both.
        let start = await listener.collect(
            until: { $0.contains("READY=1") && $0.contains { $0.hasPrefix("STATUS=3 entries · next ") } }, timeout: .seconds(30))
        #expect(start.first == "READY=1", "READY=1 comes first, before any network call: \(start)")
        #expect(start.contains { $0.hasPrefix("STATUS=3 entries · next ") }, "\(start)")

        service.kill(SIGHUP)
        // From RELOADING=1 on: a status update of the running service may come before it.
        let reload = Array(
            await listener.collect(until: { $0.contains { $0.hasPrefix("READY=1") } }, timeout: .seconds(30))
                .drop { !$0.hasPrefix("RELOADING=1") })
        let reloading = try #require(reload.first, "\(service.stderr)")
        let lines = reloading.split(separator: "\n").map(String.init)
        #expect(lines.first == "RELOADING=1")
        let monotonic = try #require(lines.first { $0.hasPrefix("MONOTONIC_USEC=") })
        #expect(UInt64(monotonic.dropFirst("MONOTONIC_USEC=".count)) ?? 0 > 0)
        // A status update may follow READY=1 in the same read.
        #expect(reload.first { $0.hasPrefix("READY=1") }?.hasPrefix("READY=1\nSTATUS=3 entries") == true, "\(reload)")

        service.kill(SIGTERM)
        let status = await service.waitForExit()
        let stop = listener.receiveAll()
        #expect(status == 0, "\(service.stderr)")
        #expect(stop.first?.hasPrefix("STOPPING=1") == true, "\(stop)")
        #expect(!stop.contains { $0.contains("READY=1") })
    }

    @Test func rejectedReloadKeepsServingAndSaysSo() async throws {
        let listener = try DatagramListener()
        let directory = TestScratch.path("rds-notify")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let schedule = directory + "/schedule.yaml"
        let demo = try String(contentsOf: BinaryRunner.packageRoot.appendingPathComponent("config/demo.yaml"), encoding: .utf8)
        try demo.write(toFile: schedule, atomically: true, encoding: .utf8)
        let service = try RunningBinary(
            ["run", "--simulate", "--schedule", schedule, "--state-dir", directory + "/state"],
            environment: ["NOTIFY_SOCKET": listener.address])
        _ = await listener.collect(until: { $0.contains("READY=1") }, timeout: .seconds(30))

        try (demo + "\n  - alias: broken\n    cron: \"61 * * * *\"\n").write(toFile: schedule, atomically: true, encoding: .utf8)
        service.kill(SIGHUP)
        // From RELOADING=1 on: a status update of the running service may come before it.
        let reload = Array(
            await listener.collect(until: { $0.contains { $0.hasPrefix("READY=1") } }, timeout: .seconds(30))
                .drop { !$0.hasPrefix("RELOADING=1") })
        #expect(reload.first?.hasPrefix("RELOADING=1") == true)
        #expect(
            reload.first { $0.hasPrefix("READY=1") }?.contains("STATUS=configuration rejected, keeping the last good schedule") == true,
            "\(reload)")
        #expect(!service.hasExited)

        service.kill(SIGTERM)
        #expect(await service.waitForExit() == 0)
        #expect(service.stderr.contains("schedule.yaml:"), "the rejection names file and line")
    }
}
