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

    @Test func aBackupWithTheSlotsNameIsAdoptedWithoutACreate() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry()
            _ = try await h.client.createBackup(CreateBackupRequest(instanceID: Self.orders, name: try BackupName(Self.slotName)))
            let result = await h.runner().run(try h.claim(entry), entry: entry)
            #expect(result.state == .completed)
            #expect(result.note == "adopted")
            #expect(h.createRequests() == 1, "only the test's own create")
            #expect(h.backups().count == 1)
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

    @Test func aReachedQuotaFailsAtOnceWithTheCodeAndAdvice() async throws {
        try await ServiceHarness.with(configure: { $0.manualBackupQuota = 0 }) { h in
            let entry = try h.ordersEntry()
            let result = await h.runner().run(try h.claim(entry), entry: entry)
            #expect(result.state == .failed)
            #expect(result.errorCode == "RDS.3003")
            #expect(result.requestID != nil)
            #expect(result.errorMessage?.contains("retention") == true)
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
            // The previous process created the backup and died before recording it.
            _ = try await h.client.createBackup(CreateBackupRequest(instanceID: Self.orders, name: try BackupName(Self.slotName)))
            var slot = try h.claim(entry)
            slot.state = .creating
            slot.name = Self.slotName
            slot.attempts = 1
            slot = try h.store.save(slot, now: h.clock.now())
            let result = await h.runner().run(slot, entry: entry)
            #expect(result.state == .completed)
            #expect(h.createRequests() == 1)
            #expect(h.backups().count == 1)
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
