import Foundation
import GRDB

/// Where a slot stands (docs/architecture.md "State").
public enum SlotState: String, Sendable, Codable, CaseIterable, DatabaseValueConvertible {
    /// Due, nothing sent yet.
    case pending
    /// A create may have been sent; on restart it is resolved by listing, never by creating blindly.
    case creating
    /// The cloud accepted the backup (id known); being followed.
    case created
    case completed
    case failed
    /// Could not start within its start window (service down, instance busy, shutdown).
    case missed
    /// The entry was paused.
    case skipped

    /// The slot's fate is settled; nothing more will be sent for it.
    public var isFinal: Bool {
        switch self {
        case .completed, .failed, .missed, .skipped: true
        case .pending, .creating, .created: false
        }
    }
}

/// How a slot's backup became its own (README "Reliability": the ownership rule).
public enum BackupOwnership: String, Sendable, Codable, DatabaseValueConvertible {
    /// The slot's create was answered with the backup's id.
    case created
    /// Found under the slot's name, and the evidence says the slot's own create made it (an
    /// answer lost to a crash or a timeout, or another host running the same schedule).
    case adopted
}

/// Why a slot exists: the cron schedule, or `backup-now`.
public enum SlotTrigger: String, Sendable, Codable, DatabaseValueConvertible {
    case schedule
    case manual
}

/// One slot's row in the state database: the unit of work and the idempotency key.
public struct SlotRecord: Sendable, Equatable, Codable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "slot"

    public var id: Int64?
    /// The entry's alias when the slot was planned.
    public var entry: String
    public var instanceID: String
    /// The cron instant (or, for `backup-now`, the request time rounded to the second).
    public var slotAt: Date
    /// When it was due to run (slot + stable jitter).
    public var runAt: Date
    public var trigger: SlotTrigger
    /// The backup name, set once rendered (after the instance check); fixed from then on.
    public var name: String?
    public var state: SlotState
    public var backupID: String?
    /// Tries made for this slot (instance check, list, create), across restarts.
    public var attempts: Int
    public var errorCode: String?
    public var errorMessage: String?
    public var requestID: String?
    public var sizeKB: Int64?
    /// The backup's end time as the cloud reports it.
    public var backupEndAt: Date?
    /// A short human note: "adopted", "entry paused", "missed while the service was down"...
    public var note: String?
    public var createdAt: Date
    public var updatedAt: Date
    /// When the first API call for it was made.
    public var startedAt: Date?
    /// When it reached a final state.
    public var finishedAt: Date?
    /// The configured alias when `entry` is a stream of a `select:` entry (`ALIAS@INSTANCE_ID`).
    public var selectedFrom: String?
    /// Whether the slot created its backup or adopted it; nil while it has none.
    public var ownership: BackupOwnership?
    /// Why the backup is the slot's own, in words (the evidence an adoption rests on).
    public var ownershipReason: String?

    enum CodingKeys: String, CodingKey {
        case id, entry, trigger, name, state, attempts, note
        case instanceID = "instance_id"
        case slotAt = "slot_at"
        case runAt = "run_at"
        case backupID = "backup_id"
        case errorCode = "error_code"
        case errorMessage = "error_message"
        case requestID = "request_id"
        case sizeKB = "size_kb"
        case backupEndAt = "backup_end_at"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case selectedFrom = "selected_from"
        case ownership
        case ownershipReason = "ownership_reason"
    }

    /// A new pending slot.
    public init(entry: String, instanceID: String, slotAt: Date, runAt: Date, trigger: SlotTrigger = .schedule, now: Date) {
        self.entry = entry
        self.instanceID = instanceID
        self.slotAt = slotAt
        self.runAt = runAt
        self.trigger = trigger
        self.state = .pending
        self.attempts = 0
        self.createdAt = now
        self.updatedAt = now
        self.selectedFrom = StreamKey(alias: entry).selectedFrom
    }

    /// The row's columns, written out instead of through `Encodable` (the Codable path was 6 % of
    /// the service's CPU with 2,000 slots in flight, BENCHMARKS.md); the same names and values.
    public func encode(to container: inout PersistenceContainer) {
        container[CodingKeys.id.rawValue] = id
        container[CodingKeys.entry.rawValue] = entry
        container[CodingKeys.instanceID.rawValue] = instanceID
        container[CodingKeys.slotAt.rawValue] = slotAt
        container[CodingKeys.runAt.rawValue] = runAt
        container[CodingKeys.trigger.rawValue] = trigger
        container[CodingKeys.name.rawValue] = name
        container[CodingKeys.state.rawValue] = state
        container[CodingKeys.backupID.rawValue] = backupID
        container[CodingKeys.attempts.rawValue] = attempts
        container[CodingKeys.errorCode.rawValue] = errorCode
        container[CodingKeys.errorMessage.rawValue] = errorMessage
        container[CodingKeys.requestID.rawValue] = requestID
        container[CodingKeys.sizeKB.rawValue] = sizeKB
        container[CodingKeys.backupEndAt.rawValue] = backupEndAt
        container[CodingKeys.note.rawValue] = note
        container[CodingKeys.createdAt.rawValue] = createdAt
        container[CodingKeys.updatedAt.rawValue] = updatedAt
        container[CodingKeys.startedAt.rawValue] = startedAt
        container[CodingKeys.finishedAt.rawValue] = finishedAt
        container[CodingKeys.selectedFrom.rawValue] = selectedFrom
        container[CodingKeys.ownership.rawValue] = ownership
        container[CodingKeys.ownershipReason.rawValue] = ownershipReason
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    /// Records an error's code, message and request id (clears them when nil).
    public mutating func setError(code: String?, message: String?, requestID: String?) {
        errorCode = code
        errorMessage = message
        self.requestID = requestID
    }
}
