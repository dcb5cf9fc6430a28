import ArgumentParser
import BackupScheduler
import Foundation
import Logging
import RDSClient

/// `rds-backupd backup-now ALIAS`: an immediate slot for an entry, through the service's runner.
struct BackupNowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup-now",
        abstract: "Take an immediate backup for an entry, as a slot at the current second, through the same runner as the service.",
        discussion: """
            The slot is recorded in the state (history shows it as backup-now), named from the entry's \
            template at the current time rounded to the second, and is idempotent like any slot.

            --simulate takes it in the simulator of the demo running with the same --state-dir \
            (`make run`), else in an embedded one of its own.

            Exit status: 0 created (with --wait: completed), 2 invalid input (nothing was sent), \
            3 the API refused (or the instance cannot be backed up), 4 still failing after the \
            retries (or the start window closed), 5 the backup ended FAILED or did not complete \
            within completion_window.

            Examples:
              sudo rds-backupd backup-now orders --wait
              rds-backupd backup-now shop@d8e6ca5a624745bcb546a227aa3ae1cfin01
              rds-backupd backup-now orders --wait --simulate --schedule config/demo.yaml --state-dir /tmp/rds-backupd-demo
            """)

    @Argument(help: "The entry's alias.", completion: ShellCompletion.entryAliases)
    var alias: String

    @Flag(help: "Follow the backup until COMPLETED or FAILED (within the entry's completion_window).")
    var wait = false

    @OptionGroup var service: ServiceOptions

    @OptionGroup var credentials: CredentialOptions

    @Option(name: .customLong("poll-interval"), help: "With --wait: time between status checks (default 10s; 1s with --simulate).")
    var pollInterval: DurationArgument?

    @Flag(help: "Take it in the simulator of the demo running with --state-dir (else an embedded one), not the cloud.")
    var simulate = false

    @Flag(name: .shortAndLong, help: "Log each API call (never a secret) to stderr.")
    var verbose = false

    func run() async throws {
        let environment = ServiceCredentials.environment(ProcessInfo.processInfo.environment)
        var logger = Logger(label: "rds-backupd.backup-now") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = verbose ? .debug : .notice
        let clock = SystemServiceClock()
        let schedulePath = service.schedulePath(environment: environment)
        let loaded = try ScheduleCommandSupport.load(path: schedulePath, now: clock.now())
        let store: StateStore
        do {
            store = try StateStore(directory: service.stateDirectory(environment: environment))
        } catch {
            printError("error: \(error)")
            throw ExitCode(ExitStatus.invalidInput)
        }
        // A select: entry's instances are its streams ALIAS@INSTANCE_ID, as the service recorded them.
        var schedule = loaded.expanded(knownIn: store)
        credentials.apply(to: &schedule)
        guard let entry = schedule.entry(alias: alias) else {
            let streams = schedule.entries.filter { $0.selectedFrom == alias }.map(\.alias)
            if loaded.entry(alias: alias)?.isFleet == true {
                let known = streams.isEmpty ? "the service has not selected any instance for it yet" : "its instances are \(streams.joined(separator: ", "))"
                printError("error: entry '\(alias)' selects instances; name one stream as \(alias)@INSTANCE_ID (\(known))")
            } else {
                printError("error: no entry '\(alias)' in \(schedulePath); entries are \(schedule.entries.map(\.alias).joined(separator: ", "))")
            }
            throw ExitCode(ExitStatus.invalidInput)
        }
        let simulated = simulate ? try await SimulatedCloud.attach(
            stateDirectory: service.stateDirectory(environment: environment), instanceIDs: [entry.instanceID], logger: logger) : nil
        let pool = CloudPool(environment: environment, simulatedProfile: simulated?.profile, clock: clock, logger: logger)
        var runner: SlotRunner
        do {
            try await pool.prepare(schedule)
            let poll = pollInterval?.duration ?? (simulate ? .seconds(1) : .seconds(10))
            runner = try pool.runner(for: entry, store: store, pollInterval: poll)
        } catch {
            printError("error: \(error)")
            if let hint = ServiceCredentials.hint(environment: environment) { printError("hint: \(hint)") }
            await pool.shutdown()
            await simulated?.stop()
            throw ExitCode(ExitStatus.invalidInput)
        }
        runner.followsToCompletion = wait
        let record = try store.claimManual(entry: entry.alias, instanceID: entry.instanceID, now: clock.now())
        let result = await runner.run(record, entry: entry)
        await pool.shutdown()
        await simulated?.stop()
        let size = result.sizeKB.map { ", \($0) kB" } ?? ""
        switch result.state {
        case .completed:
            print("backup \(result.name ?? "?") (id \(result.backupID ?? "?")) of \(entry.alias) completed\(size)")
        case .created, .creating, .pending:
            print("backup \(result.name ?? "?") (id \(result.backupID ?? "?")) of \(entry.alias) created; follow it with history --entry \(entry.alias) or use --wait")
        case .missed:
            printError("error: slot missed: \(result.note ?? "")")
            throw ExitCode(ExitStatus.retriesExhausted)
        case .failed, .skipped:
            printError("error: \(result.errorMessage ?? "the slot failed")")
            throw ExitCode(ExitStatus.of(failedSlot: result))
        }
    }
}
