import Foundation
import GRDB
import RDSTestSupport
import Testing

@testable import BackupScheduler

/// A state file written by the release before the structural step (issue 16): the service ran
/// Tests/Fixtures/state-2026-12-06/schedule.yaml on the embedded simulator for two slots
/// (`orders`, and `shop`'s `select:` matching two instances, kept apart as `shop@INSTANCE_ID`),
/// retention `keep_last: 1` deleted the first slot's three backups. Whatever the schema becomes,
/// such a file opens and keeps its history, its streams and what retention did; since "v4:
/// ownership" each backup it holds is recorded as created or adopted, with the reason.
struct EarlierStateFileTests {
    static let fixture = BinaryRunner.packageRoot.appendingPathComponent("Tests/Fixtures/state-2026-12-06/state.sqlite")
    static let shopEU = "1f0e2d3c4b5a69788796a5b4c3d2e1f0in01"
    static let shopAnalytics = "2a1b3c4d5e6f708192a3b4c5d6e7f809in03"
    static let orders = "d8e6ca5a624745bcb546a227aa3ae1cfin01"

    /// A copy of the fixture in a scratch directory (opening migrates it in place).
    static func copy() throws -> String {
        let directory = TestScratch.path("rds-backupd-earlier-state")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture.path, toPath: directory + "/" + StateStore.fileName)
        return directory
    }

    @Test func itOpensAndKeepsEverySlot() throws {
        let store = try StateStore(directory: try Self.copy())
        let slots = try store.allSlots()
        #expect(slots.count == 6)
        #expect(slots.allSatisfy { $0.state == .completed && $0.backupID != nil && $0.sizeKB != nil })
        let history = try store.history(entry: "orders")
        #expect(history.map(\.name) == [
            "orders-\(Self.orders)-20261206-2343", "orders-\(Self.orders)-20261206-2342",
        ])
        #expect(history.allSatisfy { $0.instanceID == Self.orders })
        let summary = try store.summary(entry: "orders")
        #expect(summary.consecutiveFailures == 0)
        #expect(summary.lastOutcome?.state == .completed)
    }

    @Test func itKeepsTheStreamsOfASelectEntry() throws {
        let store = try StateStore(directory: try Self.copy())
        let streams = try store.knownStreams()
        #expect(Set(streams.keys) == ["shop"])
        #expect(Set(streams["shop", default: []].map(\.instanceID)) == [Self.shopEU, Self.shopAnalytics])
        let history = try store.history(entry: "shop@\(Self.shopEU)")
        #expect(history.count == 2)
        #expect(history.allSatisfy { $0.instanceID == Self.shopEU })
        #expect(try store.catchUpCursor(alias: "shop@\(Self.shopAnalytics)", instanceID: Self.shopAnalytics) != nil)
    }

    @Test func itKeepsWhatRetentionDid() throws {
        let store = try StateStore(directory: try Self.copy())
        let pruned = try store.pruneRecords()
        #expect(pruned.count == 3)
        #expect(pruned.allSatisfy { $0.outcome == .deleted && $0.rule == "keep_last=1" })
        #expect(Set(pruned.map(\.entry)) == ["orders", "shop@\(Self.shopEU)", "shop@\(Self.shopAnalytics)"])
    }

    @Test func theOwnershipMigrationRecordsEveryBackupAsCreatedWithItsReason() throws {
        let store = try StateStore(directory: try Self.copy())
        let slots = try store.allSlots()
        #expect(slots.count == 6)
        for slot in slots {
            #expect(slot.ownership == .created, "\(slot.entry) \(slot.slotAt)")
            #expect(slot.ownershipReason?.contains("the create was answered with this id") == true)
        }
        let applied = try store.pool.read { try StateStore.migrator.appliedMigrations($0) }
        #expect(applied.last == "v4: ownership")
    }

    @Test func aBackupAnEarlierReleaseAdoptedIsRecordedAdoptedAndSaysByWhatRule() throws {
        let directory = try Self.copy()
        // As the release before wrote an adoption: the note, nothing else.
        let earlier = try DatabaseQueue(path: directory + "/" + StateStore.fileName)
        try earlier.write { db in
            try db.execute(sql: "UPDATE slot SET note = 'adopted after an ambiguous create' WHERE id = 3")
            try db.execute(sql: "UPDATE slot SET note = 'adopted' WHERE id = 6")
        }
        try earlier.close()
        let store = try StateStore(directory: directory)
        let byID = Dictionary(uniqueKeysWithValues: try store.allSlots().map { ($0.id ?? -1, $0) })
        #expect(byID[3]?.ownership == .adopted)
        #expect(byID[3]?.ownershipReason == "adopted before ownership evidence was recorded (adopted after an ambiguous create)")
        #expect(byID[6]?.ownership == .adopted)
        #expect(byID.values.filter { $0.ownership == .created }.count == 4)
    }

    @Test func aReaderOpensItOnceTheServiceHasOpenedIt() throws {
        let directory = try Self.copy()
        _ = try StateStore(directory: directory)
        let reader = try StateStore.openReadOnly(directory: directory)
        #expect(try reader.allSlots().count == 6)
    }

    @Test func theMigrationGivesEachStreamItsKeyInAColumnOfItsOwn() throws {
        let store = try StateStore(directory: try Self.copy())
        let slots = try store.pool.read { try Row.fetchAll($0, sql: "SELECT entry, selected_from FROM slot") }
        let entries = try store.pool.read { try Row.fetchAll($0, sql: "SELECT alias AS entry, selected_from FROM entry") }
        #expect(slots.count == 6)
        #expect(entries.count == 3)
        for row in slots + entries {
            let entry: String = row["entry"]
            let selectedFrom: String? = row["selected_from"]
            #expect(selectedFrom == (entry.hasPrefix("shop@") ? "shop" : nil), "\(entry)")
        }
        #expect(try store.allSlots().filter { $0.selectedFrom == "shop" }.count == 4)
    }
}
