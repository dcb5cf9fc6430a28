import Foundation

/// `GET /v3/{project_id}/backup-files?backup_id=ID`: the backup's files with download links into
/// the simulated object storage (docs/api-notes.md "Backup files").
///
/// The reference serves full backups of MySQL, PostgreSQL and SQL Server and incremental backups
/// of MySQL and PostgreSQL. What it answers otherwise is not documented; the simulator's choices
/// (UNCONFIRMED):
/// - no `backup_id` → 400 `DBS.200001` (the parameter error of the other routes);
/// - an unknown, deleted, BUILDING or FAILED backup, and a kind the reference does not serve
///   (`fragment`, SQL Server `incremental`) → 400 `DBS.201203` "The backup file does not exist."
///   (as the backup list answers for an unknown id);
/// - files: MySQL one `ID.qp`, PostgreSQL one `ID.tar`, SQL Server one `DB_ID.bak` per database
///   (its partial backup's databases, else two); each link valid for `linkLifetime` of the object
///   storage; sizes in kB rounded up.
enum BackupFileRoutes {
    struct FilesResponse: Encodable {
        var files: [File]
        var bucket: String
    }

    struct File: Encodable {
        var name: String
        var size: Int64
        var download_link: String
        var link_expired_time: String
        var database_name: String?
    }

    /// Whether the reference serves files for this engine and backup type.
    static func isServed(engine: SimulatedInstance.Engine, type: String) -> Bool {
        switch type {
        case "manual", "auto": true
        case "incremental": engine != .sqlServer
        default: false
        }
    }

    /// The files of a backup and their sizes (`total` bytes split over them).
    static func layout(of record: BackupRecord, total: Int64) -> [(name: String, database: String?, bytes: Int64)] {
        let names: [(String, String?)]
        switch record.engine {
        case .mysql: names = [("\(record.id).qp", nil)]
        case .postgreSQL: names = [("\(record.id).tar", nil)]
        case .sqlServer:
            let databases = record.databases?.isEmpty == false ? record.databases! : ["appdb", "reports"]
            names = databases.map { ("\($0)_\(record.id).bak", $0) }
        }
        let share = total / Int64(names.count)
        return names.enumerated().map { index, entry in
            let bytes = index == names.count - 1 ? total - share * Int64(names.count - 1) : share
            return (entry.0, entry.1, bytes)
        }
    }

    static func files(_ state: inout SimState, _ exchange: Exchange, storage: SimulatedObjectStorage) -> SimResponse {
        guard let backupID = exchange.request.queryValue("backup_id"), !backupID.isEmpty else { return .parameterError }
        let missing = SimResponse.rdsError(400, "DBS.201203", "The backup file does not exist.")
        guard let record = state.backups.first(where: { $0.id == backupID }),
            record.status(at: exchange.now) == .completed, isServed(engine: record.engine, type: record.type)
        else { return missing }
        let total = storage.backupBytes ?? Int64(record.sizeKB) * 1024
        let offset = state.configuration.responseUTCOffset
        let files = layout(of: record, total: total).map { file -> File in
            let key = "\(record.instanceID)/\(record.id)/\(file.name)"
            storage.put(key: key, size: file.bytes)
            let link = storage.link(key: key)
            return File(
                name: file.name, size: (file.bytes + 1023) / 1024, download_link: link.url,
                link_expired_time: TimeFormat.rds(link.expiresAt, utcOffset: offset), database_name: file.database)
        }
        return .json(200, FilesResponse(files: files, bucket: SimulatedObjectStorage.backupBucket))
    }
}
