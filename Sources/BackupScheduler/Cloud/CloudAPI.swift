import Foundation
import RDSClient

/// The cloud operations the scheduler uses: the one seam between the scheduler and the cloud.
///
/// `RDSAPIClient` is the real one. The slot runner, the backup creator, the pruner and the
/// selection resolver hold a `GatedCloud` around it, so the concurrency gate, the rate limit and
/// the latency observation apply to every call without a call site doing anything. A new API call
/// is one requirement here, one forwarding method in `GatedCloud` (with its operation label).
public protocol CloudAPI: Sendable {
    /// The instance with this id, nil when the project has none.
    func instance(id: String) async throws -> Instance?
    /// Every page of the instance list matching `query`, narrowed on the server by exact `tags`.
    func listInstances(_ query: InstanceQuery, tagged tags: [InstanceTag]) async throws -> [Instance]
    /// An instance's tags.
    func tags(ofInstance id: String) async throws -> [InstanceTag]
    /// The backups matching `query` (every page).
    func listBackups(_ query: BackupQuery) async throws -> [Backup]
    /// One backup's current state, nil when it no longer exists.
    func backup(id: String, instanceID: String) async throws -> Backup?
    /// Sends one create (never retried here).
    func createBackup(_ request: CreateBackupRequest) async throws -> Backup
    /// Deletes a manual backup; false when it was already gone.
    func deleteBackup(id: String) async throws -> Bool
    /// A completed backup's files with fresh download links (offsite copies).
    func backupFiles(backupID: String) async throws -> BackupFileList
}

extension RDSAPIClient: CloudAPI {}

extension CloudAPI {
    /// Clouds that cannot hand out backup files (test doubles) refuse, as the API does for a kind it does not serve.
    public func backupFiles(backupID: String) async throws -> BackupFileList {
        throw RDSError(operation: "get the download links of backup \(backupID)", errorClass: .permanent, message: "this cloud hands out no backup files")
    }
}

extension CloudAPI {
    /// The instance's manual backup with exactly this name, if any (not one being deleted):
    /// the list check that keeps one backup per slot.
    public func manualBackup(named name: BackupName, instanceID: String, window: ClosedRange<Date>?) async throws -> Backup? {
        try await manualBackups(named: name, instanceID: instanceID, window: window).first
    }

    /// Every manual backup of the instance with exactly this name (not one being deleted): where
    /// the cloud does not enforce unique names there may be more than one, and only one of them
    /// may be a slot's own (`OwnershipEvidence`).
    public func manualBackups(named name: BackupName, instanceID: String, window: ClosedRange<Date>?) async throws -> [Backup] {
        let backups = try await listBackups(BackupQuery(instanceID: instanceID, type: .manual, window: window))
        return backups.filter { $0.name == name.value && $0.status != .deleting }
    }
}
