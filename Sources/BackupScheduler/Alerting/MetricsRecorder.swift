import CoreMetrics
import Foundation
import Prometheus
import RDSClient

/// Turns service observations into Prometheus metrics, through swift-metrics with a
/// `PrometheusMetricsFactory` on a registry of its own (never the global `MetricsSystem`, so two
/// services or two tests never share numbers). Labels are the entry alias, the outcome, the error
/// class and the API operation: never a URL, a name template or anything secret.
public final class MetricsRecorder: ServiceObserver, @unchecked Sendable {
    /// Metric names, part of the interface (alert rules use them): never rename one.
    public enum Name {
        public static let slots = "rds_backupd_slots_total"
        public static let backupsCreated = "rds_backupd_backups_created_total"
        public static let backupsCompleted = "rds_backupd_backups_completed_total"
        public static let backupsFailed = "rds_backupd_backups_failed_total"
        public static let backupsPruned = "rds_backupd_backups_pruned_total"
        public static let retries = "rds_backupd_retries_total"
        public static let apiDuration = "rds_backupd_api_request_duration_seconds"
        public static let lastSuccess = "rds_backupd_last_success_timestamp_seconds"
        public static let nextSlot = "rds_backupd_next_slot_timestamp_seconds"
    }

    /// Buckets of the API latency histogram: 10 ms to 30 s (the client's timeouts are longer).
    public static let apiBuckets: [Duration] = [
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
    ]
    /// Outcomes of `rds_backupd_slots_total`, created at zero for every entry so rates and
    /// `increase()` work from the first scrape.
    static let outcomes: [SlotObservation.Kind] = [.completed, .failed, .missed, .skipped]

    /// The registry the metrics live in; the textfile writer and the listener emit it.
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let lock = NSLock()
    private var nextRunGauges: [String: Date] = [:]
    private var lastSuccessValues: [String: Double] = [:]
    private var changeHandlers: [@Sendable () -> Void] = []

    /// A recorder on `registry` (a fresh one by default).
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[Name.apiDuration] = Self.apiBuckets
        self.factory = factory
    }

    /// Calls `handler` after every change (the textfile writer rewrites its file then).
    public func onChange(_ handler: @escaping @Sendable () -> Void) {
        lock.withLock { changeHandlers.append(handler) }
    }

    /// The metrics in the Prometheus text format (version 0.0.4).
    public func render() -> String { registry.emitToString() }

    /// Creates every entry's series at zero and sets each last-success time from the state, so an
    /// alert on its age works right after a restart. Call at start and after a reload (it takes
    /// about 0.8 s for 1,000 entries in a debug build: the registry copies a family per new series).
    public func prime(schedule: Schedule, store: StateStore) {
        let lastSuccess = (try? store.lastSuccessTimes()) ?? [:]
        for entry in schedule.entries {
            let alias = entry.alias
            for outcome in Self.outcomes { counter(Name.slots, alias, ("outcome", outcome.rawValue)).increment(by: 0) }
            for name in [Name.backupsCreated, Name.backupsCompleted, Name.backupsFailed, Name.backupsPruned] {
                counter(name, alias).increment(by: 0)
            }
            if let at = lastSuccess[alias] { recordLastSuccess(alias, at) }
        }
        changed()
    }

    // MARK: - ServiceObserver

    public func slot(_ observation: SlotObservation) {
        let alias = observation.entry
        switch observation.kind {
        case .started:
            return
        case .created:
            counter(Name.backupsCreated, alias).increment()
        case .completed:
            counter(Name.slots, alias, ("outcome", "completed")).increment()
            counter(Name.backupsCompleted, alias).increment()
            recordLastSuccess(alias, observation.at)
        case .failed:
            counter(Name.slots, alias, ("outcome", "failed")).increment()
            counter(Name.backupsFailed, alias).increment()
        case .missed, .skipped:
            counter(Name.slots, alias, ("outcome", observation.kind.rawValue)).increment()
        }
        changed()
    }

    public func retry(entry: String, errorClass: ErrorClass) {
        counter(Name.retries, entry, ("error_class", errorClass.rawValue)).increment()
        changed()
    }

    public func apiCall(operation: String, duration: Duration) {
        CoreMetrics.Timer(label: Name.apiDuration, dimensions: [("operation", operation)], factory: factory)
            .recordNanoseconds(Int64(duration.components.seconds) * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
        // Latency alone does not rewrite the textfile: the next slot event carries it along.
    }

    public func pruned(entry: String, count: Int) {
        guard count > 0 else { return }
        counter(Name.backupsPruned, entry).increment(by: count)
        changed()
    }

    public func nextRuns(_ runs: [String: Date]) {
        let (set, gone): ([String: Date], [String]) = lock.withLock {
            let set = runs.filter { nextRunGauges[$0.key] != $0.value }
            let gone = nextRunGauges.keys.filter { runs[$0] == nil }
            nextRunGauges = runs
            return (set, gone)
        }
        guard !set.isEmpty || !gone.isEmpty else { return }
        for (alias, date) in set { gauge(Name.nextSlot, alias).record(date.timeIntervalSince1970) }
        for alias in gone { gauge(Name.nextSlot, alias).destroy() }
        changed()
    }

    // MARK: - Helpers

    private func counter(_ name: String, _ entry: String, _ label: (String, String)? = nil) -> CoreMetrics.Counter {
        var dimensions = [("entry", entry)]
        if let label { dimensions.append(label) }
        return CoreMetrics.Counter(label: name, dimensions: dimensions, factory: factory)
    }

    private func gauge(_ name: String, _ entry: String) -> CoreMetrics.Gauge {
        CoreMetrics.Gauge(label: name, dimensions: [("entry", entry)], factory: factory)
    }

    /// Only ever moves forward, so a prime that read the state just before a completion cannot
    /// set the gauge back.
    private func recordLastSuccess(_ alias: String, _ date: Date) {
        let value = date.timeIntervalSince1970
        let newer = lock.withLock {
            guard value > (lastSuccessValues[alias] ?? -.infinity) else { return false }
            lastSuccessValues[alias] = value
            return true
        }
        if newer { gauge(Name.lastSuccess, alias).record(value) }
    }

    private func changed() {
        for handler in lock.withLock({ changeHandlers }) { handler() }
    }
}
