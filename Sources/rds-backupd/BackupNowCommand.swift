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
            Exit status: 0 created (with --wait: completed), 2 invalid input, 4 the slot was missed, \
            5 the slot failed (the error is printed).
            """)

    @Argument(help: "The entry's alias.", completion: ShellCompletion.entryAliases)
    var alias: String

    @Flag(help: "Follow the backup until COMPLETED or FAILED (within the entry's completion_window).")
    var wait = false

    @OptionGroup var service: ServiceOptions

    @Option(name: .customLong("poll-interval"), help: "With --wait: time between status checks.")
    var pollInterval = DurationArgument(.seconds(10))

    @Flag(name: .shortAndLong, help: "Log each API call (never a secret) to stderr.")
    var verbose = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
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
        let schedule = loaded.expanded(knownIn: store)
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
        let pool = CloudPool(environment: environment, simulatedProfile: nil, clock: clock, logger: logger)
        var runner: SlotRunner
        do {
            try await pool.prepare(schedule)
            runner = try pool.runner(for: entry, store: store, pollInterval: pollInterval.duration)
        } catch {
            printError("error: \(error)")
            await pool.shutdown()
            throw ExitCode(ExitStatus.invalidInput)
        }
        runner.followsToCompletion = wait
        let now = Date(timeIntervalSince1970: clock.now().timeIntervalSince1970.rounded(.down))
        // An immediate slot runs now: no jitter.
        let fresh = SlotRecord(entry: entry.alias, instanceID: entry.instanceID, slotAt: now, runAt: now, trigger: .manual, now: now)
        let record = try store.claim(fresh).record
        let result = await runner.run(record, entry: entry)
        await pool.shutdown()
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
            throw ExitCode(ExitStatus.backupFailed)
        }
    }
}
