import BackupScheduler
import Foundation
import RDSClient
import RDSSimulator
import RDSTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The built binary (`rds-backupd run`) against an in-process simulator over loopback: a SIGKILL
/// between create and record, and two hosts on one schedule, each make exactly one backup per slot.
@Suite(.serialized) struct ServiceEndToEndTests {
    static let orders = SimulatorFixture.orders

    /// A started simulator on the wall clock whose backups finish after two seconds.
    static func simulator() async throws -> RDSSimulator {
        var configuration = SimulatorConfiguration.demo
        configuration.backupDuration = 2
        let simulator = RDSSimulator(configuration: configuration, clock: .wall())
        try await simulator.start()
        return simulator
    }

    /// A state directory whose entry `orders` was first seen just before the last minute boundary,
    /// so the binary finds exactly one slot due at once (the catch-up of that minute).
    static func preparedStateDirectory() throws -> (directory: String, slot: Date) {
        let directory = TestScratch.path("rds-backupd-e2e")
        let now = Date().timeIntervalSince1970
        var boundary = (now / 60).rounded(.down) * 60
        if now - boundary > 50 {
            // Too close to the next boundary: a second slot could come due during the test.
            boundary += 60
            Thread.sleep(forTimeInterval: boundary - now + 0.5)
        }
        let store = try StateStore(directory: directory)
        _ = try store.noteEntries([("orders", orders)], now: Date(timeIntervalSince1970: boundary - 1))
        return (directory, Date(timeIntervalSince1970: boundary))
    }

    static func schedule(_ simulator: RDSSimulator, in directory: String) throws -> String {
        let path = directory + "/schedule.yaml"
        try """
        cloud:
          region: eu-de
          project_id: \(simulator.configuration.projectID)
          auth: env
          auth_url: \(simulator.iamURL)
        defaults:
          timezone: UTC
          name: "{alias}-{slot:%Y%m%d-%H%M}"
          start_window: 10m
          completion_window: 5m
          retry: { attempts: 5, initial: 1s, max: 2s }
        backups:
          - alias: orders
            instance_id: \(orders)
            cron: "* * * * *"
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func environment(_ simulator: RDSSimulator, extra: [String: String] = [:]) -> [String: String] {
        let user = simulator.configuration.users[0]
        // PATH and HOME are added by BinaryRunner / RunningBinary.
        var environment = [
            "OS_USERNAME": user.name, "OS_PASSWORD": user.password.reveal(),
            "OS_USER_DOMAIN_NAME": simulator.configuration.domainName,
        ]
        environment.merge(extra) { $1 }
        return environment
    }

    /// Waits (polling real state, up to `timeout`) until `condition` holds.
    static func eventually(timeout: TimeInterval = 30, _ condition: () throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try condition()
    }

    static func rows(_ directory: String) throws -> [SlotRecord] {
        try StateStore.openReadOnly(directory: directory).allSlots()
    }

    @Test func aSIGKILLBetweenCreateAndRecordIsResumedWithoutADuplicateOrALostSlot() async throws {
        let simulator = try await Self.simulator()
        defer { Task { try? await simulator.shutdown() } }
        let (directory, slot) = try Self.preparedStateDirectory()
        let schedule = try Self.schedule(simulator, in: directory)
        let arguments = ["run", "--schedule", schedule, "--state-dir", directory, "--poll-interval", "1s"]

        let first = try RunningBinary(arguments, environment: Self.environment(simulator, extra: ["RDS_BACKUPD_TEST_PAUSE_AT": "after-create"]))
        #expect(await first.waitForLine(containing: "test-pause: after-create"), "stderr: \(first.stderr)")
        first.kill(SIGKILL)
        _ = await first.waitForExit()
        #expect(simulator.backups().count == 1, "the cloud has the backup")
        #expect(try Self.rows(directory).map(\.state) == [.creating], "the state does not know it yet")

        let second = try RunningBinary(arguments, environment: Self.environment(simulator))
        let settled = try await Self.eventually { try Self.rows(directory).first { $0.slotAt == slot }?.state == .completed }
        second.kill(SIGTERM)
        let status = await second.waitForExit()
        #expect(settled, "stderr: \(second.stderr)")
        #expect(status == 0)

        let name = "orders-" + Self.slotSuffix(slot)
        let backups = simulator.backups().filter { $0.name == name }
        #expect(backups.count == 1, "no duplicate")
        let row = try #require(try Self.rows(directory).first { $0.slotAt == slot })
        #expect(row.backupID == backups.first?.id, "no lost slot: the row holds the first process's backup")
        #expect(Set(simulator.backups().map(\.name)).count == simulator.backups().count)
        #expect(simulator.requests().filter { $0.route == .createBackup }.count == simulator.backups().count)
    }

    @Test func twoHostsOnOneScheduleMakeExactlyOneBackupPerSlot() async throws {
        let simulator = try await Self.simulator()
        defer { Task { try? await simulator.shutdown() } }
        let (first, slot) = try Self.preparedStateDirectory()
        let second = TestScratch.path("rds-backupd-e2e")
        _ = try StateStore(directory: second).noteEntries([("orders", Self.orders)], now: slot.addingTimeInterval(-1))
        let schedule = try Self.schedule(simulator, in: first)

        let hosts = try [first, second].map { directory in
            try RunningBinary(
                ["run", "--schedule", schedule, "--state-dir", directory, "--poll-interval", "1s"],
                environment: Self.environment(simulator))
        }
        let settled = try await Self.eventually {
            try [first, second].allSatisfy { try Self.rows($0).first { $0.slotAt == slot }?.state == .completed }
        }
        for host in hosts { host.kill(SIGTERM) }
        for host in hosts { _ = await host.waitForExit() }
        #expect(settled, "host 1: \(hosts[0].stderr)\nhost 2: \(hosts[1].stderr)")

        let name = "orders-" + Self.slotSuffix(slot)
        let backups = simulator.backups().filter { $0.name == name }
        #expect(backups.count == 1)
        let ids = try [first, second].map { try Self.rows($0).first { $0.slotAt == slot }?.backupID }
        #expect(ids[0] != nil && ids[0] == ids[1] && ids[0] == backups.first?.id, "both hosts record the one backup")
        #expect(Set(simulator.backups().map(\.name)).count == simulator.backups().count, "one backup per slot name")
    }

    @Test func sighupReloadsAValidFileRejectsAnInvalidOneWithLineNumbersAndSIGTERMExitsCleanly() async throws {
        let simulator = try await Self.simulator()
        defer { Task { try? await simulator.shutdown() } }
        let directory = TestScratch.path("rds-backupd-e2e")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let schedule = try Self.schedule(simulator, in: directory)
        let valid = try String(contentsOfFile: schedule, encoding: .utf8)
        let binary = try RunningBinary(["run", "--schedule", schedule, "--state-dir", directory], environment: Self.environment(simulator))
        #expect(await binary.waitForLine(containing: "rds-backupd started with 1 entry"), "\(binary.stderr)")

        try valid.replacingOccurrences(of: "cron: \"* * * * *\"", with: "cron: \"0 * * * * *\"")
            .write(toFile: schedule, atomically: true, encoding: .utf8)
        binary.kill(SIGHUP)
        #expect(await binary.waitForLine(containing: "configuration rejected"), "\(binary.stderr)")
        #expect(binary.stderr.contains("schedule.yaml:15:11: backups[0].cron"), "the error names the line: \(binary.stderr)")

        try (valid + """

              - alias: payroll
                instance_id: \(SimulatorFixture.payroll)
                cron: "0 3 * * *"
            """).write(toFile: schedule, atomically: true, encoding: .utf8)
        binary.kill(SIGHUP)
        #expect(await binary.waitForLine(containing: "configuration reloaded from \(schedule): 2 entries"), "\(binary.stderr)")

        binary.kill(SIGTERM)
        #expect(await binary.waitForExit() == 0)
        #expect(binary.stderr.contains("stopping: no new slots"))
    }

    @Test func backupNowWaitsForItsBackupAndStatusAndHistoryReportIt() async throws {
        let simulator = try await Self.simulator()
        defer { Task { try? await simulator.shutdown() } }
        let directory = TestScratch.path("rds-backupd-e2e")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let schedule = try Self.schedule(simulator, in: directory)
        let common = ["--schedule", schedule, "--state-dir", directory]
        let now = try await BinaryRunner.run(
            ["backup-now", "orders", "--wait", "--poll-interval", "1s"] + common, environment: Self.environment(simulator))
        #expect(now.status == 0, "\(now.stderr)")
        #expect(now.stdout.contains("completed"))
        let backups = simulator.backups()
        #expect(backups.count == 1)

        let history = try await BinaryRunner.run(["history", "--json"] + common)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 1)
        #expect(rows.first?["trigger"] as? String == "manual")
        #expect(rows.first?["state"] as? String == "completed")
        #expect(rows.first?["backup_id"] as? String == backups.first?.id)
        #expect(rows.first?["ownership"] as? String == "created")
        #expect(rows.first?["ownership_reason"] as? String == "the create was answered with this id")

        let status = try await BinaryRunner.run(["status", "--json"] + common)
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
        #expect(entries.first?["entry"] as? String == "orders")
        #expect(entries.first?["last_backup_name"] as? String == backups.first?.name)
        #expect(entries.first?["consecutive_failures"] as? Int == 0)
        #expect(entries.first?["next_slot"] != nil)

        let unknown = try await BinaryRunner.run(["backup-now", "nosuch"] + common, environment: Self.environment(simulator))
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("entries are orders"))
    }

    static func slotSuffix(_ slot: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmm"
        return formatter.string(from: slot)
    }
}
