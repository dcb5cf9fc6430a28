import Foundation
import RDSClient

/// What the service tells alerting and metrics: slot outcomes, retries, API latency, pruning and
/// the next runs. Every method is called on the service's own path, so an implementation must
/// return at once (record, or hand the work to a task of its own) and never block or throw.
public protocol ServiceObserver: APICallObserver {
    /// A slot started, got its backup, completed, failed, was missed or skipped.
    func slot(_ observation: SlotObservation)
    /// An attempt of `entry` failed with an error of `errorClass` and will be retried.
    func retry(entry: String, errorClass: ErrorClass)
    /// Retention deleted `count` backups of `entry`.
    func pruned(entry: String, count: Int)
    /// The next run time of every queued entry (sent whenever the loop turns).
    func nextRuns(_ runs: [String: Date])
    /// An offsite copy started, completed or failed.
    func copy(_ observation: CopyObservation)
}

extension ServiceObserver {
    public func slot(_ observation: SlotObservation) {}
    public func retry(entry: String, errorClass: ErrorClass) {}
    public func apiCall(operation: String, duration: Duration) {}
    public func pruned(entry: String, count: Int) {}
    public func nextRuns(_ runs: [String: Date]) {}
    public func copy(_ observation: CopyObservation) {}
}

/// The default observer: ignores everything.
public struct NoServiceObserver: ServiceObserver {
    public init() {}
}

/// One slot event with what a ping body, a failure command and a metric need (never a secret).
public struct SlotObservation: Sendable, Equatable {
    /// What happened.
    public enum Kind: String, Sendable, CaseIterable {
        case started, created, completed, failed, missed, skipped
        /// The slot's backup completed but its offsite copy (`copy:`) failed: the entry's failure
        /// ping and command are told (`RDS_EVENT=copy_failed`); metrics count it as a copy.
        case copyFailed = "copy_failed"

        /// The kind a journal event stands for, if it is a slot outcome.
        public init?(_ event: BackupEvent) {
            switch event {
            case .slotStarted: self = .started
            case .backupCreated: self = .created
            case .backupCompleted: self = .completed
            case .backupFailed: self = .failed
            case .slotMissed: self = .missed
            case .slotSkipped: self = .skipped
            default: return nil
            }
        }
    }

    public var kind: Kind
    public var entry: String
    public var instanceID: String
    /// The slot's scheduled instant (its identity).
    public var slot: Date
    public var backupName: String?
    public var backupID: String?
    public var attempts: Int
    public var errorCode: String?
    /// The failure's message, or why the slot was missed or skipped.
    public var message: String?
    public var requestID: String?
    /// The entry's `alert:` (nil when none, or when the entry left the schedule).
    public var alert: AlertSettings?
    /// When it happened, on the service clock.
    public var at: Date

    /// The failure of the copy `copy` as the entry's failure ping and command see it.
    public init(copyFailure copy: CopyObservation, alert: AlertSettings?) {
        kind = .copyFailed
        entry = copy.entry
        instanceID = copy.instanceID
        slot = copy.slot
        backupName = copy.backupName
        backupID = copy.backupID
        attempts = copy.attempts
        errorCode = copy.errorKind
        message = copy.message
        requestID = nil
        self.alert = alert
        at = copy.at
    }

    /// The observation of `record` as it is now.
    public init(_ kind: Kind, record: SlotRecord, alert: AlertSettings?, at: Date) {
        self.kind = kind
        entry = record.entry
        instanceID = record.instanceID
        slot = record.slotAt
        backupName = record.name
        backupID = record.backupID
        attempts = record.attempts
        errorCode = record.errorCode
        message = kind == .failed ? (record.errorMessage ?? record.note) : record.note
        requestID = record.requestID
        self.alert = alert
        self.at = at
    }
}
