import Foundation
import GRDB

/// What retention did to one backup: a delete sent (and accepted), or a delete that failed and is
/// tried again on the next run.
public struct PruneRecord: Sendable, Equatable, Codable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "pruned_backup"

    /// `deleted`: the cloud accepted the delete (or the backup was already gone); `failed`: retried next run.
    public enum Outcome: String, Sendable, Codable, DatabaseValueConvertible {
        case deleted
        case failed
    }

    public var backupID: String
    public var entry: String
    public var instanceID: String
    public var name: String
    /// What let the backup go, e.g. `keep_failed_for=7d` or `keep_last=14 keep_within=30d`.
    public var rule: String
    public var outcome: Outcome
    /// Delete attempts so far.
    public var attempts: Int
    public var errorMessage: String?
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case entry, name, rule, outcome, attempts
        case backupID = "backup_id"
        case instanceID = "instance_id"
        case errorMessage = "error_message"
        case updatedAt = "updated_at"
    }

    public init(
        backupID: String, entry: String, instanceID: String, name: String, rule: String, outcome: Outcome,
        attempts: Int, errorMessage: String? = nil, updatedAt: Date
    ) {
        self.backupID = backupID
        self.entry = entry
        self.instanceID = instanceID
        self.name = name
        self.rule = rule
        self.outcome = outcome
        self.attempts = attempts
        self.errorMessage = errorMessage
        self.updatedAt = updatedAt
    }
}

extension StateStore {
    /// Creates the retention table when missing. It is not a `StateStore.migrator` migration, so
    /// the slot schema's version (which `status` and `history` check) is untouched; the DDL is
    /// idempotent and runs inside the writer's transaction before the first record.
    static func createRetentionTable(_ db: Database) throws {
        try db.create(table: "pruned_backup", options: .ifNotExists) { t in
            t.primaryKey("backup_id", .text)
            t.column("entry", .text).notNull()
            t.column("instance_id", .text).notNull()
            t.column("name", .text).notNull()
            t.column("rule", .text).notNull()
            t.column("outcome", .text).notNull().check(sql: "outcome IN ('deleted','failed')")
            t.column("attempts", .integer).notNull().defaults(to: 0)
            t.column("error_message", .text)
            t.column("updated_at", .datetime).notNull()
        }
        try db.create(index: "pruned_backup_by_entry", on: "pruned_backup", columns: ["entry", "updated_at"], options: .ifNotExists)
    }

    /// Slots of `entry` on `instanceID` that name a backup id: the only backups retention may touch.
    public func slotsWithBackups(entry: String, instanceID: String) throws(StateStoreError) -> [SlotRecord] {
        try read { db in
            try SlotRecord.filter(Column("entry") == entry && Column("instance_id") == instanceID && Column("backup_id") != nil)
                .order(Column("slot_at"), Column("id")).fetchAll(db)
        }
    }

    /// Records a delete (or a failed delete, counting attempts) of one backup.
    @discardableResult
    public func recordPrune(
        backupID: String, entry: String, instanceID: String, name: String, rule: String, outcome: PruneRecord.Outcome,
        error: String?, now: Date
    ) throws(StateStoreError) -> PruneRecord {
        try write { db in
            try Self.createRetentionTable(db)
            let earlier = try PruneRecord.fetchOne(db, key: backupID)
            let record = PruneRecord(
                backupID: backupID, entry: entry, instanceID: instanceID, name: name, rule: rule, outcome: outcome,
                attempts: (earlier?.attempts ?? 0) + 1, errorMessage: error, updatedAt: now)
            try record.save(db)
            return record
        }
    }

    /// What retention did for `entry` (every entry when nil), latest first.
    public func pruneRecords(entry: String? = nil) throws(StateStoreError) -> [PruneRecord] {
        try read { db in
            // Nothing was ever pruned with this state: the table is created by the first record.
            guard try db.tableExists(PruneRecord.databaseTableName) else { return [] }
            var request = PruneRecord.all()
            if let entry { request = request.filter(Column("entry") == entry) }
            return try request.order(Column("updated_at").desc, Column("backup_id")).fetchAll(db)
        }
    }
}
