/// A DB instance the simulator knows, as `GET /v3/{project_id}/instances` reports it (otc-rds-api.md §4).
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

    /// An instance; `status` defaults to ACTIVE.
    public init(
        id: String, name: String, engine: Engine, version: String, type: InstanceType = .single,
        status: String = "ACTIVE", backupsFail: Bool = false
    ) {
        self.id = id
        self.name = name
        self.engine = engine
        self.version = version
        self.type = type
        self.status = status
        self.backupsFail = backupsFail
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
}
