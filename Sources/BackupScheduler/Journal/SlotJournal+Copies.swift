import Foundation
import Logging

/// Copy events through the slot journal: the copy's row is saved, then the event goes to every
/// listener (the journal log with its MESSAGE_ID and `RDS_*` fields; metrics through the observer).
extension SlotJournal {
    /// Saves `copy` (`copy` becomes the row as written), then announces the event. When the row
    /// cannot be saved nothing is announced and the error is thrown.
    public func recordCopy(
        _ event: BackupEvent, _ copy: inout CopyRecord, log: Logger, _ message: String, fields: Logger.Metadata = [:],
        fetched: Int64 = 0, alert: AlertSettings? = nil
    ) throws(StateStoreError) {
        copy = try store.saveCopy(copy, now: clock.now())
        announceCopy(event, copy, log: log, message, fields: fields, fetched: fetched, alert: alert)
    }

    /// Hands a copy event to every listener without saving.
    public func announceCopy(
        _ event: BackupEvent, _ copy: CopyRecord, log: Logger, _ message: String, fields: Logger.Metadata = [:],
        fetched: Int64 = 0, alert: AlertSettings? = nil, level: Logger.Level? = nil
    ) {
        let copyEvent = CopyEvent(
            event: event, record: copy, message: message, fields: fields, at: clock.now(), fetched: fetched, alert: alert,
            level: level)
        for listener in listeners { listener.copyEvent(copyEvent, log: log) }
    }
}

/// One copy event as the journal hands it on (never a download link).
public struct CopyEvent: Sendable {
    public var event: BackupEvent
    /// The copy's row as saved.
    public var record: CopyRecord
    public var message: String
    /// The event's own `RDS_*` fields.
    public var fields: Logger.Metadata
    public var at: Date
    /// Bytes the run that ended fetched over the network.
    public var fetched: Int64 = 0
    /// The entry's `alert:`: a failed copy is told to its failure ping and command.
    public var alert: AlertSettings? = nil
    public var level: Logger.Level? = nil
}

extension SlotEventListener {
    /// Copy events; ignored unless the listener wants them.
    public func copyEvent(_ event: CopyEvent, log: Logger) {}
}

extension SlotEventLog {
    public func copyEvent(_ event: CopyEvent, log: Logger) {
        let metadata = event.event.metadata.merging(event.fields) { $1 }
        log.log(level: event.level ?? event.event.level, "\(event.message)", metadata: metadata)
    }
}

extension SlotEventObservation {
    public func copyEvent(_ event: CopyEvent, log: Logger) {
        guard let kind = CopyObservation.Kind(event.event) else { return }
        var observation = CopyObservation(kind, record: event.record, at: event.at, bytesFetched: event.fetched)
        observation.errorKind = event.fields["RDS_COPY_ERROR_KIND"].map { "\($0)" }
        observer.copy(observation)
        if kind == .failed, let alert = event.alert {
            observer.slot(SlotObservation(copyFailure: observation, alert: alert))
        }
    }
}

/// One copy outcome for a `ServiceObserver` (metrics).
public struct CopyObservation: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case started, completed, failed

        public init?(_ event: BackupEvent) {
            switch event {
            case .copyStarted: self = .started
            case .copyCompleted: self = .completed
            case .copyFailed: self = .failed
            default: return nil
            }
        }
    }

    public var kind: Kind
    public var entry: String
    public var instanceID: String
    public var slot: Date
    public var backupID: String
    public var backupName: String
    /// Runs of this copy so far.
    public var attempts: Int
    /// Why it failed (`destination`, `links`, `transfer`, `content`), for a failed copy.
    public var errorKind: String?
    /// The copy's size, when known.
    public var bytes: Int64?
    /// Bytes fetched by the run that ended (completed or failed); 0 for `started`.
    public var bytesFetched: Int64
    /// How long the run took (completed).
    public var duration: Double?
    public var message: String?
    public var at: Date

    public init(_ kind: Kind, record: CopyRecord, at: Date, bytesFetched: Int64 = 0) {
        self.kind = kind
        entry = record.entry
        instanceID = record.instanceID
        slot = record.slotAt
        backupID = record.backupID
        backupName = record.backupName
        attempts = record.attempts
        bytes = record.bytes
        self.bytesFetched = bytesFetched
        duration = record.durationSeconds
        message = record.errorMessage
        self.at = at
    }
}
