import Foundation
import GRDB

/// The service's SQLite state (docs/architecture.md "State"): one row per slot, written in a transaction
/// before and after every API call, so a crash at any point is resumed without a duplicate and
/// without a lost slot. WAL mode lets `status` and `history` read while the service writes.
public final class StateStore: Sendable {
    /// The database file inside the state directory.
    public static let fileName = "state.sqlite"
    /// Default state directory when `$STATE_DIRECTORY` is not set.
    public static let defaultDirectory = "/var/lib/rds-backupd"

    let pool: DatabasePool
    /// The database file's path.
    public let path: String

    /// Opens (creating and migrating when needed) the state in `directory`.
    public convenience init(directory: String) throws(StateStoreError) {
        try self.init(directory: directory, readOnly: false)
    }

    /// Opens an existing state read-only (for `status` and `history` while the service runs).
    public static func openReadOnly(directory: String) throws(StateStoreError) -> StateStore {
        try StateStore(directory: directory, readOnly: true)
    }

    /// The state directory from the environment (`$STATE_DIRECTORY`, systemd's `StateDirectory=`; its first entry).
    public static func directory(environment: [String: String]) -> String {
        if let value = environment["STATE_DIRECTORY"], !value.isEmpty {
            return String(value.split(separator: ":").first ?? Substring(value))
        }
        return defaultDirectory
    }

    private init(directory: String, readOnly: Bool) throws(StateStoreError) {
        path = (directory as NSString).appendingPathComponent(Self.fileName)
        if readOnly {
            guard FileManager.default.fileExists(atPath: path) else {
                throw StateStoreError(path: path, reason: "no state database here yet (has the service run with this state directory?)")
            }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw StateStoreError(path: directory, reason: "cannot create the state directory: \(error.localizedDescription)")
            }
        }
        var configuration = Configuration()
        configuration.readonly = readOnly
        // Another process (backup-now, a status reader) may hold the write lock briefly.
        configuration.busyMode = .timeout(10)
        configuration.label = "rds-backupd.state"
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            if !readOnly { try Self.migrator.migrate(pool) }
            else if try pool.read({ try !Self.migrator.hasCompletedMigrations($0) }) {
                throw StateStoreError(path: path, reason: "the state database was written by a newer or older rds-backupd; run the service once to migrate it")
            }
        } catch let error as StateStoreError {
            throw error
        } catch {
            throw StateStoreError(path: path, reason: "\(error)")
        }
    }

    /// Versioned schema migrations; add a new one, never edit a shipped one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: slots and entries") { db in
            try db.create(table: "slot") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("entry", .text).notNull()
                t.column("instance_id", .text).notNull()
                t.column("slot_at", .datetime).notNull()
                t.column("run_at", .datetime).notNull()
                t.column("trigger", .text).notNull()
                t.column("name", .text)
                t.column("state", .text).notNull()
                    .check(sql: "state IN ('pending','creating','created','completed','failed','missed','skipped')")
                t.column("backup_id", .text)
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("error_code", .text)
                t.column("error_message", .text)
                t.column("request_id", .text)
                t.column("size_kb", .integer)
                t.column("backup_end_at", .datetime)
                t.column("note", .text)
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
                t.column("started_at", .datetime)
                t.column("finished_at", .datetime)
                t.uniqueKey(["entry", "instance_id", "slot_at"])
            }
            try db.create(index: "slot_by_state", on: "slot", columns: ["state"])
            try db.create(index: "slot_by_instance", on: "slot", columns: ["instance_id", "slot_at"])
            // Entries ever seen in a schedule: where catch-up starts, and what was removed or renamed.
            try db.create(table: "entry") { t in
                t.primaryKey("alias", .text)
                t.column("instance_id", .text).notNull()
                t.column("first_seen_at", .datetime).notNull()
                t.column("last_seen_at", .datetime).notNull()
                t.column("removed_at", .datetime)
            }
        }
        migrator.registerMigration("v2: stream keys") { db in
            // A select: entry's stream kept its configured alias only inside its own alias
            // (ALIAS@INSTANCE_ID); now it has a column, filled here once for the rows before.
            try db.alter(table: "slot") { t in t.add(column: "selected_from", .text) }
            try db.alter(table: "entry") { t in t.add(column: "selected_from", .text) }
            try db.execute(sql: "UPDATE slot SET selected_from = substr(entry, 1, instr(entry, '@') - 1) WHERE instr(entry, '@') > 1")
            try db.execute(sql: "UPDATE entry SET selected_from = substr(alias, 1, instr(alias, '@') - 1) WHERE instr(alias, '@') > 1")
            try db.create(index: "slot_by_selection", on: "slot", columns: ["selected_from", "slot_at"])
        }
        migrator.registerMigration("v3: copies") { db in
            // Offsite copies (`copy:`): one row per completed slot that is copied.
            try db.create(table: "copy") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("slot_id", .integer).notNull().unique().references("slot", onDelete: .cascade)
                t.column("entry", .text).notNull()
                t.column("instance_id", .text).notNull()
                t.column("slot_at", .datetime).notNull()
                t.column("backup_id", .text).notNull()
                t.column("backup_name", .text).notNull()
                t.column("directory", .text).notNull()
                t.column("state", .text).notNull().check(sql: "state IN ('pending','copying','completed','failed')")
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("bytes", .integer)
                t.column("bytes_fetched", .integer).notNull().defaults(to: 0)
                t.column("duration_seconds", .double)
                t.column("error_message", .text)
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
                t.column("started_at", .datetime)
                t.column("finished_at", .datetime)
            }
            try db.create(index: "copy_by_state", on: "copy", columns: ["state"])
            try db.create(index: "copy_by_entry", on: "copy", columns: ["entry", "slot_at"])
        }
        migrator.registerMigration("v4: ownership") { db in
            // Whether each slot created its backup or adopted one found under its name, and why.
            try db.alter(table: "slot") { t in
                t.add(column: "ownership", .text).check(sql: "ownership IN ('created','adopted')")
                t.add(column: "ownership_reason", .text)
            }
            // Rows before: the runner noted "created" or "adopted…" when it recorded the id. An
            // adoption then needed only the name; retention re-checks the evidence of adopted rows.
            try db.execute(
                sql: """
                    UPDATE slot SET ownership = 'adopted',
                           ownership_reason = 'adopted before ownership evidence was recorded (' || note || ')'
                     WHERE backup_id IS NOT NULL AND note LIKE 'adopted%'
                    """)
            try db.execute(
                sql: """
                    UPDATE slot SET ownership = 'created',
                           ownership_reason = 'the create was answered with this id (recorded before ownership reasons were kept)'
                     WHERE backup_id IS NOT NULL AND ownership IS NULL
                    """)
            // Which slot holds a backup id: asked whenever a backup is found under a slot's name.
            try db.create(index: "slot_by_backup", on: "slot", columns: ["backup_id"])
        }
        return migrator
    }

    // MARK: - Slots

    /// The slot's row, inserting it as `pending` when new. An existing row is returned as is.
    public func claim(_ fresh: SlotRecord) throws(StateStoreError) -> (record: SlotRecord, isNew: Bool) {
        try claimRow(fresh) { db in
            try SlotRecord
                .filter(Column("entry") == fresh.entry && Column("instance_id") == fresh.instanceID && Column("slot_at") == fresh.slotAt)
                .fetchOne(db)
        }
    }

    /// A new row for the slot `backup-now` starts at `now` (to the whole second). When a row holds
    /// that second already (the service's own scheduled slot of a cron instant, or another
    /// `backup-now` in the same second), the next free second within a minute is taken: a manual
    /// backup never takes over another slot's row, its state or its backup.
    public func claimManual(entry: String, instanceID: String, now: Date) throws(StateStoreError) -> SlotRecord {
        let first = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let claimed: SlotRecord? = try write { db in
            let taken = try Date.fetchSet(
                db,
                SlotRecord.select(Column("slot_at"))
                    .filter(Column("entry") == entry && Column("instance_id") == instanceID)
                    .filter(Column("slot_at") >= first && Column("slot_at") < first.addingTimeInterval(60)))
            for offset in 0..<60 {
                let second = first.addingTimeInterval(TimeInterval(offset))
                if taken.contains(second) { continue }
                // An immediate slot runs now: no jitter.
                var record = SlotRecord(entry: entry, instanceID: instanceID, slotAt: second, runAt: second, trigger: .manual, now: now)
                try record.insert(db)
                return record
            }
            return nil
        }
        guard let claimed else {
            throw StateStoreError(path: path, reason: "every second of the minute after \(RFC3339.formatUTC(first)) already holds a slot of \(entry)")
        }
        return claimed
    }

    /// Writes a slot's row (one transaction); `updatedAt` is set to `now`.
    @discardableResult
    public func save(_ record: SlotRecord, now: Date) throws(StateStoreError) -> SlotRecord {
        try saveRow(record, now: now)
    }

    /// The row of one slot, if recorded.
    public func slot(entry: String, instanceID: String, slotAt: Date) throws(StateStoreError) -> SlotRecord? {
        try read { db in
            try SlotRecord
                .filter(Column("entry") == entry && Column("instance_id") == instanceID && Column("slot_at") == slotAt)
                .fetchOne(db)
        }
    }

    /// A row by id.
    public func slot(id: Int64) throws(StateStoreError) -> SlotRecord? {
        try read { db in try SlotRecord.fetchOne(db, key: id) }
    }

    /// Slots not yet settled (pending, creating, created), oldest first: resumed on start.
    public func unfinished() throws(StateStoreError) -> [SlotRecord] {
        try read { db in
            try SlotRecord.filter([SlotState.pending, .creating, .created].contains(Column("state")))
                .order(Column("slot_at"), Column("id")).fetchAll(db)
        }
    }

    /// History, newest slot first, at most `limit` rows; optionally one entry's, where a select:
    /// entry's alias also matches its instance streams (`ALIAS@INSTANCE_ID`).
    public func history(entry: String? = nil, limit: Int = 50) throws(StateStoreError) -> [SlotRecord] {
        try read { db in
            var request = SlotRecord.all()
            if let entry {
                // The entry itself, or every stream of a select: entry of that alias.
                request = request.filter(Column("entry") == entry || Column("selected_from") == entry)
            }
            return try request.order(Column("slot_at").desc, Column("id").desc).limit(limit).fetchAll(db)
        }
    }

    /// Every row (tests and small states).
    public func allSlots() throws(StateStoreError) -> [SlotRecord] {
        try read { db in try SlotRecord.order(Column("slot_at"), Column("id")).fetchAll(db) }
    }

    /// The latest recorded slot instant of an entry on an instance.
    public func latestSlot(entry: String, instanceID: String) throws(StateStoreError) -> Date? {
        try read { db in
            try SlotRecord.filter(Column("entry") == entry && Column("instance_id") == instanceID)
                .order(Column("slot_at").desc).fetchOne(db)?.slotAt
        }
    }

    /// Counts of final states among slots that finished at or after `since`.
    public func outcomeCounts(since: Date) throws(StateStoreError) -> [SlotState: Int] {
        try read { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT state, COUNT(*) AS n FROM slot WHERE updated_at >= ? GROUP BY state", arguments: [since])
            var counts: [SlotState: Int] = [:]
            for row in rows {
                if let state = SlotState(rawValue: row["state"]) { counts[state] = row["n"] }
            }
            return counts
        }
    }

    /// One entry's summary for `status`.
    public func summary(entry: String) throws(StateStoreError) -> EntrySummary {
        try read { db in
            let latest = try SlotRecord.filter(Column("entry") == entry && SlotState.finalStates.contains(Column("state")))
                .order(Column("slot_at").desc, Column("id").desc).fetchOne(db)
            let lastCompleted = try SlotRecord.filter(Column("entry") == entry && Column("state") == SlotState.completed)
                .order(Column("slot_at").desc, Column("id").desc).fetchOne(db)
            let recent = try SlotRecord.filter(Column("entry") == entry && SlotState.finalStates.contains(Column("state")))
                .filter(Column("state") != SlotState.skipped)
                .order(Column("slot_at").desc, Column("id").desc).limit(1000).fetchAll(db)
            let failures = recent.prefix { $0.state == .failed || $0.state == .missed }.count
            let inFlight = try SlotRecord.filter(Column("entry") == entry && [SlotState.pending, .creating, .created].contains(Column("state")))
                .order(Column("slot_at").desc).fetchOne(db)
            return EntrySummary(entry: entry, lastOutcome: latest, lastCompleted: lastCompleted, consecutiveFailures: failures, inFlight: inFlight)
        }
    }

    // MARK: - Entries

    /// Records the entries of a loaded schedule and reports what changed since the last one.
    ///
    /// One transaction with cached statements: a schedule of 1,000 entries is noted in a few
    /// milliseconds at every start and reload (BENCHMARKS.md).
    public func noteEntries(_ entries: [(alias: String, instanceID: String)], now: Date) throws(StateStoreError) -> EntryChanges {
        try write { db in
            var changes = EntryChanges()
            let known = try Row.fetchAll(db, sql: "SELECT alias, instance_id, removed_at FROM entry")
            var knownByAlias: [String: (instanceID: String, removed: Bool)] = [:]
            for row in known {
                knownByAlias[row["alias"]] = (row["instance_id"], (row["removed_at"] as Date?) != nil)
            }
            let current = Set(entries.map(\.alias))
            // Converted once: a Date becomes its text through a DateFormatter at every binding.
            let seenAt = now.databaseValue
            let update = try db.cachedStatement(
                sql: "UPDATE entry SET instance_id = ?, last_seen_at = ?, removed_at = NULL WHERE alias = ?")
            let insert = try db.cachedStatement(
                sql: "INSERT INTO entry (alias, instance_id, first_seen_at, last_seen_at, selected_from) VALUES (?, ?, ?, ?, ?)")
            for (alias, instanceID) in entries {
                if let old = knownByAlias[alias] {
                    if old.instanceID != instanceID { changes.instanceChanged.append((alias, old.instanceID, instanceID)) }
                    try update.execute(arguments: [instanceID, seenAt, alias])
                } else {
                    changes.added.append(alias)
                    try insert.execute(arguments: [alias, instanceID, seenAt, seenAt, StreamKey(alias: alias).selectedFrom])
                }
            }
            for (alias, old) in knownByAlias where !current.contains(alias) && !old.removed {
                let rows = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM slot WHERE entry = ?", arguments: [alias]) ?? 0
                let successor = entries.first { $0.instanceID == old.instanceID && !knownByAlias.keys.contains($0.alias) }?.alias
                changes.removed.append(RemovedEntry(alias: alias, instanceID: old.instanceID, slotRows: rows, likelyRenamedTo: successor))
                try db.execute(sql: "UPDATE entry SET removed_at = ? WHERE alias = ?", arguments: [now, alias])
            }
            return changes
        }
    }

    /// Where catch-up starts for an entry: its latest recorded slot, else when it was first seen.
    public func catchUpCursor(alias: String, instanceID: String) throws(StateStoreError) -> Date? {
        try read { db in try Self.catchUpCursor(db, alias: alias, instanceID: instanceID) }
    }

    /// `catchUpCursor` of every entry, keyed by alias (entries without one left out): one query
    /// for all the entries `noteEntries` recorded with the same instance, the start of a large
    /// schedule; any other entry is looked up on its own.
    public func catchUpCursors(_ entries: [(alias: String, instanceID: String)]) throws(StateStoreError) -> [String: Date] {
        try read { db in
            var noted: [String: (instanceID: String, cursor: Date)] = [:]
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT alias, instance_id, first_seen_at,
                           (SELECT MAX(slot_at) FROM slot
                             WHERE slot.entry = entry.alias AND slot.instance_id = entry.instance_id AND trigger = 'schedule') AS latest
                      FROM entry
                    """)
            while let row = try rows.next() {
                let firstSeen: Date = row["first_seen_at"]
                let latest: Date? = row["latest"]
                noted[row["alias"]] = (row["instance_id"], latest.map { max($0, firstSeen) } ?? firstSeen)
            }
            var cursors: [String: Date] = [:]
            cursors.reserveCapacity(entries.count)
            for (alias, instanceID) in entries {
                if let known = noted[alias], known.instanceID == instanceID {
                    cursors[alias] = known.cursor
                } else {
                    cursors[alias] = try Self.catchUpCursor(db, alias: alias, instanceID: instanceID)
                }
            }
            return cursors
        }
    }

    private static func catchUpCursor(_ db: Database, alias: String, instanceID: String) throws -> Date? {
        // Cached statements: prepared (and authorized) once per connection, not once per entry.
        let latest = try Date.fetchOne(
            db.cachedStatement(sql: "SELECT MAX(slot_at) FROM slot WHERE entry = ? AND instance_id = ? AND trigger = 'schedule'"),
            arguments: [alias, instanceID])
        let firstSeen = try Date.fetchOne(
            db.cachedStatement(sql: "SELECT first_seen_at FROM entry WHERE alias = ?"), arguments: [alias])
        switch (latest, firstSeen) {
        case (let a?, let b?): return max(a, b)
        case (let a?, nil): return a
        case (nil, let b?): return b
        case (nil, nil): return nil
        }
    }

    // MARK: - Plumbing

    /// One write transaction; any failure becomes a `StateStoreError` naming the file.
    func write<T>(_ body: (Database) throws -> T) throws(StateStoreError) -> T {
        do {
            return try pool.write(body)
        } catch {
            throw StateStoreError(path: path, reason: "\(error)")
        }
    }

    /// One read; any failure becomes a `StateStoreError` naming the file.
    func read<T>(_ body: (Database) throws -> T) throws(StateStoreError) -> T {
        do {
            return try pool.read(body)
        } catch {
            throw StateStoreError(path: path, reason: "\(error)")
        }
    }
}

extension SlotState {
    static let finalStates: [SlotState] = [.completed, .failed, .missed, .skipped]
}

/// An entry's recent record, for `status`.
public struct EntrySummary: Sendable, Equatable {
    public var entry: String
    /// The latest settled slot (completed, failed, missed or skipped).
    public var lastOutcome: SlotRecord?
    public var lastCompleted: SlotRecord?
    /// Failed or missed slots since the last completed one (skipped ones do not count).
    public var consecutiveFailures: Int
    /// A slot being worked on now, if any.
    public var inFlight: SlotRecord?
}

/// An entry that left the schedule; its rows stay.
public struct RemovedEntry: Sendable, Equatable {
    public var alias: String
    public var instanceID: String
    public var slotRows: Int
    /// A new alias for the same instance: probably a rename, whose history stays under the old alias.
    public var likelyRenamedTo: String?
}

/// What changed between the last schedule seen and this one.
public struct EntryChanges: Sendable {
    public var added: [String] = []
    public var removed: [RemovedEntry] = []
    public var instanceChanged: [(alias: String, from: String, to: String)] = []
}

/// The state database could not be opened, read or written.
public struct StateStoreError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "state database \(path): \(reason)" }
}
