import RDSClient

/// Whether an instance can take an entry's manual backup: the one verdict the slot runner acts
/// on and `check-config --online` reports.
public enum InstanceCheck: Sendable, Equatable {
    /// ACTIVE, a primary, and a partial backup only where SQL Server offers it.
    case ready
    /// A read replica: manual backups are taken of its primary only. Final.
    case replica
    /// The entry lists `databases`, the engine is not SQL Server. Final.
    case databasesNeedSQLServer(engine: String)
    /// Not ACTIVE right now (e.g. BACKING UP, REBOOTING): a slot retries, it does not fail.
    case notActive(status: String)

    public init(_ instance: Instance, databases: [String]?) {
        if instance.isReplica {
            self = .replica
        } else if let databases, !databases.isEmpty, !instance.isSQLServer {
            self = .databasesNeedSQLServer(engine: instance.datastoreType)
        } else if !instance.isActive {
            self = .notActive(status: instance.status)
        } else {
            self = .ready
        }
    }

    /// The instance can never take this entry's backup as configured.
    public var isRefused: Bool {
        switch self {
        case .replica, .databasesNeedSQLServer: true
        case .ready, .notActive: false
        }
    }
}
