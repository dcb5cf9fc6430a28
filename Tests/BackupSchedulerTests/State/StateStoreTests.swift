import Foundation
import GRDB
import RDSTestSupport
import Testing

@testable import BackupScheduler

/// The state database, on real SQLite files in a temporary directory.
struct StateStoreTests {
    static let t0 = Date(timeIntervalSince1970: 1_750_000_000)

    static func temporaryDirectory() -> String {
        let path = TestScratch.path("rds-backupd-state")
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func slot(_ entry: String = "orders", minute: Int, state: SlotState = .pending) -> SlotRecord {
        var record = SlotRecord(
            entry: entry, instanceID: "i-\(entry)", slotAt: t0.addingTimeInterval(Double(minute) * 60),
            runAt: t0.addingTimeInterval(Double(minute) * 60), now: t0)
        record.state = state
        return record
    }

    @Test func theDatabaseIsCreatedMigratedAndInWALMode() throws {
        let directory = Self.temporaryDirectory()
        let store = try StateStore(directory: directory)
        #expect(FileManager.default.fileExists(atPath: directory + "/state.sqlite"))
        let mode = try store.pool.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        let applied = try store.pool.read { try StateStore.migrator.appliedMigrations($0) }
        #expect(applied == ["v1: slots and entries", "v2: stream keys", "v3: copies", "v4: ownership"])
        // Opening again does not re-run or fail the migration.
        _ = try StateStore(directory: directory)
    }

    @Test func claimingASlotTwiceReturnsTheSameRow() throws {
        let store = try StateStore(directory: Self.temporaryDirectory())
        let first = try store.claim(Self.slot(minute: 0))
        let second = try store.claim(Self.slot(minute: 0))
        #expect(first.isNew)
        #expect(!second.isNew)
        #expect(first.record.id == second.record.id)
        #expect(try store.allSlots().count == 1)
    }

    @Test func backupNowAtACronInstantGetsARowOfItsOwnNotTheScheduledSlots() throws {
        let store = try StateStore(directory: Self.temporaryDirectory())
        // The service's own slot at t0 (a cron instant) has completed.
        var scheduled = try store.claim(Self.slot(minute: 0)).record
        scheduled.state = .completed
        scheduled.backupID = "b-scheduled"
        _ = try store.save(scheduled, now: Self.t0)

        // backup-now at t0 + 0.4 s, twice in the same second.
        let first = try store.claimManual(entry: "orders", instanceID: "i-orders", now: Self.t0.addingTimeInterval(0.4))
        let second = try store.claimManual(entry: "orders", instanceID: "i-orders", now: Self.t0.addingTimeInterval(0.7))

        #expect(first.trigger == .manual && second.trigger == .manual)
        #expect(first.state == .pending && first.backupID == nil)
        #expect(first.slotAt == Self.t0.addingTimeInterval(1))
        #expect(second.slotAt == Self.t0.addingTimeInterval(2))
        #expect(Set([scheduled.id, first.id, second.id]).count == 3)
        let unchanged = try #require(try store.allSlots().first { $0.id == scheduled.id })
        #expect(unchanged.state == .completed && unchanged.trigger == .schedule && unchanged.backupID == "b-scheduled")
        // Another entry's slot at the same second is no obstacle.
        let other = try store.claimManual(entry: "payroll", instanceID: "i-payroll", now: Self.t0)
        #expect(other.slotAt == Self.t0)
    }

    @Test func aSavedRowRoundTripsEveryField() throws {
        let store = try StateStore(directory: Self.temporaryDirectory())
        var record = try store.claim(Self.slot(minute: 5)).record
        record.state = .failed
        record.name = "orders-20250615-0205"
        record.backupID = "b1"
        record.attempts = 3
        record.setError(code: "DBS.201202", message: "busy", requestID: "req-1")
        record.sizeKB = 1234
        record.backupEndAt = Self.t0.addingTimeInterval(400)
        record.startedAt = Self.t0.addingTimeInterval(300.25)
        record.note = "adopted"
        record.ownership = .adopted
        record.ownershipReason = "it began after the slot and carries its description"
        let saved = try store.save(record, now: Self.t0.addingTimeInterval(500))
        let id = try #require(saved.id)
        let loaded = try #require(try store.slot(id: id))
        #expect(loaded == saved)
        #expect(loaded.finishedAt == Self.t0.addingTimeInterval(500))
        #expect(loaded.errorCode == "DBS.201202" && loaded.requestID == "req-1")
        #expect(loaded.startedAt == Self.t0.addingTimeInterval(300.25) && loaded.note == "adopted")
        #expect(loaded.ownership == .adopted && loaded.ownershipReason == "it began after the slot and carries its description")
        // The columns as state files written by earlier versions hold them (UTC text dates, raw enums).
        let raw = try #require(
            try store.pool.read {
                try Row.fetchOne($0, sql: "SELECT slot_at, started_at, state, \"trigger\", size_kb FROM slot WHERE id = ?", arguments: [id])
            })
        #expect(raw["slot_at"] as String? == "2025-06-15 15:11:40.000")
        #expect(raw["started_at"] as String? == "2025-06-15 15:11:40.250")
        #expect(raw["state"] as String? == "failed")
        #expect(raw["trigger"] as String? == "schedule")
        #expect(raw["size_kb"] as Int64? == 1234)
    }

    @Test func aReadOnlyStoreSeesWritesWhileTheWriterIsOpenAndCannotWrite() throws {
        let directory = Self.temporaryDirectory()
        let writer = try StateStore(directory: directory)
        let reader = try StateStore.openReadOnly(directory: directory)
        _ = try writer.claim(Self.slot(minute: 1))
        #expect(try reader.history().count == 1)
        _ = try writer.claim(Self.slot(minute: 2))
        #expect(try reader.history().count == 2)
        #expect(throws: StateStoreError.self) { try reader.claim(Self.slot(minute: 3)) }
    }

    @Test func readOnlyOpeningOfAMissingStateSaysSo() {
        let directory = Self.temporaryDirectory()
        #expect {
            try StateStore.openReadOnly(directory: directory)
        } throws: { error in
            "\(error)".contains("no state database here yet")
        }
    }

    @Test func unfinishedListsOnlyPendingCreatingAndCreatedSlots() throws {
        let store = try StateStore(directory: Self.temporaryDirectory())
        for (minute, state) in [(0, SlotState.pending), (1, .creating), (2, .created), (3, .completed), (4, .failed), (5, .missed), (6, .skipped)] {
            var record = try store.claim(Self.slot(minute: minute)).record
            record.state = state
            try store.save(record, now: Self.t0)
        }
        #expect(try store.unfinished().map(\.state) == [.pending, .creating, .created])
    }

    @Test func historyIsNewestFirstFilteredAndLimited() throws {
        let store = try StateStore(directory: Self.temporaryDirectory())
        for minute in 0..<5 { _ = try store.claim(Self.slot("orders", minute: minute)) }
        for minute in 0..<3 { _ = try store.claim(Self.slot("payroll", minute: minute)) }
        let orders = try store.history(entry: "orders", limit: 2)
        #expect(orders.map(\.slotAt) == [Self.t0.addingTimeInterval(240), Self.t0.addingTimeInterval(180)])
        #expect(try store.history(limit: 100).count == 8)
    }

    @Test func aSelectEntrysHistoryHoldsItsStreamsAndNoOtherEntrys() throws {
        let store = try StateStore(directory: Self.temporaryDirectory())
        _ = try store.claim(Self.slot("shop@i-one", minute: 0))
        _ = try store.claim(Self.slot("shop@i-two", minute: 1))
        _ = try store.claim(Self.slot("shop", minute: 2))
        _ = try store.claim(Self.slot("shopping@i-one", minute: 3))
        _ = try store.claim(Self.slot("sho_", minute: 4))
        #expect(try store.history(entry: "shop").map(\.entry) == ["shop", "shop@i-two", "shop@i-one"])
        #expect(try store.history(entry: "shop@i-two").map(\.entry) == ["shop@i-two"])
        #expect(try store.history(entry: "sho_").map(\.entry) == ["sho_"])
    }

    @Test func removedEntriesKeepTheirRowsAndARenameIsReported() throws {
        let store = try StateStore(directory: Self.temporaryDirectory())
        let first = try store.noteEntries([("orders", "i-orders"), ("payroll", "i-payroll")], now: Self.t0)
        #expect(first.added == ["orders", "payroll"])
        _ = try store.claim(Self.slot("orders", minute: 0))
        _ = try store.claim(Self.slot("payroll", minute: 0))
        // "orders" renamed to "shop" (same instance), "payroll" removed.
        let second = try store.noteEntries([("shop", "i-orders")], now: Self.t0.addingTimeInterval(60))
        #expect(second.added == ["shop"])
        let removed = second.removed.sorted { $0.alias < $1.alias }
        #expect(removed == [
            RemovedEntry(alias: "orders", instanceID: "i-orders", slotRows: 1, likelyRenamedTo: "shop"),
            RemovedEntry(alias: "payroll", instanceID: "i-payroll", slotRows: 1, likelyRenamedTo: nil),
        ])
        #expect(try store.history(entry: "orders").count == 1)
        #expect(try store.history(entry: "payroll").count == 1)
        // Reported once, not on every load.
        #expect(try store.noteEntries([("shop", "i-orders")], now: Self.t0.addingTimeInterval(120)).removed.isEmpty)
    }

    @Test func theCatchUpCursorIsTheLatestScheduledSlotElseFirstSighting() throws {
        let store = try StateStore(directory: Self.temporaryDirectory())
        #expect(try store.catchUpCursor(alias: "orders", instanceID: "i-orders") == nil)
        _ = try store.noteEntries([("orders", "i-orders")], now: Self.t0)
        #expect(try store.catchUpCursor(alias: "orders", instanceID: "i-orders") == Self.t0)
        _ = try store.claim(Self.slot("orders", minute: 10))
        var manual = Self.slot("orders", minute: 30)
        manual.trigger = .manual
        _ = try store.claim(manual)
        #expect(try store.catchUpCursor(alias: "orders", instanceID: "i-orders") == Self.t0.addingTimeInterval(600))
    }

    @Test func theCursorsOfAWholeScheduleReadTogetherEqualEachEntrysOwnCursor() throws {
        let store = try StateStore(directory: Self.temporaryDirectory())
        _ = try store.noteEntries([("orders", "i-orders"), ("payroll", "i-payroll"), ("shop", "i-shop"), ("moved", "i-a")], now: Self.t0)
        _ = try store.noteEntries(
            [("orders", "i-orders"), ("payroll", "i-payroll"), ("shop", "i-shop"), ("moved", "i-a"), ("late", "i-late")],
            now: Self.t0.addingTimeInterval(300))
        _ = try store.claim(Self.slot("orders", minute: 10))
        _ = try store.claim(Self.slot("orders", minute: 20))
        var otherInstance = Self.slot("orders", minute: 50)
        otherInstance.instanceID = "i-old"
        _ = try store.claim(otherInstance)
        var manual = Self.slot("payroll", minute: 30)
        manual.trigger = .manual
        _ = try store.claim(manual)
        _ = try store.claim(Self.slot("shop", minute: -10))
        var elsewhere = Self.slot("moved", minute: 40)
        elsewhere.instanceID = "i-b"
        _ = try store.claim(elsewhere)
        // "moved" asked for with an instance the entry table does not have yet.
        let pairs = [
            ("orders", "i-orders"), ("payroll", "i-payroll"), ("shop", "i-shop"), ("late", "i-late"), ("moved", "i-b"), ("never-seen", "i-x"),
        ]

        let cursors = try store.catchUpCursors(pairs)

        #expect(cursors == [
            "orders": Self.t0.addingTimeInterval(1200),  // its latest scheduled slot on its instance
            "payroll": Self.t0,  // a manual slot does not move it
            "shop": Self.t0,  // a slot from before the first sighting does not either
            "late": Self.t0.addingTimeInterval(300),
            "moved": Self.t0.addingTimeInterval(2400),
        ])
        for (alias, instanceID) in pairs {
            #expect(cursors[alias] == (try store.catchUpCursor(alias: alias, instanceID: instanceID)))
        }
    }

    @Test func notingALargeScheduleAgainUpdatesEveryEntryAndReportsOnlyChanges() throws {
        let store = try StateStore(directory: Self.temporaryDirectory())
        let entries = (0..<1000).map { (alias: "entry-\($0)", instanceID: "i-\($0)") }
        #expect(try store.noteEntries(entries, now: Self.t0).added.count == 1000)
        var moved = entries
        moved[7].instanceID = "i-new"
        let again = try store.noteEntries(moved, now: Self.t0.addingTimeInterval(60))
        #expect(again.added.isEmpty && again.removed.isEmpty)
        #expect(again.instanceChanged.map { "\($0.alias) \($0.from) \($0.to)" } == ["entry-7 i-7 i-new"])
        let seen = try store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT instance_id, first_seen_at, last_seen_at FROM entry WHERE alias IN ('entry-7', 'entry-999') ORDER BY alias")
        }
        #expect(seen.map { $0["instance_id"] as String } == ["i-new", "i-999"])
        #expect(seen.allSatisfy { ($0["first_seen_at"] as Date) == Self.t0 && ($0["last_seen_at"] as Date) == Self.t0.addingTimeInterval(60) })
    }

    @Test func theSummaryCountsFailuresSinceTheLastCompletedSlot() throws {
        let store = try StateStore(directory: Self.temporaryDirectory())
        let states: [SlotState] = [.completed, .failed, .completed, .failed, .skipped, .missed, .failed]
        for (minute, state) in states.enumerated() {
            var record = try store.claim(Self.slot(minute: minute)).record
            record.state = state
            record.name = "orders-\(minute)"
            try store.save(record, now: Self.t0)
        }
        let summary = try store.summary(entry: "orders")
        #expect(summary.consecutiveFailures == 3)
        #expect(summary.lastOutcome?.state == .failed)
        #expect(summary.lastCompleted?.name == "orders-2")
        #expect(summary.inFlight == nil)
    }
}
