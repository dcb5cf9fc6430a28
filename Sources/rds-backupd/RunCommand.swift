import ArgumentParser
import BackupScheduler
import Foundation
import Logging
import RDSClient
import ServiceLifecycle
import Systemd
import UnixSignals

/// `rds-backupd run`: the service. Loads the schedule, opens the state, tells systemd READY=1
/// (before any network call), then runs slots until SIGTERM/SIGINT; SIGHUP reloads the schedule.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the backup service (a systemd Type=notify service; SIGHUP reloads the schedule).",
        discussion: """
            Without systemd it runs in the foreground and logs readable lines to stderr.

            Exit status 2 when the configuration cannot be used (an invalid or unreadable schedule \
            file, missing credentials, a metrics port in use): the unit's RestartPreventExitStatus=2 \
            keeps systemd from restarting what a restart cannot fix.

            --simulate runs against an embedded simulator on loopback (no cloud account needed): the \
            schedule's instances are created there, its endpoints and auth are replaced, backups \
            complete after a few seconds. While it runs, STATE_DIR/simulator.json says where it \
            listens, so the one-shot commands given --simulate and the same --state-dir use it.

            Examples:
              rds-backupd run                                   # as the unit runs it
              rds-backupd run --simulate --schedule config/demo.yaml --state-dir /tmp/rds-backupd-demo
              rds-backupd run --schedule /etc/rds-backupd/schedule.yaml --state-dir /var/tmp/try --log-target stderr -v
            """)

    @OptionGroup var service: ServiceOptions

    @Flag(help: "Run against an embedded simulator on loopback instead of the cloud.")
    var simulate = false

    @Option(name: .customLong("simulated-backup-bytes"), help: "With --simulate: the bytes of each backup's files, what offsite copies (copy:) download.")
    var simulatedBackupBytes: Int64 = 1_048_576

    @Option(name: .customLong("log-target"), help: "auto (journal under systemd, else stderr), journal or stderr.", completion: ShellCompletion.logTargets)
    var logTarget: String = "auto"

    @Flag(name: .shortAndLong, help: "Log each API call (never a secret).")
    var verbose = false

    @Option(name: .customLong("shutdown-timeout"), help: "How long in-flight slots may finish after SIGTERM.")
    var shutdownTimeout = DurationArgument(.seconds(30))

    @Option(name: .customLong("poll-interval"), help: "Time between status checks of a backup being followed (default 10s; 2s with --simulate).")
    var pollInterval: DurationArgument?

    func validate() throws {
        guard LogTarget.Option(rawValue: logTarget) != nil else {
            throw ValidationError("--log-target '\(logTarget)' is not known; use auto, journal or stderr")
        }
        guard shutdownTimeout.duration > .zero else { throw ValidationError("--shutdown-timeout must be positive") }
        if let pollInterval, pollInterval.duration <= .zero { throw ValidationError("--poll-interval must be positive") }
        guard (1...(1 << 40)).contains(simulatedBackupBytes) else {
            throw ValidationError("--simulated-backup-bytes \(simulatedBackupBytes) is out of range; give 1 to 1099511627776")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let target = LogTarget.resolve(LogTarget.Option(rawValue: logTarget) ?? .auto, environment: environment)
        LoggingSystem.bootstrap(target.makeFactory(level: verbose ? .debug : .info))
        let logger = Logger(label: "rds-backupd")

        let schedulePath = service.schedulePath(environment: environment)
        let clock = SystemServiceClock()
        let schedule: Schedule
        do {
            schedule = try ScheduleCommandSupport.load(path: schedulePath, now: clock.now())
        } catch {
            // Every problem is printed; a configuration error is exit 2 (check-config says 1 for
            // "errors found"), the code the unit's RestartPreventExitStatus= lists.
            throw ExitCode(ExitStatus.invalidInput)
        }
        let store: StateStore
        do {
            store = try StateStore(directory: service.stateDirectory(environment: environment))
        } catch {
            printError("error: \(error)")
            throw ExitCode(ExitStatus.invalidInput)
        }

        var simulated: SimulatedCloud?
        let stateDirectory = service.stateDirectory(environment: environment)
        if simulate {
            let cloud = try await SimulatedCloud.start(
                instanceIDs: schedule.entries.map(\.instanceID), backupBytes: simulatedBackupBytes, logger: logger)
            simulated = cloud
            // One-shot commands with --simulate and this --state-dir use this simulator.
            if let iamURL = cloud.profile.authURL {
                try? DemoSimulatorRecord(iamURL: iamURL, pid: getpid()).write(stateDirectory: stateDirectory)
            }
        }
        defer { if simulate { DemoSimulatorRecord.remove(stateDirectory: stateDirectory) } }
        let pool = CloudPool(environment: environment, simulatedProfile: simulated?.profile, clock: clock, logger: logger)
        do {
            // Credentials are read now, so a missing one fails the start; nothing is sent yet.
            try await pool.prepare(schedule)
        } catch {
            printError("error: \(error)")
            await pool.shutdown()
            await simulated?.stop()
            throw ExitCode(ExitStatus.invalidInput)
        }

        let alerting: AlertingServices
        do {
            alerting = try await AlertingServices.make(schedule: schedule, store: store, environment: environment, logger: logger)
        } catch {
            printError("error: \(error)")
            await pool.shutdown()
            await simulated?.stop()
            throw ExitCode(ExitStatus.invalidInput)
        }

        let notifier = SystemdNotifier(logger: logger)
        var configuration = BackupService.Configuration()
        configuration.observer = alerting.observer
        configuration.shutdownTimeout = shutdownTimeout.duration
        configuration.watchdogInterval = WatchdogConfiguration.current()?.pingInterval
        configuration.stallLoopForTesting = environment["RDS_BACKUPD_TEST_STALL_SCHEDULER"] == "1"
        let commandRunner = FailureCommandRunner(environment: environment)
        let hooks = TestHooks(environment: environment)
        configuration.makeCopyRunner = { entry in
            var runner = try pool.copyRunner(for: entry, store: store, commandRunner: commandRunner)
            runner.progress = hooks.copyProgress
            return runner
        }
        configuration.onScheduleChanged = { schedule in
            do { try await pool.prepare(schedule) } catch { logger.error("\(error)") }
            alerting.scheduleChanged(schedule)
        }
        var notifications = ServiceNotifications()
        notifications.started = { try? notifier.ready() }
        notifications.watchdog = { try? notifier.watchdog() }
        notifications.status = { line in try? notifier.status(line) }
        notifications.stopping = { try? notifier.stopping(status: "stopping: finishing in-flight slots") }
        notifications.reloading = { status in try? notifier.reloading(status: status) }
        notifications.reloaded = { status in try? notifier.ready(status: status) }
        let poll = pollInterval?.duration ?? (simulate ? .seconds(2) : .seconds(10))
        let backupService = BackupService(
            schedule: schedule, store: store, clock: clock, logger: logger, configuration: configuration,
            makeRunner: { entry in try pool.runner(for: entry, store: store, pollInterval: poll, checkpoint: hooks.checkpoint) },
            selectInstances: { entry in
                // The entry's cloud and gate, as its slots use them.
                guard let selector = entry.selector else { return [] }
                var cloud = try pool.cloud(of: entry)
                cloud.observer = alerting.observer
                return try await SelectionResolver(cloud: cloud).resolve(selector)
            },
            notifications: notifications)

        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: alerting.services.map { .init(service: $0) } + [.init(service: backupService)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup) {
                    await backupService.reloadRequested(path: schedulePath)
                }
            }
            try await group.run()
            tasks.cancelAll()
        }
        // The service returned within its own bound (shutdown timeout + cancellation grace); closing
        // the connections fails any request still open, and is bounded too, so SIGTERM stays
        // honoured below TimeoutStopSec whatever the cloud does.
        _ = await BoundedWait.run(atMost: .seconds(3), on: clock) { await pool.shutdown() }
        await simulated?.stop()
    }
}

/// Test-only switches read from the environment (documented in docs/testing.md, not in `--help`).
struct TestHooks: Sendable {
    var pauseAt: SlotCheckpoint?
    /// `RDS_BACKUPD_TEST_PAUSE_AT=during-copy`.
    var pauseDuringCopy = false

    init(environment: [String: String]) {
        pauseAt = environment["RDS_BACKUPD_TEST_PAUSE_AT"].flatMap(SlotCheckpoint.init(rawValue:))
        pauseDuringCopy = environment["RDS_BACKUPD_TEST_PAUSE_AT"] == "during-copy"
    }

    /// Stops the copying thread for good once a copy has 1 MiB of a file on disk (a crash test
    /// SIGKILLs the process there); nil unless asked for.
    var copyProgress: (@Sendable (String, Int64) -> Void)? {
        guard pauseDuringCopy else { return nil }
        return { _, onDisk in
            guard onDisk >= 1024 * 1024 else { return }
            FileHandle.standardError.write(Data("test-pause: during-copy\n".utf8))
            while true { sleep(3600) }
        }
    }

    /// Stops the process for good at the named point, so a crash test can SIGKILL it there.
    var checkpoint: @Sendable (SlotCheckpoint) async -> Void {
        let pauseAt = self.pauseAt
        return { point in
            guard point == pauseAt else { return }
            FileHandle.standardError.write(Data("test-pause: \(point.rawValue)\n".utf8))
            while true { try? await Task.sleep(for: .seconds(3600)) }
        }
    }
}
