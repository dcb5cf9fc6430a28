/// A DB instance the simulator knows, as `GET /v3/{project_id}/instances` reports it (docs/rds-api.md §4).
public struct SimulatedInstance: Sendable, Equatable {
    /// `datastore.type` values (case-sensitive on the wire).
    public enum Engine: String, Sendable, CaseIterable {
        case mysql = "MySQL"
        case postgreSQL = "PostgreSQL"
        case sqlServer = "SQLServer"
    }

    /// Instance `type` values; a `Replica` cannot be backed up manually.
    public enum InstanceType: String, Sendable, CaseIterable {
        case single = "Single"
        case ha = "Ha"
        case replica = "Replica"
    }

    public var id: String
    public var name: String
    public var engine: Engine
    /// `datastore.version`, e.g. "8.0", "13", "2017_SE".
    public var version: String
    public var type: InstanceType
    /// `ACTIVE`, `BUILD`, `REBOOTING`, `BACKING UP`, `SHUTDOWN`, ... (free text as on the wire).
    public var status: String
    /// When true, manual backups of this instance end FAILED instead of COMPLETED.
    public var backupsFail: Bool
    /// User tags (key → value), reported in the list and by `GET …/instances/{id}/tags` (docs/api-notes.md).
    public var tags: [String: String]

    /// An instance; `status` defaults to ACTIVE.
    public init(
        id: String, name: String, engine: Engine, version: String, type: InstanceType = .single,
        status: String = "ACTIVE", backupsFail: Bool = false, tags: [String: String] = [:]
    ) {
        self.id = id
        self.name = name
        self.engine = engine
        self.version = version
        self.type = type
        self.status = status
        self.backupsFail = backupsFail
        self.tags = tags
    }

    /// The instances of the design's example schedule plus a PostgreSQL one and a read replica.
    public static let demo: [SimulatedInstance] = [
        SimulatedInstance(id: "d8e6ca5a624745bcb546a227aa3ae1cfin01", name: "orders", engine: .mysql, version: "8.0", type: .ha),
        SimulatedInstance(id: "5e1c0c8f1d4a4b7e9b6a0f1e2d3c4b5ain04", name: "payroll", engine: .sqlServer, version: "2017_SE"),
        SimulatedInstance(id: "7a0e5f3c2b1d4e6f8a9b0c1d2e3f4a5bin03", name: "inventory", engine: .postgreSQL, version: "13"),
        SimulatedInstance(
            id: "c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8in01", name: "orders-replica", engine: .mysql, version: "8.0",
            type: .replica),
    ]

    /// A tagged fleet for the demo's `select:` entry: two daily-tagged databases, one untagged,
    /// and a tagged read replica that a selector never picks.
    public static let demoFleet: [SimulatedInstance] = [
        SimulatedInstance(
            id: "1f0e2d3c4b5a69788796a5b4c3d2e1f0in01", name: "shop-eu", engine: .mysql, version: "8.0",
            tags: ["backup": "daily", "team": "shop"]),
        SimulatedInstance(
            id: "2a1b3c4d5e6f708192a3b4c5d6e7f809in03", name: "shop-analytics", engine: .postgreSQL, version: "13",
            tags: ["backup": "daily", "team": "data"]),
        SimulatedInstance(
            id: "3b2c4d5e6f708192a3b4c5d6e7f8091ain01", name: "shop-scratch", engine: .mysql, version: "8.0",
            tags: ["team": "shop"]),
        SimulatedInstance(
            id: "4c3d5e6f708192a3b4c5d6e7f8091a2bin01", name: "shop-eu-replica", engine: .mysql, version: "8.0",
            type: .replica, tags: ["backup": "daily", "team": "shop"]),
    ]
}
