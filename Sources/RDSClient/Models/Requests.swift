import Foundation

/// The body of `POST /v3/{project_id}/backups`: a flat object, not wrapped (docs/rds-api.md §1).
public struct CreateBackupRequest: Sendable, Hashable {
    public var instanceID: String
    public var name: BackupName
    public var description: BackupDescription?
    /// SQL Server partial backup; empty for a full backup.
    public var databases: [String]

    public init(instanceID: String, name: BackupName, description: BackupDescription? = nil, databases: [String] = []) {
        self.instanceID = instanceID
        self.name = name
        self.description = description
        self.databases = databases
    }

    /// The exact JSON sent: keys in a fixed order, optional keys only when set.
    public func jsonBody() -> [UInt8] {
        var object: [String: Any] = ["instance_id": instanceID, "name": name.value]
        if let description { object["description"] = description.value }
        if !databases.isEmpty { object["databases"] = databases.map { ["name": $0] } }
        // Sorted keys make the body, and so an AK/SK signature, reproducible.
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return Array(data)
    }
}

/// What `GET /v3/{project_id}/backups` is asked for (docs/rds-api.md §2).
public struct BackupQuery: Sendable, Hashable {
    public var instanceID: String
    public var backupID: String?
    public var type: BackupType?
    /// Both or neither: the API refuses one without the other.
    public var window: ClosedRange<Date>?

    public init(instanceID: String, backupID: String? = nil, type: BackupType? = nil, window: ClosedRange<Date>? = nil) {
        self.instanceID = instanceID
        self.backupID = backupID
        self.type = type
        self.window = window
    }

    func queryItems(offset: Int, limit: Int) -> [(name: String, value: String)] {
        var items: [(name: String, value: String)] = [("instance_id", instanceID)]
        if let backupID { items.append(("backup_id", backupID)) }
        if let type { items.append(("backup_type", type.apiValue)) }
        if let window {
            items.append(("begin_time", APITime.formatQuery(window.lowerBound)))
            items.append(("end_time", APITime.formatQuery(window.upperBound)))
        }
        items.append(("offset", String(offset)))
        items.append(("limit", String(limit)))
        return items
    }
}

/// What `GET /v3/{project_id}/instances` is asked for (docs/rds-api.md §4).
public struct InstanceQuery: Sendable, Hashable {
    public var id: String?
    /// Exact, or a fuzzy match when it starts with `*`.
    public var name: String?
    public var type: String?
    public var datastoreType: String?

    public init(id: String? = nil, name: String? = nil, type: String? = nil, datastoreType: String? = nil) {
        self.id = id
        self.name = name
        self.type = type
        self.datastoreType = datastoreType
    }

    func queryItems(offset: Int, limit: Int) -> [(name: String, value: String)] {
        var items: [(name: String, value: String)] = []
        if let id { items.append(("id", id)) }
        if let name { items.append(("name", name)) }
        if let type { items.append(("type", type)) }
        if let datastoreType { items.append(("datastore_type", datastoreType)) }
        items.append(("offset", String(offset)))
        items.append(("limit", String(limit)))
        return items
    }
}
