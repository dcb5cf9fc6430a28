/// An RDS DB instance, with the fields a backup daemon needs (docs/rds-api.md §4).
public struct Instance: Sendable, Hashable, Decodable {
    public var id: String
    public var name: String
    /// `ACTIVE`, `BUILD`, `BACKING UP`, … (verbatim).
    public var status: String
    /// `Single`, `Ha` or `Replica` (verbatim).
    public var type: String
    public var datastoreType: String
    public var datastoreVersion: String?
    public var region: String?
    /// The instance's tags as the list reported them; nil when the answer had no usable `tags`
    /// field (OTC's examples show both), so the caller asks `GET …/instances/{id}/tags`.
    public var tags: [InstanceTag]?

    public init(
        id: String, name: String, status: String, type: String, datastoreType: String,
        datastoreVersion: String? = nil, region: String? = nil, tags: [InstanceTag]? = nil
    ) {
        self.id = id
        self.name = name
        self.status = status
        self.type = type
        self.datastoreType = datastoreType
        self.datastoreVersion = datastoreVersion
        self.region = region
        self.tags = tags
    }

    public var isActive: Bool { status.uppercased() == "ACTIVE" }
    public var isReplica: Bool { type.lowercased() == "replica" }
    /// SQL Server (the only engine with partial, per-database backups). Compared case-insensitively, as OTCEXT does.
    public var isSQLServer: Bool { datastoreType.lowercased() == "sqlserver" }

    /// The engine in the schedule's spelling: `mysql`, `postgresql`, `sqlserver`.
    public var engine: String { datastoreType.lowercased() }

    enum CodingKeys: String, CodingKey { case id, name, status, type, datastore, region, tags }
    struct Datastore: Decodable { var type: String?; var version: String? }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        status = try c.decodeIfPresent(String.self, forKey: .status) ?? ""
        type = try c.decodeIfPresent(String.self, forKey: .type) ?? ""
        let datastore = try c.decodeIfPresent(Datastore.self, forKey: .datastore)
        datastoreType = datastore?.type ?? ""
        datastoreVersion = datastore?.version
        region = try c.decodeIfPresent(String.self, forKey: .region)
        // Leniently: a `tags` of the wrong shape means "unknown", never a failed listing.
        tags = (try? c.decodeIfPresent(InstanceTag.List.self, forKey: .tags))?.tags
    }
}
