import Foundation
import RDSClient
import RDSSimulator
import RDSTestSupport
import Testing

@testable import BackupScheduler

/// The slot runner against the simulator over loopback: exactly one backup per slot under every
/// fault, the right outcome for every permanent error, and resumption from any recorded state.
@Suite struct SlotRunnerTests {
    static let orders = SimulatorFixture.orders
    static let slotName = "orders-20270115-0800"

    @Test func aSlotCreatesFollowsAndRecordsOneCompletedBackup() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry()
            let slot = try h.claim(entry)
            let result = await h.runner().run(slot, entry: entry)
            #expect(result.state == .completed, "\(result)")
            #expect(result.name == Self.slotName)
            let backups = h.backups()
            #expect(backups.count == 1)
            #expect(backups.first?.name == Self.slotName)
            #expect(result.backupID == backups.first?.id)
            #expect(result.sizeKB == Int64(backups.first?.sizeKB ?? -1) && (result.sizeKB ?? 0) > 0)
            #expect(result.backupEndAt != nil)
            #expect(result.attempts == 1)
            // What the run recorded is what the store holds.
            #expect(try h.store.slot(id: result.id ?? -1) == result)
            #expect(h.logs.all.contains { $0.contains("MESSAGE_ID=\(BackupEvent.backupCompleted.messageID)") })
        }
    }

    @Test(arguments: [
        SimulatedFault.serverError(status: 500), .serverError(status: 502), .serverError(status: 503),
        .throttled(retryAfter: 30), .resetBeforeHandling, .resetAfterHandling, .delayBeforeHandling(seconds: 1.5),
        .delayAfterHandling(seconds: 1.5), .malformedJSON, .expireAllTokens,
    ])
    func exactlyOneBackupWhenTheCreateMeetsAFault(fault: SimulatedFault) async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry()
            h.simulator.inject(fault, on: .createBackup, count: fault == .expireAllTokens ? 1 : 2)
            let result = await h.runner().run(try h.claim(entry), entry: entry)
            #expect(result.state == .completed, "\(fault): \(result)")
            #expect(h.backups().count == 1, "\(fault): \(h.backups().map(\.name))")
            #expect(h.backups(named: Self.slotName).count == 1)
        }
    }

    @Test(arguments: [SimulatedRoute.listInstances, .listBackups, .token])
    func exactlyOneBackupWhenOtherCallsMeetFaults(route: SimulatedRoute) async throws {
        for fault in [SimulatedFault.serverError(status: 503), .throttled(retryAfter: 5), .resetBeforeHandling, .malformedJSON] {
            try await ServiceHarness.with { h in
                let entry = try h.ordersEntry()
                h.simulator.inject(fault, on: route, count: 2)
                let result = await h.runner().run(try h.claim(entry), entry: entry)
                #expect(result.state == .completed, "\(route) \(fault): \(result)")
                #expect(h.backups().count == 1, "\(route) \(fault)")
            }
        }
    }

    @Test func mixedRandomFaultsOverManySlotsGiveExactlyOneBackupPerSlot() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry("retry: { attempts: 20, initial: 1s, max: 30s }")
            var generator = SeededRandom(seed: 42)
            let faults: [SimulatedFault] = [
                .serverError(status: 500), .serverError(status: 502), .serverError(status: 503), .throttled(retryAfter: 2),
                .resetBeforeHandling, .resetAfterHandling, .malformedJSON, .expireAllTokens,
            ]
            let routes: [SimulatedRoute] = [.createBackup, .createBackup, .listBackups, .listInstances]
            var slots: [SlotRecord] = []
            for index in 0..<30 {
                // Every slot gets zero to three faults, anywhere in its calls.
                for _ in 0..<Int.random(in: 0...3, using: &generator) {
                    h.simulator.inject(faults.randomElement(using: &generator)!, on: routes.randomElement(using: &generator)!)
                }
                let slotAt = h.clock.now().addingTimeInterval(3600).rounded(toMultipleOf: 60)
                h.clock.advance(to: slotAt)
                let result = await h.runner().run(try h.claim(entry, slotAt: slotAt), entry: entry)
                #expect(result.state == .completed, "slot \(index): \(result)")
                slots.append(result)
                h.simulator.clearFaults()
            }
            let names = h.backups().map(\.name)
            #expect(names.count == 30)
            #expect(Set(names).count == 30)
            #expect(Set(slots.compactMap(\.name)) == Set(names))
        }
    }

    /// OTC's listing shows no description (docs/api-notes.md); a cloud whose listing does is checked too.
    @Test(arguments: [false, true])
    func aBackupAnotherRunMadeForTheSlotIsAdoptedWithoutACreateAndTheRowSaysWhy(listsDescriptions: Bool) async throws {
        try await ServiceHarness.with(configure: { $0.listsBackupDescriptions = listsDescriptions }) { h in
            let entry = try h.ordersEntry()
            // Another host on the same schedule (or a run whose answer was lost): the slot's name and description.
            _ = try await h.client.createBackup(
                CreateBackupRequest(
                    instanceID: Self.orders, name: try BackupName(Self.slotName), description: entry.description(for: h.clock.now())))
            let result = await h.runner().run(try h.claim(entry), entry: entry)
            #expect(result.state == .completed)
            #expect(result.note == "adopted")
            #expect(result.ownership == .adopted)
            let evidence = listsDescriptions ? "carries the slot's description" : "the listing shows no description to compare"
            #expect(result.ownershipReason?.contains(evidence) == true, "\(result.ownershipReason ?? "-")")
            #expect(h.createRequests() == 1, "only the other run's create")
            #expect(h.backups().count == 1)
            #expect(try h.store.slot(id: result.id ?? -1)?.ownership == .adopted)
        }
    }

    @Test func aBackupTheSlotCreatedIsRecordedAsCreated() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry()
            let result = await h.runner().run(try h.claim(entry), entry: entry)
            #expect(result.state == .completed)
            #expect(result.ownership == .created)
            #expect(result.ownershipReason == "the create was answered with this id")
        }
    }

    /// Someone made a backup by hand with the slot's name on the slot's own instance: by its begin
    /// time or its description it is not the slot's. It is neither adopted nor followed (a FAILED
    /// one no longer fails the slot); the slot creates its own under the suffixed name.
    @Test(arguments: [
        (SimulatedBackup.Status.completed, -3_600.0, true), (.failed, -3_600.0, false), (.completed, 30.0, false),
        (.failed, 30.0, false), (.building, -121.0, true),
    ])
    func aHandMadeBackupWithTheSlotsNameIsForeignAndTheSlotTakesTheSuffixedName(
        status: SimulatedBackup.Status, begunAfterSlot: Double, slotsDescription: Bool
    ) async throws {
        // A cloud whose listing shows descriptions (OTC's does not: the time rule alone is tested below).
        try await ServiceHarness.with(configure: { $0.listsBackupDescriptions = true }) { h in
            let entry = try h.ordersEntry()
            let slot = try h.claim(entry)
            let handMade = SimulatedBackup(
                id: ServiceHarness.newBackupID(), instanceID: Self.orders, name: Self.slotName,
                description: slotsDescription ? entry.description(for: slot.slotAt).value : "made by hand", status: status,
                beginTime: slot.slotAt.addingTimeInterval(begunAfterSlot),
                endTime: status == .building ? nil : slot.slotAt.addingTimeInterval(begunAfterSlot + 60))
            h.simulator.addBackup(handMade)
            let result = await h.runner().run(slot, entry: entry)
            let label: Comment = "\(status) \(begunAfterSlot) \(slotsDescription)"
            #expect(result.state == .completed, "\(label.rawValue): \(result)")
            #expect(result.name == Self.slotName + "-d8e6ca", label)
            #expect(result.backupID != handMade.id, label)
            #expect(result.ownership == .created, label)
            #expect(h.simulator.backup(id: handMade.id)?.status == (status == .building ? .completed : status), label)
            #expect(h.logs.all.contains { $0.contains("backup \(handMade.id), which is not this slot's") }, label)
            // One backup made; the hand-made one still alone under its name (a BUILDING one makes
            // the instance busy, so creates are refused until it ends).
            #expect(h.simulator.requests().filter { $0.route == .createBackup && $0.status == 200 }.count == 1, label)
            #expect(h.backups(named: Self.slotName).map(\.id) == [handMade.id], label)
        }
    }

    /// On a cloud whose listing shows no description (OTC's, the simulator's default) the begin
    /// time decides: a hand-made backup from before the slot (less the skew) is foreign, whatever
    /// its status, and the slot makes its own under the suffixed name.
    @Test(arguments: [SimulatedBackup.Status.completed, .failed])
    func withoutListedDescriptionsABackupFromBeforeTheSlotIsForeign(status: SimulatedBackup.Status) async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry()
            let slot = try h.claim(entry)
            let handMade = SimulatedBackup(
                id: ServiceHarness.newBackupID(), instanceID: Self.orders, name: Self.slotName,
                description: entry.description(for: slot.slotAt).value, status: status,
                beginTime: slot.slotAt.addingTimeInterval(-121), endTime: slot.slotAt.addingTimeInterval(-61))
            h.simulator.addBackup(handMade)
            let result = await h.runner().run(slot, entry: entry)
            #expect(result.state == .completed, "\(result)")
            #expect(result.name == Self.slotName + "-d8e6ca")
            #expect(result.ownership == .created)
            #expect(h.simulator.backup(id: handMade.id)?.status == status)
            #expect(h.logs.all.contains { $0.contains("before the slot's first possible run") })
        }
    }

    @Test func aBackupTheStateRecordsForAnotherSlotIsNeverAdopted() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry()
            let slot = try h.claim(entry)
            let backup = try await h.client.createBackup(
                CreateBackupRequest(instanceID: Self.orders, name: try BackupName(Self.slotName), description: entry.description(for: slot.slotAt)))
            // A row of another entry holds it (a manual `backup-now` slot, say).
            var other = SlotRecord(
                entry: "billing", instanceID: Self.orders, slotAt: slot.slotAt.addingTimeInterval(-1), runAt: slot.slotAt, trigger: .manual,
                now: slot.slotAt)
            other.backupID = backup.id
            other.name = Self.slotName
            other.state = .created
            try h.store.save(other, now: h.clock.now())
            let result = await h.runner().run(slot, entry: entry)
            #expect(result.state == .completed, "\(result)")
            #expect(result.name == Self.slotName + "-d8e6ca")
            #expect(result.backupID != backup.id)
            #expect(h.logs.all.contains { $0.contains("the state records it for slot") && $0.contains("of entry billing") })
        }
    }

    @Test func whenTheSuffixedNameIsHeldTooTheSlotFailsSayingSoWithoutACreate() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry()
            let slot = try h.claim(entry)
            for name in [Self.slotName, Self.slotName + "-d8e6ca"] {
                h.simulator.addBackup(
                    SimulatedBackup(
                        id: ServiceHarness.newBackupID(), instanceID: Self.orders, name: name, status: .completed,
                        beginTime: slot.slotAt.addingTimeInterval(-7_200), endTime: slot.slotAt.addingTimeInterval(-7_000)))
            }
            let result = await h.runner().run(slot, entry: entry)
            #expect(result.state == .failed)
            #expect(result.errorMessage?.contains("and so was the unsuffixed name \(Self.slotName)") == true, "\(result.errorMessage ?? "-")")
            #expect(h.createRequests() == 0)
        }
    }

    @Test func aForeignBackupHoldingTheNameOnAnotherInstanceLeadsToOneSuffixedBackup() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry()
            // Name uniqueness is per project in the simulator: another instance holds the name.
            _ = try await h.client.createBackup(
                CreateBackupRequest(instanceID: SimulatorFixture.payroll, name: try BackupName(Self.slotName)))
            let result = await h.runner().run(try h.claim(entry), entry: entry)
            #expect(result.state == .completed, "\(result)")
            #expect(result.name == Self.slotName + "-d8e6ca")
            #expect(h.backups().map(\.name) == [Self.slotName + "-d8e6ca"])
            #expect(h.logs.all.contains { $0.contains("held by a backup of another instance") })
        }
    }

    @Test func aMissingInstanceFailsTheSlotWithAClearMessage() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry(instance: String(repeating: "0", count: 28) + "deadin01")
            let result = await h.runner().run(try h.claim(entry), entry: entry)
            #expect(result.state == .failed)
            #expect(result.errorMessage?.contains("does not exist in the project") == true)
            #expect(result.attempts == 1, "not retried")
            #expect(h.createRequests() == 0)
        }
    }

    @Test func aReadReplicaFailsTheSlotWithAClearMessage() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry(instance: SimulatorFixture.replica)
            let result = await h.runner().run(try h.claim(entry), entry: entry)
            #expect(result.state == .failed)
            #expect(result.errorMessage?.contains("read replica") == true)
            #expect(h.createRequests() == 0)
        }
    }

    @Test func databasesOnAnEngineOtherThanSQLServerFailTheSlot() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry()
            var partial = entry
            partial.databases = ["hr"]
            let result = await h.runner().run(try h.claim(partial), entry: partial)
            #expect(result.state == .failed)
            #expect(result.errorMessage?.contains("only for SQL Server") == true)
            #expect(h.createRequests() == 0)
        }
    }

    @Test func aReachedQuotaWithoutRetentionFailsAtOnceSayingToSetIt() async throws {
        try await ServiceHarness.with(configure: { $0.manualBackupQuota = 0 }) { h in
            let entry = try h.ordersEntry()
            let result = await h.runner().run(try h.claim(entry), entry: entry)
            #expect(result.state == .failed)
            #expect(result.errorCode == "RDS.3003")
            #expect(result.requestID != nil)
            let message = result.errorMessage ?? ""
            #expect(message.contains("quota is reached") && message.contains("no retention is set for entry orders"), "\(message)")
            #expect(message.contains("set `retention`"))
            #expect(h.createRequests() == 1)
            #expect(h.backups().isEmpty)
        }
    }

    @Test func anInvalidTokenAfterReauthenticationFailsAsAuth() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry()
            h.simulator.inject(.expireAllTokens, on: .listInstances, count: 2)
            let result = await h.runner().run(try h.claim(entry), entry: entry)
            #expect(result.state == .failed)
            #expect(result.errorCode == "APIG.0307")
            #expect(h.backups().isEmpty)
        }
    }

    @Test func aBackupTheCloudReportsFailedFailsTheSlot() async throws {
        try await ServiceHarness.with { h in
            h.simulator.updateInstance(id: Self.orders) { $0.backupsFail = true }
            let entry = try h.ordersEntry()
            let result = await h.runner().run(try h.claim(entry), entry: entry)
            #expect(result.state == .failed)
            #expect(result.backupID != nil)
            #expect(result.errorMessage?.contains("FAILED") == true)
            #expect(h.backups().count == 1)
        }
    }

    @Test func anInstanceThatStaysNotActiveIsRetriedUntilTheAttemptsRunOut() async throws {
        try await ServiceHarness.with { h in
            h.simulator.updateInstance(id: Self.orders) { $0.status = "REBOOTING" }
            let entry = try h.ordersEntry("retry: { attempts: 4, initial: 10s, max: 1m }")
            let result = await h.runner().run(try h.claim(entry), entry: entry)
            #expect(result.state == .failed)
            #expect(result.attempts == 4)
            #expect(result.errorMessage?.contains("REBOOTING, not ACTIVE") == true)
            #expect(h.createRequests() == 0)
        }
    }

    @Test func anInstanceThatBecomesActiveGetsItsBackup() async throws {
        try await ServiceHarness.with { h in
            h.simulator.updateInstance(id: Self.orders) { $0.status = "MODIFYING" }
            let simulator = h.simulator
            let started = h.clock.now()
            // The instance is ACTIVE again 30 s later (on the shared clock).
            let clock = ManualServiceClock(start: started) { date in
                simulator.clock.set(date)
                if date >= started.addingTimeInterval(30) { simulator.updateInstance(id: Self.orders) { $0.status = "ACTIVE" } }
            }
            let entry = try h.ordersEntry()
            var runner = h.runner()
            runner.clock = clock
            let result = await runner.run(try h.claim(entry), entry: entry)
            #expect(result.state == .completed, "\(result)")
            #expect(result.attempts > 1)
            #expect(h.backups().count == 1)
        }
    }

    @Test func retriesStopAtTheStartWindowAndRecordTheLastError() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry("start_window: 5m\nretry: { attempts: 50, initial: 1m, max: 10m }")
            h.simulator.inject(.serverError(status: 503), on: .createBackup, count: 100)
            let result = await h.runner().run(try h.claim(entry), entry: entry)
            #expect(result.state == .failed)
            #expect(result.errorMessage?.contains("the start window closed") == true)
            #expect(result.errorCode != nil)
            #expect(result.requestID != nil)
            #expect(h.clock.now() <= result.runAt.addingTimeInterval(300), "no retry past the start window")
            #expect(h.backups().isEmpty)
        }
    }

    @Test func throttlingHonoursRetryAfter() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry("retry: { attempts: 5, initial: 1s, max: 2s }")
            let before = h.clock.now()
            h.simulator.inject(.throttled(retryAfter: 120), on: .createBackup, count: 1)
            let result = await h.runner().run(try h.claim(entry), entry: entry)
            #expect(result.state == .completed)
            let creates = h.simulator.requests().filter { $0.route == .createBackup }.map(\.receivedAt)
            #expect(creates.count == 2)
            #expect(creates[1].timeIntervalSince(creates[0]) >= 120)
            #expect(creates[0] >= before)
        }
    }

    @Test func aSlotLeftCreatingWhoseBackupExistsIsAdoptedNotCreatedAgain() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry()
            var slot = try h.claim(entry)
            // The previous process created the backup and died before recording it.
            _ = try await h.client.createBackup(
                CreateBackupRequest(
                    instanceID: Self.orders, name: try BackupName(Self.slotName), description: entry.description(for: slot.slotAt)))
            slot.state = .creating
            slot.name = Self.slotName
            slot.attempts = 1
            slot = try h.store.save(slot, now: h.clock.now())
            h.clock.advance(by: 600)
            let result = await h.runner().run(slot, entry: entry)
            #expect(result.state == .completed)
            #expect(result.ownership == .adopted)
            #expect(h.createRequests() == 1)
            #expect(h.backups().count == 1)
        }
    }

    /// A 409 "already exists" whose backup is the slot's own (another host created it between the
    /// slot's listing and its create) is settled by a listing that meets a 503 first: retried, not failed.
    @Test func aTransientErrorWhileSettlingANameConflictIsRetried() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry()
            let slot = try h.claim(entry)
            let simulator = h.simulator
            let result = await Self.runnerRacedByAnotherHost(h, entry: entry, slot: slot) {
                simulator.inject(.serverError(status: 503), on: .listBackups, count: 2)
            }.run(slot, entry: entry)
            #expect(result.state == .completed, "\(result)")
            #expect(result.note == "adopted (created by another run for the same slot)")
            #expect(result.ownership == .adopted)
            #expect(h.backups().count == 1)
            let creates = h.simulator.requests().filter { $0.route == .createBackup }.compactMap(\.status)
            #expect(creates == [200, 409])
            #expect(h.simulator.requests().filter { $0.route == .listBackups && $0.status == 503 }.count == 2)
        }
    }

    /// Where the cloud does not enforce unique names, a "backup in progress" 409 may be the slot's
    /// own backup, made by another host: the runner lists by name before creating again.
    @Test func afterABackupInProgressRefusalTheRunnerListsBeforeCreatingAgain() async throws {
        try await ServiceHarness.with(configure: { $0.nameUniqueness = .notEnforced }) { h in
            let entry = try h.ordersEntry()
            let slot = try h.claim(entry)
            let result = await Self.runnerRacedByAnotherHost(h, entry: entry, slot: slot).run(slot, entry: entry)
            #expect(result.state == .completed, "\(result)")
            #expect(result.ownership == .adopted)
            #expect(h.backups(named: Self.slotName).count == 1, "\(h.backups().map(\.name))")
            let statuses = h.simulator.requests().filter { $0.route == .createBackup }.compactMap(\.status)
            #expect(statuses == [200, 409], "the other host's create, then ours refused as busy; none after")
        }
    }

    @Test func aSlotLeftCreatingWithoutABackupIsCreatedInsideItsWindowAndMissedAfterIt() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry("start_window: 10m")
            var inside = try h.claim(entry)
            inside.state = .creating
            inside = try h.store.save(inside, now: h.clock.now())
            let resumed = await h.runner().run(inside, entry: entry)
            #expect(resumed.state == .completed)

            let later = h.clock.now().addingTimeInterval(86_400).rounded(toMultipleOf: 60)
            var outside = try h.claim(entry, slotAt: later)
            outside.state = .creating
            outside = try h.store.save(outside, now: h.clock.now())
            h.clock.advance(to: later.addingTimeInterval(3600))
            let late = await h.runner().run(outside, entry: entry)
            #expect(late.state == .missed)
            #expect(late.note?.contains("start window") == true)
            #expect(h.createRequests() == 1, "never created late")
        }
    }

    @Test func aSlotLeftCreatedIsFollowedToCompletion() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry()
            let backup = try await h.client.createBackup(CreateBackupRequest(instanceID: Self.orders, name: try BackupName(Self.slotName)))
            var slot = try h.claim(entry)
            slot.state = .created
            slot.backupID = backup.id
            slot.name = Self.slotName
            slot = try h.store.save(slot, now: h.clock.now())
            let result = await h.runner().run(slot, entry: entry)
            #expect(result.state == .completed)
            #expect(result.sizeKB != nil)
            #expect(h.createRequests() == 1)
        }
    }

    @Test func aPendingSlotPastItsStartWindowIsMissedWithoutAnyCall() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry("start_window: 10m")
            let slot = try h.claim(entry)
            h.clock.advance(by: 11 * 60)
            let result = await h.runner().run(slot, entry: entry)
            #expect(result.state == .missed)
            #expect(h.simulator.requests().isEmpty)
        }
    }

    @Test func theRowSaysCreatingWhileTheCreateIsInFlight() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry()
            let slot = try h.claim(entry)
            let store = h.store
            let seen = LockedBox<SlotState?>(nil)
            let runner = h.runner { point in
                if point == .afterCreate { seen.set(try? store.slot(id: slot.id ?? -1)?.state) }
            }
            let result = await runner.run(slot, entry: entry)
            #expect(seen.get() == .creating)
            #expect(result.state == .completed)
        }
    }

    /// A runner whose slot's backup another host on the same schedule creates (the slot's name and
    /// description) just after the slot's listing, before its create; then `after` runs.
    static func runnerRacedByAnotherHost(
        _ h: ServiceHarness, entry: BackupEntry, slot: SlotRecord, after: @escaping @Sendable () -> Void = {}
    ) -> SlotRunner {
        let client = h.client
        let description = entry.description(for: slot.slotAt)
        return h.runner { point in
            guard point == .beforeCreate else { return }
            _ = try? await client.createBackup(
                CreateBackupRequest(instanceID: Self.orders, name: try! BackupName(Self.slotName), description: description))
            after()
        }
    }

    @Test func suffixedNamesAreDeterministicAndValid() throws {
        let long = try BackupName(String(repeating: "a", count: 64))
        let suffixed = long.collisionSuffixed(instanceID: Self.orders)
        #expect(suffixed.value.count == 64)
        #expect(suffixed.value.hasSuffix("-d8e6ca"))
        #expect(long.collisionSuffixed(instanceID: Self.orders) == suffixed)
    }
}

/// A value shared with a `@Sendable` closure in a test.
final class LockedBox<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func get() -> Value { lock.withLock { value } }
    func set(_ newValue: Value) { lock.withLock { value = newValue } }
    func update(_ change: (inout Value) -> Void) { lock.withLock { change(&value) } }
}

extension Date {
    /// Rounded up to a multiple of `seconds` since 1970.
    func rounded(toMultipleOf seconds: TimeInterval) -> Date {
        Date(timeIntervalSince1970: (timeIntervalSince1970 / seconds).rounded(.up) * seconds)
    }
}
