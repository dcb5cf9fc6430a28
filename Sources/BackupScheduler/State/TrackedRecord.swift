import Foundation
import GRDB

/// A row of the state that follows something to an end (a slot, a copy): it knows when it was last
/// written and when it became final. `StateStore.claimRow` and `saveRow` write every such row the
/// same way.
protocol TrackedRecord: MutablePersistableRecord, FetchableRecord, Sendable {
    var id: Int64? { get }
    var updatedAt: Date { get set }
    var finishedAt: Date? { get set }
    /// Whether the row's state is final (nothing more will happen to it).
    var hasFinished: Bool { get }
}

extension SlotRecord: TrackedRecord {
    var hasFinished: Bool { state.isFinal }
}

extension CopyRecord: TrackedRecord {
    var hasFinished: Bool { state.isFinal }
}

extension StateStore {
    /// The row `existing` finds, or `fresh` inserted when there is none (one transaction).
    func claimRow<Row: TrackedRecord>(
        _ fresh: Row, existing: (Database) throws -> Row?
    ) throws(StateStoreError) -> (record: Row, isNew: Bool) {
        try write { db in
            if let found = try existing(db) { return (found, false) }
            var record = fresh
            try record.insert(db)
            return (record, true)
        }
    }

    /// Writes `record` (inserting it when it has no id yet): `updatedAt` is set to `now`,
    /// `finishedAt` too when it became final.
    func saveRow<Row: TrackedRecord>(_ record: Row, now: Date) throws(StateStoreError) -> Row {
        var row = record
        row.updatedAt = now
        if row.hasFinished && row.finishedAt == nil { row.finishedAt = now }
        let toWrite = row
        return try write { db in
            var written = toWrite
            if written.id == nil { try written.insert(db) } else { try written.update(db) }
            return written
        }
    }
}
