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
}
