import Foundation
import Logging

/// The one place a slot event happens: the slot's row is saved, the event is logged with its
/// MESSAGE_ID, level and `RDS_*` fields, and the observer (alerting, metrics) is told.
///
/// A new slot event is a `BackupEvent` case (with its catalog entry) and one `record` call where
/// it happens; saving, the journal entry and the observers come with it.
public struct SlotJournal: Sendable {
    public var store: StateStore
    public var clock: any ServiceClock
    /// Told every event that is a slot outcome (`SlotObservation.Kind`).
    public var observer: any ServiceObserver

    public init(store: StateStore, clock: any ServiceClock, observer: any ServiceObserver = NoServiceObserver()) {
        self.store = store
        self.clock = clock
        self.observer = observer
    }

    /// Saves `slot` (one transaction; `slot` becomes the row as written), then `announce`s the
    /// event. When the row cannot be saved nothing is announced and the error is thrown.
    public func record(
        _ event: BackupEvent, _ slot: inout SlotRecord, log: Logger, _ message: String, fields: Logger.Metadata = [:],
        alert: AlertSettings?
    ) throws(StateStoreError) {
        slot = try store.save(slot, now: clock.now())
        announce(event, slot, log: log, message, fields: fields, alert: alert)
    }

    /// Logs the event and tells the observer, without saving (the row is already written, or
    /// could not be and the event must still be known).
    public func announce(
        _ event: BackupEvent, _ slot: SlotRecord, log: Logger, _ message: String, fields: Logger.Metadata = [:],
        alert: AlertSettings?
    ) {
        log.log(level: event.level, "\(message)", metadata: fields.isEmpty ? event.metadata : event.metadata.merging(fields) { $1 })
        if let kind = SlotObservation.Kind(event) {
            observer.slot(SlotObservation(kind, record: slot, alert: alert, at: clock.now()))
        }
    }
}
