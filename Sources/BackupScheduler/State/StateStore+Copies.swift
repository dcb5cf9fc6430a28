import Foundation
import GRDB

/// The `copy` table: one row per completed slot whose entry has `copy:`.
extension StateStore {
    /// The copy row of `fresh`'s slot, inserting `fresh` when there is none yet.
    public func claimCopy(_ fresh: CopyRecord) throws(StateStoreError) -> (record: CopyRecord, isNew: Bool) {
        try claimRow(fresh) { db in try CopyRecord.filter(Column("slot_id") == fresh.slotID).fetchOne(db) }
    }

    /// Writes a copy's row; `updatedAt` is set to `now`, `finishedAt` when it became final.
    @discardableResult
    public func saveCopy(_ record: CopyRecord, now: Date) throws(StateStoreError) -> CopyRecord {
        try saveRow(record, now: now)
    }

    /// Copies not finished (pending or copying), oldest slot first: resumed at start.
    public func unfinishedCopies() throws(StateStoreError) -> [CopyRecord] {
        try read { db in
            try CopyRecord.filter([CopyState.pending, .copying].contains(Column("state")))
                .order(Column("slot_at"), Column("id")).fetchAll(db)
        }
    }

    /// Copy rows, newest slot first; optionally one entry's (a select: entry's alias matches its streams).
    public func copyHistory(entry: String? = nil, limit: Int = 50) throws(StateStoreError) -> [CopyRecord] {
        try read { db in
            var request = CopyRecord.all()
            if let entry {
                request = request.filter(Column("entry") == entry || Column("entry").like(entry + "@%"))
            }
            return try request.order(Column("slot_at").desc, Column("id").desc).limit(limit).fetchAll(db)
        }
    }

    /// One entry's latest copy row and latest completed copy (for `status`).
    public func copySummary(entry: String) throws(StateStoreError) -> (latest: CopyRecord?, lastCompleted: CopyRecord?) {
        try read { db in
            let latest = try CopyRecord.filter(Column("entry") == entry)
                .order(Column("slot_at").desc, Column("id").desc).fetchOne(db)
            let completed = try CopyRecord.filter(Column("entry") == entry && Column("state") == CopyState.completed)
                .order(Column("slot_at").desc, Column("id").desc).fetchOne(db)
            return (latest, completed)
        }
    }

    /// When each entry's latest copy completed (metrics at start).
    func lastCopyTimes() throws -> [String: Date] {
        try pool.read { db in
            var result: [String: Date] = [:]
            let rows = try Row.fetchAll(
                db, sql: "SELECT entry, MAX(finished_at) AS at FROM copy WHERE state = ? GROUP BY entry",
                arguments: [CopyState.completed.rawValue])
            for row in rows {
                if let entry: String = row["entry"], let at: Date = row["at"] { result[entry] = at }
            }
            return result
        }
    }
}
