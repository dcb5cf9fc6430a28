import Foundation
import Prometheus
import RDSClient

/// Turns service observations into Prometheus metrics on a swift-prometheus registry of its own
/// (never a global one, so two services or two tests never share numbers). Every metric is made
/// through the registry with its help text (`# HELP`); swift-metrics' factory would make them
/// without. Labels are the entry alias, the outcome, the error class, the API operation and the
/// version: never a URL, a name template or anything secret.
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
        public static let firstSlot = "rds_backupd_first_slot_timestamp_seconds"
        public static let scheduleInterval = "rds_backupd_schedule_interval_seconds"
        public static let buildInfo = "rds_backupd_build_info"
        public static let copies = "rds_backupd_copies_total"
        public static let copyBytes = "rds_backupd_copy_bytes_total"
        public static let copyDuration = "rds_backupd_copy_duration_seconds"
        public static let lastCopy = "rds_backupd_last_copy_timestamp_seconds"
    }

    /// The `# HELP` text of each metric (shown by Prometheus and Grafana beside the name).
    public static let help: [String: String] = [
        Name.slots: "Slots that ended, by entry and outcome (completed, failed, missed, skipped).",
        Name.backupsCreated: "Backups the service created (the API accepted the create request), by entry.",
        Name.backupsCompleted: "Backups that reached COMPLETED, by entry.",
        Name.backupsFailed: "Slots whose backup failed for good (retries exhausted or a permanent error), by entry.",
        Name.backupsPruned: "Backups deleted by the entry's retention policy, by entry.",
        Name.retries: "Retried API calls of slots, by entry and error class.",
        Name.apiDuration: "Duration of RDS and IAM API requests, by operation.",
        Name.lastSuccess: "Unix time the entry's latest successful backup finished; absent until its first success.",
        Name.nextSlot: "Unix time the entry's next slot runs (jitter included).",
        Name.firstSlot: "Unix time of the entry's first slot after it was added to the schedule; staleness alerts count from it until the first success.",
        Name.scheduleInterval: "Seconds between the entry's next two slots (its schedule's spacing now).",
        Name.buildInfo: "Always 1; the version label is the running rds-backupd's version.",
        Name.copies: "Offsite copies that ended, by entry and outcome (completed, failed).",
        Name.copyBytes: "Bytes of backup files fetched by offsite copies, by entry (resumed bytes counted once).",
        Name.copyDuration: "Seconds the entry's latest completed offsite copy took.",
        Name.lastCopy: "Unix time the entry's latest offsite copy completed; absent until its first copy.",
    ]

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
    private let lock = NSLock()
    private var nextRunGauges: [String: Date] = [:]
    /// The last value set of each timestamp gauge, by metric name and entry.
    private var timestampValues: [String: [String: Double]] = [:]
    private var changeHandlers: [@Sendable () -> Void] = []

    /// A recorder on `registry` (a fresh one by default); `version` goes into `rds_backupd_build_info`.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), version: String = RDSClientVersion.current) {
        self.registry = registry
        registry.makeGauge(descriptor: Self.descriptor(Name.buildInfo), labels: [("version", version)]).set(Double(1))
    }

    /// Calls `handler` after every change (the textfile writer rewrites its file then).
    public func onChange(_ handler: @escaping @Sendable () -> Void) {
        lock.withLock { changeHandlers.append(handler) }
    }

    /// The metrics in the Prometheus text format (version 0.0.4).
    public func render() -> String { registry.emitToString() }

    /// Creates every entry's series at zero, sets each last-success time from the state (so an
    /// alert on its age works right after a restart), and each entry's first slot (after it was
    /// first seen, from the state) and schedule interval, so a staleness alert also fires for an
    /// entry that never succeeded. Call at start and after a reload (it takes about 0.8 s for
    /// 1,000 entries in a debug build: the registry copies a family per new series).
    public func prime(schedule: Schedule, store: StateStore, now: Date = Date()) {
        let lastSuccess = (try? store.lastSuccessTimes()) ?? [:]
        let firstSeen = (try? store.firstSeenTimes()) ?? [:]
        let lastCopies = (try? store.lastCopyTimes()) ?? [:]
        for entry in schedule.entries {
            let alias = entry.alias
            for outcome in Self.outcomes { counter(Name.slots, alias, ("outcome", outcome.rawValue)).increment(by: Int64(0)) }
            for name in [Name.backupsCreated, Name.backupsCompleted, Name.backupsFailed, Name.backupsPruned] {
                counter(name, alias).increment(by: Int64(0))
            }
            if let at = lastSuccess[alias] { recordTimestamp(Name.lastSuccess, alias, at) }
            if entry.copy != nil {
                for outcome in ["completed", "failed"] { counter(Name.copies, alias, ("outcome", outcome)).increment(by: Int64(0)) }
                counter(Name.copyBytes, alias).increment(by: Int64(0))
                if let at = lastCopies[alias] { recordTimestamp(Name.lastCopy, alias, at) }
            }
            if let first = entry.nextSlot(after: firstSeen[alias] ?? now) {
                gauge(Name.firstSlot, alias).set(entry.runTime(of: first).timeIntervalSince1970)
            }
            if let interval = EntryFreshness.interval(of: entry, at: now) {
                gauge(Name.scheduleInterval, alias).set(interval)
            }
        }
        changed()
    }

    // MARK: - ServiceObserver

    public func slot(_ observation: SlotObservation) {
        let alias = observation.entry
        switch observation.kind {
        case .started, .copyFailed:
            return  // a failed copy is counted by `copy(_:)`
        case .created:
            counter(Name.backupsCreated, alias).increment()
        case .completed:
            counter(Name.slots, alias, ("outcome", "completed")).increment()
            counter(Name.backupsCompleted, alias).increment()
            recordTimestamp(Name.lastSuccess, alias, observation.at)
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
        registry.makeDurationHistogram(
            descriptor: Self.descriptor(Name.apiDuration), labels: [("operation", operation)], buckets: Self.apiBuckets
        ).record(duration)
        // Latency alone does not rewrite the textfile: the next slot event carries it along.
    }

    public func pruned(entry: String, count: Int) {
        guard count > 0 else { return }
        counter(Name.backupsPruned, entry).increment(by: Int64(count))
        changed()
    }

    public func copy(_ observation: CopyObservation) {
        let alias = observation.entry
        if observation.bytesFetched > 0 { counter(Name.copyBytes, alias).increment(by: observation.bytesFetched) }
        switch observation.kind {
        case .started:
            break
        case .completed:
            counter(Name.copies, alias, ("outcome", "completed")).increment()
            if let duration = observation.duration { gauge(Name.copyDuration, alias).set(duration) }
            recordTimestamp(Name.lastCopy, alias, observation.at)
        case .failed:
            counter(Name.copies, alias, ("outcome", "failed")).increment()
        }
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
        for (alias, date) in set { gauge(Name.nextSlot, alias).set(date.timeIntervalSince1970) }
        for alias in gone { registry.unregisterGauge(gauge(Name.nextSlot, alias)) }
        changed()
    }

    // MARK: - Helpers

    /// `rds_backupd_slots_total` as swift-prometheus' descriptor, with its help text.
    static func descriptor(_ name: String) -> MetricNameDescriptor {
        let prefix = "rds_backupd_"
        precondition(name.hasPrefix(prefix), "\(name) is not an rds-backupd metric")
        let base = String(name.dropFirst(prefix.count))
        // The unit suffix is the part after the last underscore when it is one Prometheus knows.
        var metric = base
        var unit = ""
        for suffix in ["_total", "_seconds", "_info"] where base.hasSuffix(suffix) {
            metric = String(base.dropLast(suffix.count))
            unit = String(suffix.dropFirst())
        }
        return MetricNameDescriptor(namespace: "rds_backupd", metricName: metric, unitName: unit, helpText: help[name] ?? "")
    }

    private func counter(_ name: String, _ entry: String, _ label: (String, String)? = nil) -> Counter {
        var labels = [("entry", entry)]
        if let label { labels.append(label) }
        return registry.makeCounter(descriptor: Self.descriptor(name), labels: labels)
    }

    private func gauge(_ name: String, _ entry: String) -> Gauge {
        registry.makeGauge(descriptor: Self.descriptor(name), labels: [("entry", entry)])
    }

    /// Sets a timestamp gauge (last success, last copy) that only ever moves forward, so a prime
    /// that read the state just before a completion cannot set it back.
    private func recordTimestamp(_ name: String, _ alias: String, _ date: Date) {
        let value = date.timeIntervalSince1970
        let newer = lock.withLock {
            guard value > (timestampValues[name]?[alias] ?? -.infinity) else { return false }
            timestampValues[name, default: [:]][alias] = value
            return true
        }
        if newer { gauge(name, alias).set(value) }
    }

    private func changed() {
        for handler in lock.withLock({ changeHandlers }) { handler() }
    }
}
