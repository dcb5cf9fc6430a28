import BackupScheduler
import Foundation
import RDSClient
import RDSSimulator
import RDSTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The built binary (`rds-backupd run`) SIGKILLed at every point of a slot, then restarted against
/// the same simulator and state directory: exactly one backup for the slot, a consistent state row,
/// retention applied once. Points inside the process stop through `RDS_BACKUPD_TEST_PAUSE_AT`
/// (`SlotRunner.checkpoint`); "the create is on the wire" is held by the simulator, which records
/// the request and delays its answer (or its handling), so the kill lands with the request sent and
/// the answer never read.
@Suite(.serialized) struct CrashPointTests {
    static let orders = SimulatorFixture.orders

    enum CrashPoint: String, CaseIterable, CustomTestStringConvertible, Sendable {
        /// The slot started (row written), the instance check not sent.
        case beforeInstanceCheck = "before-instance-check"
        /// The row says `creating`, the create not sent.
        case beforeCreate = "before-create"
        /// The create reached the cloud and was handled; its answer is held back, never read.
        case createSentUnanswered = "create-sent-unanswered"
        /// The create reached the cloud but is handled only after the process died.
        case createSentUnhandled = "create-sent-unhandled"
        /// The create was answered; the row does not know the backup yet.
        case afterCreate = "after-create"
        /// The row says `created`; the backup is being followed.
        case duringFollow = "during-follow"
        /// The cloud reports COMPLETED; the row is not written yet.
        case beforeCompletedWrite = "before-completed-write"
        /// The slot is recorded COMPLETED; retention is about to delete the older backup.
        case duringPrune = "during-prune"

        var testDescription: String { rawValue }

        /// The checkpoint name the process pauses at, nil when the simulator holds the request.
        var pauseAt: String? {
            switch self {
            case .createSentUnanswered, .createSentUnhandled: nil
            default: rawValue
            }
        }
    }

    struct Setup {
        var simulator: RDSSimulator
        var directory: String
        var arguments: [String]
        var environment: [String: String]
        var slot: Date
        var name: String
        var oldBackupID: String
    }

    /// A wall-clock simulator (backups finish in half a second); a state directory where `orders`
    /// (daily, at the minute before now, `keep_last: 1`) has yesterday's completed backup and was
    /// first seen just before today's slot, so the binary finds exactly that slot due at once and
    /// no other slot comes due for a day.
    static func withSetup(_ body: (Setup) async throws -> Void) async throws {
        var configuration = SimulatorConfiguration.demo
        configuration.backupDuration = 0.5
        let simulator = RDSSimulator(configuration: configuration, clock: .wall())
        try await simulator.start()
        do {
            let directory = TestScratch.path("rds-backupd-crash")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
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
              name: "{alias}-{slot:%Y%m%d-%H%M}"
              start_window: 1h
              completion_window: 5m
              jitter: 0s
              retry: { attempts: 5, initial: 1s, max: 2s }
            backups:
              - alias: orders
                instance_id: \(orders)
                cron: "\(due.cron)"
                retention: { keep_last: 1 }
            """.write(toFile: schedulePath, atomically: true, encoding: .utf8)
            let entry = try #require(try Schedule.load(path: schedulePath, now: Date()).entry(alias: "orders"))

            let store = try StateStore(directory: directory)
            _ = try store.noteEntries([("orders", orders)], now: slot.addingTimeInterval(-86_401))
            let yesterday = slot.addingTimeInterval(-86_400)
            let oldName = entry.name(for: yesterday).value
            let oldID = "old0000000000000000000000000000br01"
            simulator.addBackup(
                SimulatedBackup(
                    id: oldID, instanceID: orders, name: oldName, status: .completed, beginTime: yesterday.addingTimeInterval(5),
                    endTime: yesterday.addingTimeInterval(60), sizeKB: 4_096))
            var row = SlotRecord(entry: "orders", instanceID: orders, slotAt: yesterday, runAt: yesterday, now: yesterday)
            row.name = oldName
            row.backupID = oldID
            row.state = .completed
            try store.save(row, now: yesterday)

            let user = configuration.users[0]
            let setup = Setup(
                simulator: simulator, directory: directory,
                arguments: ["run", "--schedule", schedulePath, "--state-dir", directory, "--poll-interval", "1s"],
                environment: [
                    "OS_USERNAME": user.name, "OS_PASSWORD": user.password.reveal(),
                    "OS_USER_DOMAIN_NAME": configuration.domainName,
                ],
                slot: slot, name: entry.name(for: slot).value, oldBackupID: oldID)
            try await body(setup)
            try await simulator.shutdown()
        } catch {
            try? await simulator.shutdown()
            throw error
        }
    }

    /// Polls real state (a real process and a real server are awaited) until `condition` holds or `timeout` passes.
    static func eventually(timeout: Duration = .seconds(10), _ condition: () throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return try condition()
    }

    static func row(_ setup: Setup) throws -> SlotRecord? {
        let rows = try StateStore.openReadOnly(directory: setup.directory).allSlots().filter { $0.slotAt == setup.slot }
        #expect(rows.count <= 1, "one row per slot: \(rows)")
        return rows.first
    }

    static func createRequests(_ simulator: RDSSimulator) -> [RecordedRequest] {
        simulator.requests().filter { $0.route == .createBackup }
    }

    @Test(arguments: CrashPoint.allCases)
    func aSIGKILLAtThisPointIsResumedWithExactlyOneBackupAndAConsistentRow(_ point: CrashPoint) async throws {
        try await Self.withSetup { setup in
            let simulator = setup.simulator
            var environment = setup.environment
            if let pauseAt = point.pauseAt { environment["RDS_BACKUPD_TEST_PAUSE_AT"] = pauseAt }
            switch point {
            case .createSentUnanswered: simulator.inject(.delayAfterHandling(seconds: 60), on: .createBackup)
            case .createSentUnhandled: simulator.inject(.delayBeforeHandling(seconds: 1.5), on: .createBackup)
            default: break
            }

            // 1. Run to the point, then SIGKILL.
            let first = try RunningBinary(setup.arguments, environment: environment)
            if let pauseAt = point.pauseAt {
                #expect(await first.waitForLine(containing: "test-pause: \(pauseAt)", timeout: .seconds(10)), "stderr: \(first.stderr)")
            } else {
                let onTheWire = await Self.eventually {
                    let creates = Self.createRequests(simulator)
                    return point == .createSentUnanswered ? creates.count == 1 && simulator.backups().count == 2 : creates.count == 1
                }
                #expect(onTheWire, "stderr: \(first.stderr)")
            }
            first.kill(SIGKILL)
            #expect(await first.waitForExit(timeout: .seconds(5)) == 128 + SIGKILL)

            // 2. What the crash left behind.
            let left = try #require(try Self.row(setup), "the slot was claimed before the point: \(first.stderr)")
            let slotBackups = { simulator.backups().filter { $0.name == setup.name } }
            switch point {
            case .beforeInstanceCheck:
                #expect(left.state == .pending && left.startedAt != nil)
                #expect(slotBackups().isEmpty && Self.createRequests(simulator).isEmpty)
            case .beforeCreate:
                #expect(left.state == .creating && left.name == setup.name)
                #expect(slotBackups().isEmpty && Self.createRequests(simulator).isEmpty, "nothing sent yet")
            case .createSentUnanswered, .afterCreate:
                #expect(left.state == .creating && left.backupID == nil, "the state does not know the backup")
                #expect(slotBackups().count == 1, "the cloud has it")
            case .createSentUnhandled:
                #expect(left.state == .creating && left.backupID == nil)
                #expect(slotBackups().isEmpty, "the cloud has not handled the create yet")
            case .duringFollow, .beforeCompletedWrite:
                #expect(left.state == .created && left.backupID == slotBackups().first?.id)
            case .duringPrune:
                #expect(left.state == .completed && left.backupID == slotBackups().first?.id)
                #expect(simulator.backup(id: setup.oldBackupID)?.status == .completed, "the older backup is not deleted yet")
            }

            // 3. Restart without the pause; the slot settles.
            let second = try RunningBinary(setup.arguments, environment: setup.environment)
            let settled = try await Self.eventually { try Self.row(setup)?.state == .completed }
            if point == .createSentUnhandled {
                // The first process's create is handled by the cloud after it died: it must not make a second backup.
                #expect(await Self.eventually { Self.createRequests(simulator).first?.status != nil }, "the late create was handled")
            }
            let pruned = await Self.eventually(timeout: .seconds(5)) {
                point == .duringPrune || simulator.backup(id: setup.oldBackupID)?.status != .completed
            }
            // SIGTERM once it handles signals (a completed slot leaves nothing to wait for).
            #expect(await second.waitForLine(containing: "rds-backupd started with", timeout: .seconds(10)), "stderr: \(second.stderr)")
            second.kill(SIGTERM)
            let status = await second.waitForExit(timeout: .seconds(10))
            #expect(status == 0, "exit status \(status); stderr: \(second.stderr)")
            #expect(settled, "first: \(first.stderr)\nsecond: \(second.stderr)")
            #expect(pruned, "the restarted service applied retention after the slot: \(second.stderr)")
            if point == .duringPrune {
                // The completed slot is not run again; the next prune (here the command) deletes what the crash left.
                let prune = try await BinaryRunner.run(
                    ["prune", "--schedule", setup.arguments[2], "--state-dir", setup.directory], environment: setup.environment,
                    timeout: .seconds(15))
                #expect(prune.status == 0, "\(prune.stderr)")
            }

            // 4. Exactly one backup for the slot, the row holds it, nothing else left behind.
            let backups = slotBackups()
            #expect(backups.count == 1, "exactly one backup for the slot: \(backups.map(\.id))")
            #expect(simulator.counters().backupsCreated == 1, "one create took effect")
            let creates = Self.createRequests(simulator).count
            switch point {
            case .beforeInstanceCheck, .beforeCreate, .createSentUnanswered, .afterCreate, .duringFollow,
                .beforeCompletedWrite, .duringPrune:
                #expect(creates == 1, "the restart settles by listing, never by creating again")
            case .createSentUnhandled:
                #expect(creates <= 2, "at most the lost create and one more")
            }
            let row = try #require(try Self.row(setup))
            #expect(row.state == .completed)
            #expect(row.name == setup.name)
            #expect(row.backupID == backups.first?.id, "the row holds the slot's one backup")
            #expect(row.errorMessage == nil)
            let store = try StateStore.openReadOnly(directory: setup.directory)
            #expect(try store.unfinished().isEmpty)
            #expect(try store.allSlots().count == 2, "yesterday's slot and today's, no other")
            #expect(
                simulator.backup(id: setup.oldBackupID).map { $0.status == .deleting || $0.status == .deleted } ?? true,
                "retention deleted the older backup once")
        }
    }
}
