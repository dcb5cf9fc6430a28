import Foundation
import RDSClient

/// What every call to the cloud goes through (the decorator around `CloudAPI`): it waits for the
/// cloud's `APIGate` (concurrency cap and rate limit) when there is one, and its latency, measured
/// after the gate let it through, goes to the observer under the operation's label.
///
/// Callers hold a `GatedCloud`, never the bare client, so no call can skip the gate or the timing.
public struct GatedCloud: CloudAPI {
    /// The cloud being wrapped (the client, or a test double).
    public let base: any CloudAPI
    /// Shared by every caller of one cloud; nil outside the service (one-off commands and tests).
    public let gate: APIGate?
    /// Told each call's latency (`apiCall(operation:duration:)`).
    public var observer: (any APICallObserver)?

    public init(_ base: any CloudAPI, gate: APIGate? = nil, observer: (any APICallObserver)? = nil) {
        self.base = base
        self.gate = gate
        self.observer = observer
    }

    public func instance(id: String) async throws -> Instance? {
        try await call("instance") { try await base.instance(id: id) }
    }

    public func listInstances(_ query: InstanceQuery, tagged tags: [InstanceTag]) async throws -> [Instance] {
        try await call("list_instances") { try await base.listInstances(query, tagged: tags) }
    }

    public func tags(ofInstance id: String) async throws -> [InstanceTag] {
        try await call("instance_tags") { try await base.tags(ofInstance: id) }
    }

    public func listBackups(_ query: BackupQuery) async throws -> [Backup] {
        try await call("list_backups") { try await base.listBackups(query) }
    }

    public func backup(id: String, instanceID: String) async throws -> Backup? {
        try await call("show_backup") { try await base.backup(id: id, instanceID: instanceID) }
    }

    public func createBackup(_ request: CreateBackupRequest) async throws -> Backup {
        try await call("create_backup") { try await base.createBackup(request) }
    }

    public func deleteBackup(id: String) async throws -> Bool {
        try await call("delete_backup") { try await base.deleteBackup(id: id) }
    }

    public func backupFiles(backupID: String) async throws -> BackupFileList {
        try await call("backup_files") { try await base.backupFiles(backupID: backupID) }
    }

    private func call<T: Sendable>(_ operation: String, _ body: () async throws -> T) async throws -> T {
        guard let gate else { return try await timed(operation, body) }
        return try await gate.perform { try await timed(operation, body) }
    }

    /// Measured on the real clock around the call itself, so waiting for a permit or a token is not counted.
    private func timed<T>(_ operation: String, _ body: () async throws -> T) async throws -> T {
        guard let observer else { return try await body() }
        let started = ContinuousClock.now
        defer { observer.apiCall(operation: operation, duration: ContinuousClock.now - started) }
        return try await body()
    }
}

/// Told the latency of each API call; `ServiceObserver` refines it.
public protocol APICallObserver: Sendable {
    /// One API call (`operation`: instance, list_instances, instance_tags, list_backups,
    /// show_backup, create_backup, delete_backup, backup_files) took `duration`.
    func apiCall(operation: String, duration: Duration)
}
