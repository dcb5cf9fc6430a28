import Foundation

/// `POST`, `GET /v3/{project_id}/backups` and `DELETE /v3/{project_id}/backups/{id}` (docs/rds-api.md §1–§3).
///
/// Codes are from the RDS v3 error table (RDS-DOC `appendix/error_codes.rst`). Choices the docs leave
/// open (UNCONFIRMED, docs/rds-api.md §10):
/// - invalid name → 400 DBS.280277 "Invalid object name." (no backup-specific code exists);
/// - duplicate name → 409 DBS.201201 "The object already exists."; scope per `nameUniqueness`;
/// - Replica → 400 DBS.201014 (documented both for replicas and for a status that forbids it);
/// - instance not ACTIVE → 409 DBS.201202, a backup already BUILDING (or status `BACKING UP`) → 409 DBS.201205;
/// - manual backup quota → 413 RDS.3003 (the only documented backup-quota code, from v1);
/// - checks run in the order: body, name, description, instance, replica, databases, name clash, quota,
///   busy; so a retried create of a backup still BUILDING answers "already exists".
/// - list with a `backup_id` that does not (or no longer) exist → 400 DBS.201203 "The backup file does
///   not exist." (TF-OTC treats that text as "gone"); delete of an unknown id → 404 DBS.201010;
/// - `begin_time`/`end_time` select backups whose begin time lies in [begin_time, end_time];
/// - list of an unknown instance → an empty list; newest first.
enum BackupRoutes {
    static let backupTypes: Set<String> = ["auto", "manual", "fragment", "incremental"]
    /// Scalars, not Characters: "\r\n" is one Character that equals neither "\r" nor "\n".
    static let forbiddenInDescription: Set<Unicode.Scalar> = [">", "!", "<", "\"", "&", "'", "=", "\r", "\n"]

    static func isValidName(_ name: String) -> Bool {
        let scalars = Array(name.unicodeScalars)
        guard (4...64).contains(scalars.count), let first = scalars.first, first.isASCII, first.properties.isAlphabetic
        else { return false }
        return scalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "-" || scalar == "_")
        }
    }

    static func isValidDescription(_ description: String) -> Bool {
        description.count <= 256 && !description.unicodeScalars.contains { forbiddenInDescription.contains($0) }
    }

    static func create(_ state: inout SimState, _ exchange: Exchange) -> SimResponse {
        let config = state.configuration
        let now = exchange.now
        guard !exchange.request.body.isEmpty else {
            return .rdsError(400, "DBS.200006", "The request is null. Enter a request parameter.")
        }
        guard let body = try? JSONDecoder().decode(RDSWire.CreateBackupRequest.self, from: Data(exchange.request.body)),
            let instanceID = body.instance_id, !instanceID.isEmpty, let name = body.name
        else { return .parameterError }
        guard isValidName(name) else {
            return .rdsError(400, "DBS.280277", "Invalid object name.")
        }
        if let description = body.description, !isValidDescription(description) {
            return .rdsError(400, "DBS.280127", "Invalid backup description.")
        }
        guard let instance = state.instance(instanceID) else {
            return .rdsError(404, "DBS.200002", "The DB instance does not exist.")
        }
        if instance.type == .replica {
            return .rdsError(400, "DBS.201014", "This operation is not allowed for the DB instance.")
        }
        if let databases = body.databases {
            // Partial backups exist for SQL Server only; an empty list or an empty name is malformed.
            guard instance.engine == .sqlServer, !databases.isEmpty, databases.allSatisfy({ !$0.name.isEmpty }) else {
                return .parameterError
            }
        }
        let live = state.backups.filter { $0.status(at: now) != .deleted }
        let clash = live.contains { backup in
            guard backup.name == name else { return false }
            switch config.nameUniqueness {
            case .perProject: return true
            case .perInstance: return backup.instanceID == instanceID
            case .notEnforced: return false
            }
        }
        if clash {
            return .rdsError(409, "DBS.201201", "The object already exists.")
        }
        if let quota = config.manualBackupQuota, live.filter({ $0.type == "manual" }).count >= quota {
            return .rdsError(413, "RDS.3003", "The number of manual backups has reached the quota.")
        }
        if state.isBackingUp(instanceID, at: now) || instance.status == "BACKING UP" {
            return .rdsError(409, "DBS.201205", "Backup is in progress, please wait.")
        }
        if instance.status != "ACTIVE" {
            return .rdsError(
                409, "DBS.201202", "Another operation is being performed on the DB instance or the DB instance is faulty.")
        }

        state.backupsCreated += 1
        let record = BackupRecord(
            id: RandomID.backupID(), instanceID: instanceID, name: name, description: body.description,
            databases: body.databases?.map(\.name), type: "manual", engine: instance.engine, version: instance.version,
            beginTime: now, finishesAt: now.addingTimeInterval(config.backupDuration), fails: instance.backupsFail,
            sizeKB: 51_200 + 1_024 * (state.backupsCreated % 16), deleteRequestedAt: nil, deleteDuration: config.deleteDuration)
        state.backups.append(record)
        return .json(
            200,
            RDSWire.CreateBackupResponse(
                backup: RDSWire.CreatedBackup(
                    id: record.id, instance_id: instanceID, name: name, description: body.description ?? "",
                    databases: body.databases, begin_time: TimeFormat.rds(now, utcOffset: config.responseUTCOffset),
                    status: "BUILDING", type: "manual")))
    }

    static func list(_ state: inout SimState, _ exchange: Exchange) -> SimResponse {
        let request = exchange.request
        let now = exchange.now
        guard let instanceID = request.queryValue("instance_id"), !instanceID.isEmpty, let paging = Paging(request) else {
            return .parameterError
        }
        let backupType = request.queryValue("backup_type")
        if let backupType, !backupTypes.contains(backupType) { return .parameterError }

        var window: ClosedRange<Date>?
        switch (request.queryValue("begin_time"), request.queryValue("end_time")) {
        case (nil, nil):
            break
        case (let begin?, let end?):
            guard let from = TimeFormat.parseRDS(begin), let to = TimeFormat.parseRDS(end), from < to else {
                return .parameterError
            }
            window = from...to
        default:
            return .parameterError  // one without the other
        }

        var selected = state.backups.filter { $0.instanceID == instanceID && $0.status(at: now) != .deleted }
        if let backupID = request.queryValue("backup_id") {
            selected = selected.filter { $0.id == backupID }
            if selected.isEmpty {
                return .rdsError(400, "DBS.201203", "The backup file does not exist.")
            }
        }
        if let backupType { selected = selected.filter { $0.type == backupType } }
        if let window { selected = selected.filter { window.contains($0.beginTime) } }
        selected.sort { ($0.beginTime, $0.id) > ($1.beginTime, $1.id) }

        let offset = state.configuration.responseUTCOffset
        let page = paging.apply(selected).map { record -> RDSWire.ListedBackup in
            let snapshot = record.snapshot(at: now)
            return RDSWire.ListedBackup(
                id: record.id, instance_id: record.instanceID, name: record.name, description: state.configuration.listsBackupDescriptions ? record.description ?? "" : nil,
                type: record.type, size: snapshot.sizeKB, status: snapshot.status.rawValue,
                begin_time: TimeFormat.rds(record.beginTime, utcOffset: offset),
                end_time: snapshot.endTime.map { TimeFormat.rds($0, utcOffset: offset) },
                datastore: RDSWire.Datastore(type: record.engine.rawValue, version: record.version),
                databases: record.databases?.map { RDSWire.DatabaseRef(name: $0) })
        }
        return .json(200, RDSWire.ListBackupsResponse(backups: page, total_count: selected.count))
    }

    static func delete(_ state: inout SimState, _ exchange: Exchange, backupID: String) -> SimResponse {
        let now = exchange.now
        guard let index = state.backups.firstIndex(where: { $0.id == backupID && $0.status(at: now) != .deleted }) else {
            return .rdsError(404, "DBS.201010", "The backup information does not exist.")
        }
        switch state.backups[index].status(at: now) {
        case .building:
            return .rdsError(409, "DBS.201205", "Backup is in progress, please wait.")
        case .deleting:
            return SimResponse(status: 200)  // already on its way out; answer as the first delete did
        default:
            break
        }
        guard state.backups[index].type == "manual" else {
            // Automated backups cannot be deleted manually (UMN); the code is UNCONFIRMED.
            return .parameterError
        }
        state.backups[index].deleteRequestedAt = now
        state.backups[index].deleteDuration = state.configuration.deleteDuration
        return SimResponse(status: 200)
    }
}
