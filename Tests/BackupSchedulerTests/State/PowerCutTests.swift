import BackupScheduler
import Foundation
import GRDB
import RDSTestSupport
import Testing

/// The state database as a power cut leaves it: the `.sqlite`, `-wal` and `-shm` files copied at
/// one instant while the service's connection is open (committed rows still only in the WAL) and
/// another connection is in the middle of a transaction that has already spilled pages into the
/// WAL. `StateStore` must open every such copy without an error, with every committed row and
/// none of the uncommitted ones, and go on writing.
struct PowerCutTests {
    static let t0 = Date(timeIntervalSince1970: 1_750_000_000)
    static let suffixes = ["", "-wal", "-shm"]

    static func temporaryDirectory() -> String {
        let path = TestScratch.path("rds-backupd-powercut")
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func slot(_ entry: String, minute: Int, state: SlotState, backupID: String? = nil) -> SlotRecord {
        let at = t0.addingTimeInterval(Double(minute) * 60)
        var record = SlotRecord(entry: entry, instanceID: "i-\(entry)", slotAt: at, runAt: at, now: at)
        record.state = state
        record.backupID = backupID
        record.name = "\(entry)-\(minute)"
        return record
    }

    /// Copies the database's files as they are on disk now (a missing `-shm`/`-wal` stays missing).
    static func snapshot(_ path: String, into directory: String, leaving skipped: Set<String> = []) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for suffix in suffixes where !skipped.contains(suffix) && FileManager.default.fileExists(atPath: path + suffix) {
            let data = try Data(contentsOf: URL(fileURLWithPath: path + suffix))
            try data.write(to: URL(fileURLWithPath: directory + "/" + StateStore.fileName + suffix))
        }
    }

    static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
    }

    /// A store with three committed slots (one `creating`, one `created`, one `completed`) that live
    /// only in the WAL, as the service leaves them between checkpoints.
    static func committedStore() throws -> (store: StateStore, directory: String, rows: [SlotRecord]) {
        let directory = temporaryDirectory()
        let store = try StateStore(directory: directory)
        var rows: [SlotRecord] = []
        rows.append(try store.save(slot("orders", minute: 0, state: .completed, backupID: "b-0"), now: t0))
        rows.append(try store.save(slot("orders", minute: 60, state: .created, backupID: "b-60"), now: t0))
        rows.append(try store.save(slot("payroll", minute: 0, state: .creating), now: t0))
        #expect(fileSize(store.path + "-wal") > 0, "the committed rows are in the WAL, not yet checkpointed")
        return (store, directory, rows)
    }

    /// Opens the copy and checks it holds exactly `expected` (compared on the fields a resume reads).
    static func expectRecovered(_ directory: String, holds expected: [SlotRecord], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let recovered = try StateStore(directory: directory)
        let rows = try recovered.allSlots().sorted { ($0.entry, $0.slotAt) < ($1.entry, $1.slotAt) }
        let wanted = expected.sorted { ($0.entry, $0.slotAt) < ($1.entry, $1.slotAt) }
        #expect(rows.map(\.entry) == wanted.map(\.entry), sourceLocation: sourceLocation)
        #expect(rows.map(\.slotAt) == wanted.map(\.slotAt), sourceLocation: sourceLocation)
        #expect(rows.map(\.state) == wanted.map(\.state), sourceLocation: sourceLocation)
        #expect(rows.map(\.backupID) == wanted.map(\.backupID), sourceLocation: sourceLocation)
        #expect(rows.map(\.name) == wanted.map(\.name), sourceLocation: sourceLocation)
        // The unfinished ones are what a restart resumes.
        #expect(
            try recovered.unfinished().compactMap(\.name).sorted() == wanted.filter { !$0.state.isFinal }.compactMap(\.name).sorted(),
            sourceLocation: sourceLocation)
        // And it goes on: a write after recovery sticks.
        var next = slot("orders", minute: 120, state: .pending)
        next = try recovered.claim(next).record
        #expect(try StateStore.openReadOnly(directory: directory).slot(id: next.id ?? -1)?.slotAt == next.slotAt, sourceLocation: sourceLocation)
    }

    @Test func aCopyTakenWhileAnotherConnectionIsMidTransactionHasTheCommittedRowsAndNoneOfTheUncommitted() throws {
        let (store, _, committed) = try Self.committedStore()
        let copy = Self.temporaryDirectory() + "/copy"
        let walBefore = Self.fileSize(store.path + "-wal")
        // A second writer (as `backup-now` is) with a tiny page cache, so its transaction spills
        // uncommitted pages into the WAL before the cut.
        let writer = try DatabaseQueue(path: store.path)
        try writer.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA cache_size = 2")
            try db.execute(sql: "BEGIN IMMEDIATE")
            try db.execute(sql: "UPDATE slot SET state = 'failed', error_message = 'uncommitted' WHERE entry = 'orders'")
            for minute in 1...400 {
                var row = Self.slot("bulk", minute: minute, state: .pending)
                row.note = String(repeating: "x", count: 400)
                try row.insert(db)
            }
            #expect(Self.fileSize(store.path + "-wal") > walBefore, "uncommitted pages reached the WAL")
            try Self.snapshot(store.path, into: copy)
            try db.execute(sql: "ROLLBACK")
        }
        try Self.expectRecovered(copy, holds: committed)
    }

    @Test func aCopyWithoutTheSharedMemoryIndexIsRebuiltFromTheWAL() throws {
        let (store, _, committed) = try Self.committedStore()
        let copy = Self.temporaryDirectory() + "/copy"
        try Self.snapshot(store.path, into: copy, leaving: ["-shm"])
        try Self.expectRecovered(copy, holds: committed)
    }

    @Test func aWALCutInsideTheLastTransactionLosesOnlyThatTransaction() throws {
        let (store, _, committed) = try Self.committedStore()
        let walBefore = Self.fileSize(store.path + "-wal")
        // The last transaction: the `creating` slot learns its backup id.
        var last = committed[2]
        last.state = .created
        last.backupID = "b-late"
        _ = try store.save(last, now: Self.t0)
        let walAfter = Self.fileSize(store.path + "-wal")
        #expect(walAfter > walBefore)

        let copy = Self.temporaryDirectory() + "/copy"
        try Self.snapshot(store.path, into: copy)
        // The power went while the last frame was half written.
        let wal = URL(fileURLWithPath: copy + "/" + StateStore.fileName + "-wal")
        let bytes = try Data(contentsOf: wal)
        try bytes.prefix(bytes.count - 100).write(to: wal)
        try Self.expectRecovered(copy, holds: committed)

        // The whole WAL intact: the last transaction is there too.
        let whole = Self.temporaryDirectory() + "/copy"
        try Self.snapshot(store.path, into: whole)
        try Self.expectRecovered(whole, holds: [committed[0], committed[1], last])
    }

    @Test func aCopyTakenRightAfterTheServiceOpenedAnEmptyStateIsUsable() throws {
        let directory = Self.temporaryDirectory()
        let store = try StateStore(directory: directory)
        let copy = Self.temporaryDirectory() + "/copy"
        try Self.snapshot(store.path, into: copy)
        try Self.expectRecovered(copy, holds: [])
    }
}
