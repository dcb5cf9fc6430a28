import BackupScheduler
import Crypto
import Foundation
import OffsiteCopy
import RDSClient
import RDSSimulator
import RDSTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The built binary copies a completed backup offsite (`copy:`); SIGKILLed with a file half on
/// disk and restarted, it finishes the copy fetching only the missing bytes. `copies`,
/// `verify-copies` and `status` then show it, and a damaged file is caught.
@Suite(.serialized) struct CopyEndToEndTests {
    static let orders = SimulatorFixture.orders

    @Test func aSIGKILLMidCopyIsFinishedByTheRestartWithOnlyTheMissingBytesFetchedAndTheCommandsShowIt() async throws {
        var configuration = SimulatorConfiguration.demo
        configuration.backupDuration = 0.5
        let simulator = RDSSimulator(configuration: configuration, clock: .wall())
        try await simulator.start()
        defer { Task { try? await simulator.shutdown() } }
        let size: Int64 = 4 * 1024 * 1024
        simulator.objectStorage.backupBytes = size

        let directory = TestScratch.path("rds-backupd-copy-e2e")
        let destination = directory + "/copies"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The slot of the minute before now, so it is due at once and nothing else for a day.
        let due = DueDailySlot()
        let slot = due.slot
        let schedulePath = directory + "/schedule.yaml"
        try """
        cloud:
          region: eu-de
          project_id: \(configuration.projectID)
          auth: env
          auth_url: \(simulator.iamURL)
        defaults:
          timezone: UTC
          start_window: 1h
          completion_window: 5m
          retry: { attempts: 5, initial: 1s, max: 2s }
        backups:
          - alias: orders
            instance_id: \(Self.orders)
            cron: "\(due.cron)"
            copy: { destination: \(destination), keep_last: 3 }
        """.write(toFile: schedulePath, atomically: true, encoding: .utf8)
        let store = try StateStore(directory: directory)
        _ = try store.noteEntries([("orders", Self.orders)], now: slot.addingTimeInterval(-86_401))
        let user = configuration.users[0]
        let environment = [
            "OS_USERNAME": user.name, "OS_PASSWORD": user.password.reveal(), "OS_USER_DOMAIN_NAME": configuration.domainName,
        ]
        let arguments = ["run", "--schedule", schedulePath, "--state-dir", directory, "--poll-interval", "1s"]

        // 1. Run until a megabyte of the file is on disk, then SIGKILL.
        var paused = environment
        paused["RDS_BACKUPD_TEST_PAUSE_AT"] = "during-copy"
        let first = try RunningBinary(arguments, environment: paused)
        #expect(await first.waitForLine(containing: "test-pause: during-copy", timeout: .seconds(20)), "stderr: \(first.stderr)")
        first.kill(SIGKILL)
        #expect(await first.waitForExit(timeout: .seconds(5)) == 128 + SIGKILL)

        let left = try #require(try StateStore.openReadOnly(directory: directory).copyHistory().first, "stderr: \(first.stderr)")
        #expect(left.state == .copying)
        let names = try FileManager.default.contentsOfDirectory(atPath: left.directory)
        #expect(!names.contains(CopyManifest.fileName), "no manifest: the copy does not look complete")
        let partial = try #require(names.first { $0.hasSuffix(".partial") }, "\(names)")
        #expect(!names.contains(String(partial.dropLast(".partial".count))), "no file under its final name")
        let onDisk = try #require(FileManager.default.attributesOfItem(atPath: left.directory + "/" + partial)[.size] as? NSNumber).int64Value
        #expect(onDisk >= 1024 * 1024 && onDisk < size)
        let servedBefore = simulator.objectStorage.servedRequests().count

        // 2. Restart: the copy is continued from the partial file.
        let second = try RunningBinary(arguments, environment: environment)
        let finished = await Self.eventually(timeout: .seconds(20)) {
            (try? StateStore.openReadOnly(directory: directory).copyHistory().first?.state) == .completed
        }
        #expect(await second.waitForLine(containing: "rds-backupd started with", timeout: .seconds(10)))
        second.kill(SIGTERM)
        #expect(await second.waitForExit(timeout: .seconds(15)) == 0, "stderr: \(second.stderr)")
        #expect(finished, "stderr: \(second.stderr)")
        let resumed = simulator.objectStorage.servedRequests().dropFirst(servedBefore)
        #expect(resumed.first?.rangeStart == onDisk)
        #expect(resumed.reduce(0) { $0 + $1.bodyBytes } == size - onDisk, "only the missing bytes fetched again: \(Array(resumed))")
        #expect(second.stderr.contains("resuming the copy"))
        #expect(!(first.stderr + second.stderr).contains("Signature="), "no download link in the log")

        // 3. The commands show it, and verify it.
        let service = ["--schedule", schedulePath, "--state-dir", directory]
        let listed = try await BinaryRunner.run(["copies", "--json"] + service, environment: [:], timeout: .seconds(15))
        #expect(listed.status == 0, "\(listed.stderr)")
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        #expect(objects.count == 1)
        #expect(objects.first?["bytes"] as? Int == Int(size) && objects.first?["entry"] as? String == "orders")
        #expect(objects.first?["directory"] as? String == left.directory)
        let verified = try await BinaryRunner.run(["verify-copies"] + service, environment: [:], timeout: .seconds(15))
        #expect(verified.status == 0 && verified.stdout.contains("1 copy checked, 0 damaged"), "\(verified.stdout)\(verified.stderr)")
        let status = try await BinaryRunner.run(["status"] + service, environment: [:], timeout: .seconds(15))
        #expect(status.stdout.contains("last copy") && status.stdout.contains(left.directory), "\(status.stdout)")

        // 4. A byte changed on disk is caught.
        let file = left.directory + "/" + String(partial.dropLast(".partial".count))
        let handle = try #require(FileHandle(forUpdatingAtPath: file))
        try handle.seek(toOffset: 1000)
        let byte = try #require(try handle.read(upToCount: 1)?.first)
        try handle.seek(toOffset: 1000)
        try handle.write(contentsOf: [byte ^ 0xFF])
        try handle.close()
        let damaged = try await BinaryRunner.run(["verify-copies", "--entry", "orders"] + service, environment: [:], timeout: .seconds(15))
        #expect(damaged.status == 1 && damaged.stdout.contains("DAMAGED") && damaged.stdout.contains("SHA-256"), "\(damaged.stdout)")
    }

    /// Polls real state (a real process is awaited) until `condition` holds or `timeout` passes.
    static func eventually(timeout: Duration, _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return condition()
    }
}
