import Foundation
import Logging
import RDSClient

/// Creates one backup under a name, never two: a create whose fate is unknown (timeout, reset,
/// unreadable answer), or that was refused because a backup is in progress (it may be ours, made
/// by another host), is resolved by listing the instance's backups for that name before any
/// second create (docs/architecture.md "Slots, names and idempotency"). With `OwnershipEvidence`
/// only a backup it accepts is adopted; one that is not ours leaves the name taken.
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
    /// `evidence` decides which backup under the name is ours (nil: any on the instance).
    /// `quotaIsTransient`: a quota refusal is retried like a busy instance (retention has just
    /// deleted backups, which the cloud may count until they are gone).
    /// Throws the `RDSError` of a permanent failure (including `.alreadyExists` when the name is
    /// held by a backup that is not ours), or `RetriesExhausted`.
    public func create(
        _ request: CreateBackupRequest, listWindow: ClosedRange<Date>? = nil, deadline: MonotonicInstant? = nil,
        evidence: OwnershipEvidence? = nil, quotaIsTransient: Bool = false,
        onRetry: (_ notice: RetryNotice) -> Void = { _ in }
    ) async throws -> Outcome {
        var ambiguous = false
        let lookUp = { (attempt: Int?) async throws -> Backup? in
            try await findOurs(request.name, instanceID: request.instanceID, window: listWindow, evidence: evidence, attempt: attempt)
        }
        do {
            return try await attempts(
                request, deadline: deadline, quotaIsTransient: quotaIsTransient, ambiguous: &ambiguous, lookUp: lookUp,
                onRetry: onRetry)
        } catch where ambiguous && !(error is CancellationError) {
            // Giving up after a create whose fate was unknown (a listing in between may have come
            // before a slow server handled it, or failed itself): one last look, so a backup that
            // did get created is adopted instead of its slot being reported failed (found by SoakTests).
            // Up to three looks: the listing can meet a transient failure too.
            for _ in 0..<3 {
                do {
                    if let found = try await lookUp(nil) { return .adopted(found) }
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
        _ request: CreateBackupRequest, deadline: MonotonicInstant?, quotaIsTransient: Bool, ambiguous: inout Bool,
        lookUp: (_ attempt: Int?) async throws -> Backup?,
        onRetry: (_ notice: RetryNotice) -> Void
    ) async throws -> Outcome {
        var unresolved = false
        return try await retrier.run(deadline: deadline, onRetry: onRetry) { attempt in
            if unresolved {
                if let found = try await lookUp(attempt) { return .adopted(found) }
                unresolved = false
            }
            do {
                return .created(try await cloud.createBackup(request))
            } catch var error as RDSError {
                if error.mayHaveTakenEffect {
                    unresolved = true
                    ambiguous = true
                }
                // "Backup in progress": perhaps ours, made by another host or a lost attempt;
                // where the cloud does not enforce unique names, creating again would make two.
                if error.errorClass == .busy { unresolved = true }
                if error.errorClass == .alreadyExists, attempt > 1, let found = try await lookUp(attempt) {
                    // The name is taken by a backup that appeared during our own attempts: ours.
                    return .adopted(found)
                }
                if quotaIsTransient, error.isQuotaExceeded { error.errorClass = .busy }
                throw error
            }
        }
    }

    /// The instance's manual backup with exactly this name that `evidence` says is ours (any such
    /// backup without evidence), if there is one; logged when found.
    func findOurs(
        _ name: BackupName, instanceID: String, window: ClosedRange<Date>?, evidence: OwnershipEvidence?, attempt: Int?
    ) async throws -> Backup? {
        let candidates = try await cloud.manualBackups(named: name, instanceID: instanceID, window: window)
        guard let found = try candidates.first(where: { try evidence?.judge($0).isOurs ?? true }) else { return nil }
        var metadata: Logger.Metadata = ["RDS_BACKUP_ID": "\(found.id)", "RDS_BACKUP_NAME": "\(name)"]
        if let attempt { metadata["RDS_ATTEMPT"] = "\(attempt)" }
        logger.info("adopted the backup found under its name (an earlier attempt or another host created it)", metadata: metadata)
        return found
    }
}
