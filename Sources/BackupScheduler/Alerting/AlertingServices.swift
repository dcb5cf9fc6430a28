import Foundation
import Logging
import ServiceLifecycle

/// Alerting and metrics of a schedule, wired for `run`: the observer the `BackupService` gets,
/// and the services that run beside it (ping and command dispatcher, textfile writer, loopback
/// listener). List `services` BEFORE the backup service in the `ServiceGroup`: a group shuts
/// down in reverse order, so in-flight slots finish (and alert) before the dispatcher drains.
public struct AlertingServices: Sendable {
    /// Give this to `BackupService.Configuration.observer`.
    public let observer: any ServiceObserver
    /// The dispatcher, then the metrics exporters configured by `metrics:`.
    public let services: [any Service]
    /// Nil when `metrics:` exports nothing.
    public let recorder: MetricsRecorder?
    private let metrics: MetricsSettings
    private let store: StateStore
    private let logger: Logger

    /// Builds them and binds the metrics listener now, so a port in use fails the start (before READY=1).
    public static func make(
        schedule: Schedule, store: StateStore, environment: [String: String], logger: Logger
    ) async throws -> AlertingServices {
        let dispatcher = AlertDispatcher(
            sender: try PingSender(environment: environment), runner: FailureCommandRunner(environment: environment), logger: logger)
        var services: [any Service] = [dispatcher]
        var observers: [any ServiceObserver] = [dispatcher]
        var recorder: MetricsRecorder?
        if !schedule.metrics.isEmpty {
            let metrics = MetricsRecorder()
            // Not on the way to READY=1: with 1,000 entries priming takes a good part of a second.
            // A select: entry's series are its streams' (ALIAS@INSTANCE_ID), as events name them.
            Task.detached(priority: .utility) { metrics.prime(schedule: schedule.expanded(knownIn: store), store: store) }
            observers.append(metrics)
            if let path = schedule.metrics.textfile {
                services.append(MetricsTextfile(path: path, recorder: metrics, logger: logger))
            }
            if let address = schedule.metrics.listen {
                let listener = MetricsListener(address: address, recorder: metrics, logger: logger)
                try await listener.start()
                services.append(listener)
            }
            recorder = metrics
        }
        return AlertingServices(
            observer: ObserverGroup(observers), services: services, recorder: recorder, metrics: schedule.metrics, store: store,
            logger: logger)
    }

    /// After a reload (`schedule` as the service runs it, select: entries expanded): new entries
    /// get their series; a changed `metrics:` waits for a restart.
    public func scheduleChanged(_ schedule: Schedule) {
        if let recorder {
            let store = self.store
            Task.detached(priority: .utility) { recorder.prime(schedule: schedule, store: store) }
        }
        if schedule.metrics != metrics {
            logger.notice("`metrics:` changed; the new export settings take effect at the next start (systemctl restart rds-backupd)")
        }
    }
}
