import Foundation

/// A backup's status as the API reports it (docs/rds-api.md §1).
public enum BackupStatus: Sendable, Hashable, CustomStringConvertible {
    case building, completed, failed, deleting
    /// A value the docs do not list; kept verbatim, never fatal.
    case other(String)

    public init(apiValue: String) {
        switch apiValue.uppercased() {
        case "BUILDING": self = .building
        case "COMPLETED": self = .completed
        case "FAILED": self = .failed
        case "DELETING": self = .deleting
        default: self = .other(apiValue)
        }
    }

    public var apiValue: String {
        switch self {
        case .building: "BUILDING"
        case .completed: "COMPLETED"
        case .failed: "FAILED"
        case .deleting: "DELETING"
        case .other(let value): value
        }
    }

    /// COMPLETED or FAILED: following the backup can stop.
    public var isFinal: Bool { self == .completed || self == .failed }
    public var description: String { apiValue }
}

/// A backup's type: `auto`, `manual`, `fragment` (differential full), `incremental`.
public enum BackupType: Sendable, Hashable, CustomStringConvertible {
    case auto, manual, fragment, incremental
    case other(String)

    public init(apiValue: String) {
        switch apiValue.lowercased() {
        case "auto": self = .auto
        case "manual": self = .manual
        case "fragment": self = .fragment
        case "incremental": self = .incremental
        default: self = .other(apiValue)
        }
    }

    public var apiValue: String {
        switch self {
        case .auto: "auto"
        case .manual: "manual"
        case .fragment: "fragment"
        case .incremental: "incremental"
        case .other(let value): value
        }
    }

    public var description: String { apiValue }
}

/// A backup as returned by create and list. Unknown fields are ignored.
public struct Backup: Sendable, Hashable {
    public var id: String
    public var instanceID: String
    /// The name as the API reports it (a foreign backup's name need not follow our rules).
    public var name: String
    public var description: String?
    public var status: BackupStatus
    public var type: BackupType
    public var beginTime: Date?
    public var endTime: Date?
    /// Size in kB, as the list reports it.
    public var sizeKB: Int64?
    /// SQL Server partial backups: the databases it holds.
    public var databases: [String]
    /// Engine as the API spells it (`MySQL`, `PostgreSQL`, `SQLServer`).
    public var datastoreType: String?
    public var datastoreVersion: String?

    public init(
        id: String, instanceID: String, name: String, description: String? = nil,
        status: BackupStatus, type: BackupType = .manual, beginTime: Date? = nil, endTime: Date? = nil,
        sizeKB: Int64? = nil, databases: [String] = [], datastoreType: String? = nil,
        datastoreVersion: String? = nil
    ) {
        self.id = id
        self.instanceID = instanceID
        self.name = name
        self.description = description
        self.status = status
        self.type = type
        self.beginTime = beginTime
        self.endTime = endTime
        self.sizeKB = sizeKB
        self.databases = databases
        self.datastoreType = datastoreType
        self.datastoreVersion = datastoreVersion
    }
}

extension Backup: Decodable {
    enum CodingKeys: String, CodingKey {
        case id, name, description, status, type, size, databases, datastore
        case instanceID = "instance_id"
        case beginTime = "begin_time"
        case endTime = "end_time"
    }

    struct NamedDatabase: Decodable { var name: String }
    struct Datastore: Decodable { var type: String?; var version: String? }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        instanceID = try c.decodeIfPresent(String.self, forKey: .instanceID) ?? ""
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        description = try c.decodeIfPresent(String.self, forKey: .description)
        status = BackupStatus(apiValue: try c.decodeIfPresent(String.self, forKey: .status) ?? "")
        type = BackupType(apiValue: try c.decodeIfPresent(String.self, forKey: .type) ?? "")
        beginTime = try c.decodeIfPresent(String.self, forKey: .beginTime).flatMap(APITime.parse)
        endTime = try c.decodeIfPresent(String.self, forKey: .endTime).flatMap(APITime.parse)
        sizeKB = try c.decodeLenientInt64(forKey: .size)
        databases = (try c.decodeIfPresent([NamedDatabase].self, forKey: .databases) ?? []).map(\.name)
        let datastore = try c.decodeIfPresent(Datastore.self, forKey: .datastore)
        datastoreType = datastore?.type
        datastoreVersion = datastore?.version
    }
}

extension KeyedDecodingContainer {
    /// A number the API may send as an integer, a float or a numeric string.
    func decodeLenientInt64(forKey key: Key) throws -> Int64? {
        if let value = try? decodeIfPresent(Int64.self, forKey: key) { return value }
        if let value = try? decodeIfPresent(Double.self, forKey: key) { return Int64(exactly: value.rounded()) }
        if let text = try? decodeIfPresent(String.self, forKey: key) { return Int64(text) }
        return nil
    }
}
