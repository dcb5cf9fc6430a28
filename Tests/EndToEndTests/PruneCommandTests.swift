import BackupScheduler
import Foundation
import RDSClient
import RDSSimulator
import RDSTestSupport
import Testing

/// `rds-backupd prune` as a built binary against an in-process simulator over loopback, with a state
/// directory prepared through `StateStore` as the service would have left it.
@Suite struct PruneCommandTests {
    static let orders = SimulatorFixture.orders

    /// Four completed backups of `orders` made by us (one a day, the last yesterday), one foreign
    /// backup with a name of the same shape, a schedule with `keep_last: 2`, and the OS_* variables.
    struct Setup {
        var simulator: RDSSimulator
        var schedulePath: String
        var stateDirectory: String
        var environment: [String: String]
        /// Our backups' names, oldest first.
        var ours: [String]
        var foreign: String
    }

    func withSetup(_ body: (Setup) async throws -> Void) async throws {
        let simulator = RDSSimulator(configuration: .demo, clock: .wall())
        try await simulator.start()
        do {
            let directory = TestScratch.path("rds-backupd-prune")
            let schedulePath = directory + "/schedule.yaml"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try """
            cloud:
              region: eu-de
              project_id: \(simulator.configuration.projectID)
              auth: env
              auth_url: \(simulator.iamURL)
            defaults:
              timezone: UTC
              name: "{alias}-{slot:%Y%m%d-%H%M}"
            backups:
              - alias: orders
                instance_id: \(Self.orders)
                cron: "0 2 * * *"
                retention: { keep_last: 2 }
              - alias: payroll
                instance_id: \(SimulatorFixture.payroll)
                cron: "0 3 * * *"
            """.write(toFile: schedulePath, atomically: true, encoding: .utf8)
            let schedule = try Schedule.load(path: schedulePath, now: Date())
            let entry = try #require(schedule.entry(alias: "orders"))

            let today = (Date().timeIntervalSince1970 / 86_400).rounded(.down) * 86_400
            let store = try StateStore(directory: directory + "/state")
            var ours: [String] = []
            for daysAgo in [4, 3, 2, 1] {
                let slot = Date(timeIntervalSince1970: today - Double(daysAgo) * 86_400 + 2 * 3_600)
                let name = entry.name(for: slot).value
                let id = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "") + "br01"
                simulator.addBackup(
                    SimulatedBackup(
                        id: id, instanceID: Self.orders, name: name, status: .completed, beginTime: slot.addingTimeInterval(30),
                        endTime: slot.addingTimeInterval(300), sizeKB: 51_200))
                var row = SlotRecord(entry: "orders", instanceID: Self.orders, slotAt: slot, runAt: slot, now: slot)
                row.name = name
                row.backupID = id
                row.state = .completed
                try store.save(row, now: slot)
                ours.append(name)
            }
            // Someone else's backup, older than all of ours, with a name our template could render.
            let foreignSlot = Date(timeIntervalSince1970: today - 10 * 86_400 + 2 * 3_600)
            let foreign = entry.name(for: foreignSlot).value
            simulator.addBackup(
                SimulatedBackup(
                    id: "foreign0000000000000000000000000br01", instanceID: Self.orders, name: foreign, status: .completed,
                    beginTime: foreignSlot, endTime: foreignSlot.addingTimeInterval(300), sizeKB: 1_024))

            let user = simulator.configuration.users[0]
            let environment = [
                "OS_USERNAME": user.name, "OS_PASSWORD": user.password.reveal(),
                "OS_USER_DOMAIN_NAME": simulator.configuration.domainName,
                "OS_PROJECT_ID": simulator.configuration.projectID, "OS_REGION_NAME": simulator.configuration.region,
            ]
            try await body(
                Setup(
                    simulator: simulator, schedulePath: schedulePath, stateDirectory: directory + "/state",
                    environment: environment, ours: ours, foreign: foreign))
        } catch {
            try? await simulator.shutdown()
            throw error
        }
        try await simulator.shutdown()
    }

    func arguments(_ setup: Setup, _ extra: [String]) -> [String] {
        ["prune", "--schedule", setup.schedulePath, "--state-dir", setup.stateDirectory] + extra
    }

    func completedNames(_ simulator: RDSSimulator) -> Set<String> {
        Set(simulator.backups().filter { $0.status == .completed }.map(\.name))
    }

    @Test func dryRunShowsWhatWouldGoAndChangesNothingThenPruneDeletesExactlyThat() async throws {
        try await withSetup { setup in
            let everything = completedNames(setup.simulator)
            let dry = try await BinaryRunner.run(arguments(setup, ["--dry-run"]), environment: setup.environment)
            #expect(dry.status == 0, "\(dry.stderr)")
            let header = try #require(dry.stdout.split(separator: "\n").first)
            for column in ["ENTRY", "BACKUP", "CREATED", "STATUS", "VERDICT", "RULE"] { #expect(header.contains(column)) }
            for name in setup.ours.prefix(2) {
                #expect(dry.stdout.split(separator: "\n").contains { $0.contains(name) && $0.contains("would delete") && $0.contains("keep_last=2") })
            }
            #expect(dry.stdout.split(separator: "\n").contains { $0.contains(setup.ours[3]) && $0.contains("newest_completed,keep_last") })
            #expect(dry.stdout.split(separator: "\n").contains { $0.contains(setup.foreign) && $0.contains("not made by this entry") })
            #expect(dry.stdout.contains("payroll: no retention set"))
            #expect(completedNames(setup.simulator) == everything)
            #expect(!setup.simulator.requests().contains { $0.route == .deleteBackup })

            let json = try await BinaryRunner.run(arguments(setup, ["--dry-run", "--json", "--entry", "orders"]), environment: setup.environment)
            #expect(json.status == 0, "\(json.stderr)")
            let reports = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
            #expect(reports.count == 1 && reports.first?["entry"] as? String == "orders" && reports.first?["dry_run"] as? Bool == true)
            let items = try #require(reports.first?["items"] as? [[String: Any]])
            let wouldGo = items.filter { $0["outcome"] as? String == "would_delete" }.compactMap { $0["name"] as? String }
            #expect(Set(wouldGo) == Set(setup.ours.prefix(2)))
            #expect(completedNames(setup.simulator) == everything)

            let real = try await BinaryRunner.run(arguments(setup, []), environment: setup.environment)
            #expect(real.status == 0, "\(real.stderr)")
            #expect(real.stdout.contains("orders (keep_last=2): 4 of ours, 2 deleted"), "\(real.stdout)")
            let deleting = Set(setup.simulator.backups().filter { $0.status == .deleting || $0.status == .deleted }.map(\.name))
            #expect(deleting == Set(setup.ours.prefix(2)))
            #expect(completedNames(setup.simulator) == Set(setup.ours.suffix(2) + [setup.foreign]))
            // Each deletion is logged (stderr outside systemd) with the backup's name.
            for name in setup.ours.prefix(2) { #expect(real.stderr.contains(name), "\(real.stderr)") }
            let records = try StateStore.openReadOnly(directory: setup.stateDirectory).pruneRecords(entry: "orders")
            #expect(Set(records.map(\.name)) == Set(setup.ours.prefix(2)))
        }
    }

    @Test func aHeldPruneSaysWhyInOneSentenceOnEveryRowAndBelow() async throws {
        try await withSetup { setup in
            // Today's slot failed: retention holds.
            let store = try StateStore(directory: setup.stateDirectory)
            let failed = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 86_400).rounded(.down) * 86_400 + 60)
            var row = SlotRecord(entry: "orders", instanceID: Self.orders, slotAt: failed, runAt: failed, now: failed)
            row.state = .failed
            row.errorMessage = "instance busy"
            try store.save(row, now: failed)
            let held = try await BinaryRunner.run(arguments(setup, ["--entry", "orders"]), environment: setup.environment)
            #expect(held.status == 0, "\(held.stderr)")
            let lines = held.stdout.split(separator: "\n")
            for name in setup.ours.prefix(2) {
                #expect(lines.contains { $0.contains(name) && $0.contains("held until a backup completes") && $0.contains("keep_last=2") }, "\(held.stdout)")
            }
            #expect(!held.stdout.contains("delete (held)"))
            #expect(
                held.stdout.contains(
                    "orders (keep_last=2): 4 of ours, 2 would go but are held: the latest slot of orders (\(RFC3339.formatUTC(failed))) failed, and retention deletes nothing while an entry's backups are failing, except to make room when the cloud refuses a create for quota; it resumes after the next completed backup"),
                "\(held.stdout)")
            #expect(!setup.simulator.requests().contains { $0.route == .deleteBackup })
        }
    }

    @Test func anUnknownEntryOrAMissingStateIsInvalidInputAndSendsNothing() async throws {
        try await withSetup { setup in
            let unknown = try await BinaryRunner.run(arguments(setup, ["--entry", "nosuch"]), environment: setup.environment)
            #expect(unknown.status == 2)
            #expect(unknown.stderr.contains("no entry 'nosuch'") && unknown.stderr.contains("orders, payroll"))
            let noState = try await BinaryRunner.run(
                ["prune", "--schedule", setup.schedulePath, "--state-dir", TestScratch.path("absent")],
                environment: setup.environment)
            #expect(noState.status == 2)
            #expect(noState.stderr.contains("no state database"))
            #expect(setup.simulator.requests().isEmpty)
        }
    }
}
