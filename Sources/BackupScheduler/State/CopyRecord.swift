import Foundation
import GRDB

/// Where the offsite copy of one completed slot stands.
public enum CopyState: String, Sendable, Codable, CaseIterable, DatabaseValueConvertible {
    /// Due: the slot completed, nothing fetched yet (or the service stopped before it began).
    case pending
    /// Being fetched; after a restart it is resumed from the partial files on disk.
    case copying
    case completed
    /// Given up on (the storage kept failing, the content was wrong, the destination refused).
    case failed

    public var isFinal: Bool { self == .completed || self == .failed }
}

/// One copy's row in the state database (table `copy`, one per slot at most): what the copy of a
/// completed backup did, so a restart finishes it and `status` can tell its age. Never holds a
/// download link.
public struct CopyRecord: Sendable, Equatable, Codable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "copy"

    public var id: Int64?
    /// The slot whose backup is copied.
    public var slotID: Int64
    public var entry: String
    public var instanceID: String
    public var slotAt: Date
    public var backupID: String
    public var backupName: String
    /// The copy's directory (below the entry's `copy.destination`).
    public var directory: String
    public var state: CopyState
    /// Runs begun (a restart resumes and counts one more).
    public var attempts: Int
    /// The copy's size (the files' bytes), once known.
    public var bytes: Int64?
    /// Bytes received over the network, over every run of this copy.
    public var bytesFetched: Int64
    /// Seconds the successful run took.
    public var durationSeconds: Double?
    public var errorMessage: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, entry, state, attempts, bytes, directory
        case slotID = "slot_id"
        case instanceID = "instance_id"
        case slotAt = "slot_at"
        case backupID = "backup_id"
        case backupName = "backup_name"
        case bytesFetched = "bytes_fetched"
        case durationSeconds = "duration_seconds"
        case errorMessage = "error_message"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
    }

    /// A pending copy of the completed slot `slot` into `directory`.
    public init(slot: SlotRecord, slotID: Int64, backupID: String, directory: String, now: Date) {
        self.slotID = slotID
        entry = slot.entry
        instanceID = slot.instanceID
        slotAt = slot.slotAt
        self.backupID = backupID
        backupName = slot.name ?? backupID
        self.directory = directory
        state = .pending
        attempts = 0
        bytesFetched = 0
        createdAt = now
        updatedAt = now
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}
