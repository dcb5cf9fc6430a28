import Foundation
import RDSClient
import RDSSimulator
import RDSTestSupport
import Testing

@testable import BackupScheduler

/// The service prunes an entry's own backups after each completed slot.
@Suite struct ServiceRetentionTests {
    @Test func keepLastHoldsAfterEveryCompletedSlotAndForeignBackupsSurvive() async throws {
        try await ServiceHarness.with(configure: { $0.backupDuration = 60 }) { h in
            let clock = BackupServiceTests.manualClock(h)
            let start = clock.now()
            // A backup someone else made on the same instance: never ours, never pruned.
            let foreign = try await h.client.createBackup(
                CreateBackupRequest(instanceID: BackupServiceTests.orders, name: try BackupName("made-by-hand-0001")))
            h.simulator.clock.advance(by: 120)
            let schedule = try h.schedule(backups: """
                  - alias: orders
                    instance_id: \(BackupServiceTests.orders)
                    cron: "0 * * * *"
                    retention: { keep_last: 3 }
                """)
            let driver = try await ServiceDriver.start(h, clock: clock, schedule: schedule)
            await driver.run(until: start.addingTimeInterval(8 * 3600 + 1800))
            try await driver.stop()

            let slots = try h.store.allSlots().filter { $0.entry == "orders" }
            #expect(slots.count == 8)
            #expect(slots.allSatisfy { $0.state == .completed })
            // Every backup the simulator ever held, deleted ones included.
            let ours = h.simulator.backups().filter { $0.instanceID == BackupServiceTests.orders && $0.id != foreign.id }
            let alive = ours.filter { $0.status == .completed || $0.status == .building }
            let newestThree = slots.sorted { $0.slotAt > $1.slotAt }.prefix(3).compactMap(\.backupID)
            #expect(Set(alive.map(\.id)) == Set(newestThree), "keep_last 3 after the last slot")
            #expect(ours.count == 8, "every slot made exactly one backup")
            #expect(ours.filter { $0.status == .deleting || $0.status == .deleted }.count == 5)
            #expect(h.simulator.backup(id: foreign.id)?.status == .completed, "the hand-made backup survives")
            #expect(h.logs.all.filter { $0.contains("MESSAGE_ID=\(BackupEvent.backupPruned.messageID)") }.count == 5)
        }
    }

    /// Issue 17: backups made by hand with the names of the next slots (one COMPLETED, one FAILED)
    /// are neither adopted nor counted nor deleted by `keep_last: 1`; those slots take the
    /// suffixed name, and every slot completes with a backup of its own.
    @Test func handMadeBackupsUnderTheNextSlotsNamesAreNeverAdoptedCountedOrDeleted() async throws {
        try await ServiceHarness.with(configure: { $0.backupDuration = 60 }) { h in
            let clock = BackupServiceTests.manualClock(h)
            let start = clock.now()
            let schedule = try h.schedule(backups: """
                  - alias: orders
                    instance_id: \(BackupServiceTests.orders)
                    cron: "0 * * * *"
                    retention: { keep_last: 1 }
                """)
            let entry = try #require(schedule.entry(alias: "orders"))
            let first = try #require(entry.nextSlot(after: start))
            let second = try #require(entry.nextSlot(after: first))
            var handMade: [String: SimulatedBackup.Status] = [:]
            for (slot, status) in [(first, SimulatedBackup.Status.completed), (second, .failed)] {
                let backup = SimulatedBackup(
                    id: ServiceHarness.newBackupID(), instanceID: BackupServiceTests.orders, name: entry.name(for: slot).value,
                    description: "made by hand", status: status, beginTime: start.addingTimeInterval(-600),
                    endTime: start.addingTimeInterval(-300))
                h.simulator.addBackup(backup)
                handMade[backup.id] = status
            }
            let driver = try await ServiceDriver.start(h, clock: clock, schedule: schedule)
            await driver.run(until: start.addingTimeInterval(3 * 3600 + 1800))
            try await driver.stop()

            let slots = try h.store.allSlots().filter { $0.entry == "orders" }.sorted { $0.slotAt < $1.slotAt }
            #expect(slots.count == 3)
            #expect(slots.allSatisfy { $0.state == .completed && $0.ownership == .created }, "\(slots.map { "\($0.state) \($0.note ?? "-")" })")
            #expect(slots.prefix(2).allSatisfy { $0.name?.hasSuffix("-d8e6ca") == true })
            #expect(slots.allSatisfy { slot in handMade[slot.backupID ?? ""] == nil })
            for (id, status) in handMade { #expect(h.simulator.backup(id: id)?.status == status, "hand-made \(status) survives") }
            let alive = h.backups().filter { handMade[$0.id] == nil && ($0.status == .completed || $0.status == .building) }
            #expect(alive.map(\.id) == [slots.last?.backupID], "keep_last 1 of ours")
            #expect(!h.logs.all.contains { $0.contains("adopted") })
        }
    }
}
