import BackupScheduler
import Foundation
import RDSSimulator
import RDSTestSupport
import Testing

/// `status`, `backup-now` and `prune` on a `select:` entry, as a built binary: they work on the
/// instance streams (ALIAS@INSTANCE_ID) the service recorded in the state.
@Suite struct FleetCommandsTests {
    static let shopEU = "1f0e2d3c4b5a69788796a5b4c3d2e1f0in01"
    static let shopAnalytics = "2a1b3c4d5e6f708192a3b4c5d6e7f809in03"

    @Test func commandsWorkOnTheStreamsTheServiceRecorded() async throws {
        var configuration = SimulatorConfiguration.demo
        configuration.instances += SimulatedInstance.demoFleet
        configuration.backupDuration = 1
        let simulator = RDSSimulator(configuration: configuration, clock: .wall())
        try await simulator.start()
        do { try await exercise(simulator, configuration) } catch {
            try? await simulator.shutdown()
            throw error
        }
        try await simulator.shutdown()
    }

    func exercise(_ simulator: RDSSimulator, _ configuration: SimulatorConfiguration) async throws {

        let directory = TestScratch.path("rds-fleet")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/schedule.yaml"
        try """
            cloud: { region: eu-de, project_id: \(configuration.projectID), auth: env, auth_url: "\(simulator.iamURL)" }
            defaults: { timezone: UTC }
            backups:
              - alias: shop
                select: { tags: { backup: daily } }
                name: "{instance_name}-{slot:%Y%m%d-%H%M%S}"
                cron: "0 3 * * *"
                retention: { keep_last: 3 }
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let state = directory + "/state"
        let store = try StateStore(directory: state)
        _ = try store.noteEntries(
            [("shop@\(Self.shopEU)", Self.shopEU), ("shop@\(Self.shopAnalytics)", Self.shopAnalytics)], now: Date())
        let user = configuration.users[0]
        let environment = [
            "OS_USERNAME": user.name, "OS_PASSWORD": user.password.reveal(), "OS_USER_DOMAIN_NAME": configuration.domainName,
        ]
        let options = ["--schedule", path, "--state-dir", state]

        let status = try await BinaryRunner.run(["status"] + options, environment: environment)
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("shop@\(Self.shopEU)") && status.stdout.contains("shop@\(Self.shopAnalytics)"), "\(status.stdout)")

        let ambiguous = try await BinaryRunner.run(["backup-now", "shop"] + options, environment: environment)
        #expect(ambiguous.status == 2)
        #expect(ambiguous.stderr.contains("entry 'shop' selects instances; name one stream as shop@INSTANCE_ID"), "\(ambiguous.stderr)")
        #expect(ambiguous.stderr.contains("shop@\(Self.shopEU)"))
        #expect(simulator.backups().filter { $0.instanceID == Self.shopEU }.isEmpty)

        let taken = try await BinaryRunner.run(
            ["backup-now", "shop@\(Self.shopEU)", "--wait", "--poll-interval", "1s"] + options, environment: environment)
        #expect(taken.status == 0, "\(taken.stderr)")
        #expect(taken.stdout.contains("backup shop-eu-") && taken.stdout.contains("of shop@\(Self.shopEU) completed"), "\(taken.stdout)")
        #expect(simulator.backups().filter { $0.instanceID == Self.shopEU }.count == 1)
        #expect(simulator.backups().filter { $0.instanceID == Self.shopAnalytics }.isEmpty)

        let history = try await BinaryRunner.run(["history", "--entry", "shop", "--state-dir", state], environment: environment)
        #expect(history.status == 0, "\(history.stderr)")
        #expect(history.stdout.contains("shop@\(Self.shopEU)  completed (backup-now)  shop-eu-"), "\(history.stdout)")

        let pruned = try await BinaryRunner.run(["prune", "--entry", "shop", "--dry-run", "--json"] + options, environment: environment)
        #expect(pruned.status == 0, "\(pruned.stderr)")
        #expect(pruned.stdout.contains("shop@\(Self.shopEU)") && pruned.stdout.contains("shop@\(Self.shopAnalytics)"), "\(pruned.stdout)")
    }
}
