import Foundation
import Logging
import RDSClient

/// The one place a slot event happens: the slot's row is saved, then the event goes to every
/// listener. The journal log (MESSAGE_ID, level and `RDS_*` fields), alerting and metrics are
/// listeners like any other.
///
/// A new slot event is a `BackupEvent` case (with its catalog entry) and one `record` call where
/// it happens; saving, the journal entry and the observers come with it. Offsite copies go the
/// same way with their own row (`recordCopy`, `SlotJournal+Copies.swift`).
public struct SlotJournal: Sendable {
    public var store: StateStore
    public var clock: any ServiceClock
    /// Told every event, in order.
    public var listeners: [any SlotEventListener]

    public init(store: StateStore, clock: any ServiceClock, listeners: [any SlotEventListener]) {
        self.store = store
        self.clock = clock
        self.listeners = listeners
    }

    /// The journal of the service: the log, then `observer` (alerting and metrics).
    public init(store: StateStore, clock: any ServiceClock, observer: any ServiceObserver = NoServiceObserver()) {
        self.init(store: store, clock: clock, listeners: [SlotEventLog(), SlotEventObservation(observer: observer)])
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

    /// Hands the event to every listener without saving (the row is already written, or could not
    /// be and the event must still be known).
    public func announce(
        _ event: BackupEvent, _ slot: SlotRecord, log: Logger, _ message: String, fields: Logger.Metadata = [:],
        alert: AlertSettings?, errorClass: ErrorClass? = nil, level: Logger.Level? = nil
    ) {
        let slotEvent = SlotEvent(
            event: event, record: slot, message: message, fields: fields, alert: alert, errorClass: errorClass, at: clock.now(),
            level: level)
        for listener in listeners { listener.slotEvent(slotEvent, log: log) }
    }
}

/// One slot event as the journal hands it on (never a secret).
public struct SlotEvent: Sendable {
    public var event: BackupEvent
    /// The slot's row as saved.
    public var record: SlotRecord
    /// The readable line.
    public var message: String
    /// The event's own `RDS_*` fields; the slot's logger carries the entry, instance and slot.
    public var fields: Logger.Metadata
    /// The entry's `alert:`.
    public var alert: AlertSettings?
    /// The class of the error a retry follows (`retryScheduled`).
    public var errorClass: ErrorClass?
    /// When it happened, on the service clock.
    public var at: Date
    /// The journal level when not the event's own (a slot failing fast on credentials refused
    /// earlier is logged at debug: the refusal itself was journalled once).
    public var level: Logger.Level? = nil
}

/// Gets every slot event. Called on the slot's own path: return at once.
public protocol SlotEventListener: Sendable {
    func slotEvent(_ event: SlotEvent, log: Logger)
    /// Gets every copy event (`SlotJournal+Copies.swift`; ignored by default).
    func copyEvent(_ event: CopyEvent, log: Logger)
}

/// The journal log: the event at its level with its MESSAGE_ID and fields (native journal
/// entries under systemd, readable lines on stderr otherwise).
public struct SlotEventLog: SlotEventListener {
    public init() {}

    public func slotEvent(_ event: SlotEvent, log: Logger) {
        let metadata = event.fields.isEmpty ? event.event.metadata : event.event.metadata.merging(event.fields) { $1 }
        log.log(level: event.level ?? event.event.level, "\(event.message)", metadata: metadata)
    }
}

/// Slot outcomes and retries for a `ServiceObserver` (alerting, metrics).
public struct SlotEventObservation: SlotEventListener {
    public var observer: any ServiceObserver

    public init(observer: any ServiceObserver) { self.observer = observer }

    public func slotEvent(_ event: SlotEvent, log: Logger) {
        if event.event == .retryScheduled, let errorClass = event.errorClass {
            observer.retry(entry: event.record.entry, errorClass: errorClass)
        }
        guard let kind = SlotObservation.Kind(event.event) else { return }
        observer.slot(SlotObservation(kind, record: event.record, alert: event.alert, at: event.at))
    }
}
