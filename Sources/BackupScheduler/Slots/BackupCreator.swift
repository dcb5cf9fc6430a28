import Foundation
import Logging
import RDSClient

/// Creates one backup under a name, never two: a create whose fate is unknown (timeout, reset,
/// unreadable answer) is resolved by listing the instance's backups for that name before any
/// second create (docs/architecture.md "Slots, names and idempotency").
public struct BackupCreator: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// This call created it.
        case created(Backup)
        /// An earlier attempt whose answer was lost had created it; found by name and adopted.
        case adopted(Backup)

        public var backup: Backup {
            switch self {
            case .created(let backup), .adopted(let backup): backup
            }
        }
    }

    /// The cloud (in the service: behind its gate and timed).
    public var cloud: GatedCloud
    public var retrier: Retrier
    public var logger: Logger

    public init(cloud: GatedCloud, retrier: Retrier, logger: Logger) {
        self.cloud = cloud
        self.retrier = retrier
        self.logger = logger
    }

    /// A creator on a bare client: no gate, no latency observation (`create-backup`, tests).
    public init(client: any CloudAPI, retrier: Retrier, logger: Logger) {
        self.init(cloud: GatedCloud(client), retrier: retrier, logger: logger)
    }

    /// Creates the backup, retrying what is transient until `deadline` (on the retrier's monotonic clock).
    ///
    /// `listWindow` narrows the name look-up (begin_time filter); nil lists all manual backups.
    /// Throws the `RDSError` of a permanent failure (including `.alreadyExists` when the name was
    /// taken before this call began), or `RetriesExhausted`.
    public func create(
        _ request: CreateBackupRequest, listWindow: ClosedRange<Date>? = nil, deadline: MonotonicInstant? = nil,
        onRetry: (_ error: RDSError, _ attempt: Int, _ delay: Duration) -> Void = { _, _, _ in }
    ) async throws -> Outcome {
        var ambiguous = false
        do {
            return try await attempts(request, listWindow: listWindow, deadline: deadline, ambiguous: &ambiguous, onRetry: onRetry)
        } catch where ambiguous && !(error is CancellationError) {
            // Giving up after a create whose fate was unknown (a listing in between may have come
            // before a slow server handled it, or failed itself): one last look, so a backup that
            // did get created is adopted instead of its slot being reported failed (found by SoakTests).
            // Up to three looks: the listing can meet a transient failure too.
            for _ in 0..<3 {
                do {
                    if let found = try await findByName(request.name, instanceID: request.instanceID, window: listWindow) {
                        logger.info(
                            "adopted the backup an earlier attempt created",
                            metadata: ["RDS_BACKUP_ID": "\(found.id)", "RDS_BACKUP_NAME": "\(request.name)"])
                        return .adopted(found)
                    }
                    break
                } catch let listing as RDSError where listing.errorClass.isRetryable {
                    continue
                } catch {
                    break
                }
            }
            throw error
        }
    }

    private func attempts(
        _ request: CreateBackupRequest, listWindow: ClosedRange<Date>?, deadline: MonotonicInstant?, ambiguous: inout Bool,
        onRetry: (_ error: RDSError, _ attempt: Int, _ delay: Duration) -> Void
    ) async throws -> Outcome {
        var unresolved = false
        return try await retrier.run(deadline: deadline, onRetry: onRetry) { attempt in
            if unresolved {
                if let found = try await findByName(request.name, instanceID: request.instanceID, window: listWindow) {
                    logger.info(
                        "adopted the backup an earlier attempt created",
                        metadata: ["RDS_BACKUP_ID": "\(found.id)", "RDS_BACKUP_NAME": "\(request.name)", "RDS_ATTEMPT": "\(attempt)"])
                    return .adopted(found)
                }
                unresolved = false
            }
            do {
                return .created(try await cloud.createBackup(request))
            } catch let error as RDSError {
                if error.mayHaveTakenEffect {
                    unresolved = true
                    ambiguous = true
                }
                if error.errorClass == .alreadyExists, attempt > 1,
                    let found = try await findByName(request.name, instanceID: request.instanceID, window: listWindow)
                {
                    // The name is taken by a backup that appeared during our own attempts: ours.
                    return .adopted(found)
                }
                throw error
            }
        }
    }

    /// The instance's manual backup with exactly this name, if any (not one being deleted).
    public func findByName(_ name: BackupName, instanceID: String, window: ClosedRange<Date>?) async throws -> Backup? {
        try await cloud.manualBackup(named: name, instanceID: instanceID, window: window)
    }
}
