import Foundation

/// A backup as the simulator holds it, at the instant it was read (deleted ones included).
public struct SimulatedBackup: Sendable, Equatable {
    /// The four API statuses plus `deleted` (gone from the API; simulator-only).
    public enum Status: String, Sendable {
        case building = "BUILDING"
        case completed = "COMPLETED"
        case failed = "FAILED"
        case deleting = "DELETING"
        case deleted = "DELETED"
    }

    public var id: String
    public var instanceID: String
    public var name: String
    public var description: String?
    /// SQL Server partial backup databases, when given.
    public var databases: [String]?
    /// `manual`, `auto`, `fragment` or `incremental`.
    public var type: String
    public var status: Status
    public var beginTime: Date
    /// Set once the backup finished (COMPLETED or FAILED).
    public var endTime: Date?
    /// Size in kB (0 until completed).
    public var sizeKB: Int

    /// A backup value, e.g. for `RDSSimulator.addBackup`.
    public init(
        id: String, instanceID: String, name: String, description: String? = nil, databases: [String]? = nil,
        type: String = "manual", status: Status, beginTime: Date, endTime: Date? = nil, sizeKB: Int = 0
    ) {
        self.id = id
        self.instanceID = instanceID
        self.name = name
        self.description = description
        self.databases = databases
        self.type = type
        self.status = status
        self.beginTime = beginTime
        self.endTime = endTime
        self.sizeKB = sizeKB
    }
}

/// A backup record inside the simulator; its status is a function of the simulator clock.
struct BackupRecord: Sendable {
    var id: String
    var instanceID: String
    var name: String
    var description: String?
    var databases: [String]?
    var type: String
    var engine: SimulatedInstance.Engine
    var version: String
    var beginTime: Date
    var finishesAt: Date
    var fails: Bool
    var sizeKB: Int
    var deleteRequestedAt: Date?
    var deleteDuration: TimeInterval

    func status(at now: Date) -> SimulatedBackup.Status {
        if let requested = deleteRequestedAt {
            return now >= requested.addingTimeInterval(deleteDuration) ? .deleted : .deleting
        }
        if now < finishesAt { return .building }
        return fails ? .failed : .completed
    }

    func snapshot(at now: Date) -> SimulatedBackup {
        let status = status(at: now)
        let finished = now >= finishesAt
        return SimulatedBackup(
            id: id, instanceID: instanceID, name: name, description: description, databases: databases, type: type,
            status: status, beginTime: beginTime, endTime: finished ? finishesAt : nil,
            sizeKB: finished && !fails ? sizeKB : 0)
    }
}
