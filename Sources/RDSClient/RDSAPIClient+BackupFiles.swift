import Foundation

/// The links to download a backup's files (docs/api-notes.md "Backup files").
extension RDSAPIClient {
    /// `GET /v3/{project_id}/backup-files?backup_id=ID`: the backup's files with fresh,
    /// time-limited download links. The links are secrets (`DownloadLink` never prints its query);
    /// the answer's body is never logged.
    ///
    /// The API serves full backups of MySQL, PostgreSQL and SQL Server and incremental backups of
    /// MySQL and PostgreSQL; for others it answers an error (`RDSError`), as for an unknown id.
    public func backupFiles(backupID: String) async throws -> BackupFileList {
        let operation = "get the download links of backup \(backupID)"
        let response = try await send(
            operation: operation, method: .GET, path: "backup-files", query: [("backup_id", backupID)], body: [])
        let list = try response.decodeJSON(BackupFileList.self, operation: operation)
        if let unnamed = list.files.first(where: { $0.name.isEmpty || $0.name.contains("/") || $0.name == "." || $0.name == ".." }) {
            throw RDSError(
                operation: operation, errorClass: .permanent, status: response.status,
                message: "the answer names a file '\(unnamed.name)' that cannot be a file name", requestID: response.requestID)
        }
        return list
    }
}
