import ArgumentParser
import BackupScheduler
import Foundation

/// `rds-backupd next-runs [FILE]`: the merged upcoming slots of a schedule, in order.
struct NextRunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "next-runs",
        abstract: "List the upcoming slots of all entries in order, with local and UTC time and the rendered name.",
        discussion: """
            A `select:` entry is listed once per instance it matches right now, as ALIAS@INSTANCE_ID: \
            the instance list is read with the schedule's credentials (the matches are printed to \
            stderr). --offline skips that and leaves `select:` entries out; --simulate lists them in the \
            simulator of the demo running with --state-dir (`make run`).

            Examples:
              rds-backupd next-runs                             # the installed schedule, the next 10 slots
              rds-backupd next-runs --entry orders --count 3 --from 2026-10-25T00:00:00+02:00
              rds-backupd next-runs --offline --json ./schedule.yaml
              rds-backupd next-runs --simulate --state-dir /tmp/rds-backupd-demo config/demo.yaml
            """
    )

    @OptionGroup var service: ServiceOptions

    @OptionGroup var credentials: CredentialOptions

    @Option(help: "How many slots to list (1-10000).")
    var count = 10

    @Option(help: "Only the slots of the entry with this alias (a select: entry: all of its instances).", completion: ShellCompletion.entryAliases)
    var entry: String?

    @Option(help: "List slots after this RFC 3339 time instead of now, e.g. 2025-06-01T00:00:00Z.")
    var from: String?

    @Flag(help: "Print a JSON array (entry, instance_id, slot_utc, slot_local, run_utc, name).")
    var json = false

    @Flag(help: "Include paused entries (an entry named with --entry is always shown).")
    var includePaused = false

    @Flag(help: "Do not list what select: entries match (no API call; those entries are left out).")
    var offline = false

    @Flag(help: "List what select: entries match in the simulator of the demo running with --state-dir (else one of its own), not the cloud.")
    var simulate = false

    func validate() throws {
        guard (1...10_000).contains(count) else {
            throw ValidationError("--count \(count) is out of range; give 1 to 10000")
        }
        if let from, RFC3339.parse(from) == nil {
            throw ValidationError("--from '\(from)' is not an RFC 3339 time; write e.g. 2025-06-01T00:00:00Z or 2025-06-01T02:00:00+02:00")
        }
    }

    func run() async throws {
        let environment = ServiceCredentials.environment(ProcessInfo.processInfo.environment)
        let path = service.schedulePath(environment: environment)
        let now = from.flatMap(RFC3339.parse) ?? Date()
        var loaded = try ScheduleCommandSupport.load(path: path, now: now)
        // The same warnings as check-config (a cron step wider than its range, a rewritten name).
        for warning in loaded.warnings { ScheduleCommandSupport.printError("warning: \(warning)") }
        credentials.apply(to: &loaded)
        if let entry, loaded.entry(alias: entry) == nil {
            let aliases = loaded.entries.map(\.alias)
            ScheduleCommandSupport.printError("no entry with alias '\(entry)' in \(path); entries are \(aliases.joined(separator: ", "))")
            throw ExitCode(2)
        }
        var schedule = loaded
        let selectors = loaded.selectorEntries.filter { entry == nil || $0.alias == entry }.map(\.alias)
        if selectors.isEmpty {
            schedule = loaded.expanded(with: [:])
        } else if offline {
            schedule = loaded.expanded(with: [:])
            ScheduleCommandSupport.printError("note: --offline leaves out the select: entries \(selectors.joined(separator: ", "))")
        } else {
            let simulated = simulate ? try await SimulatedCloud.attach(
                stateDirectory: service.stateDirectory(environment: environment), instanceIDs: [], logger: OnlineCheck.logger) : nil
            do {
                (schedule, _, _) = try await SelectionPreview.expand(loaded, environment: environment, simulated: simulated?.profile)
            } catch {
                await simulated?.stop()
                throw error
            }
            await simulated?.stop()
        }
        // `--entry` of a select: entry means all of its instances' streams.
        let aliases = entry.map { alias in
            schedule.entries.filter { $0.alias == alias || $0.selectedFrom == alias }.map(\.alias)
        }
        var slots: [PlannedSlot]
        if let aliases {
            slots = aliases.flatMap { SlotPlanner.upcoming(in: schedule, after: now, count: count, alias: $0, includePaused: true) }
            slots.sort { ($0.runAt, $0.alias) < ($1.runAt, $1.alias) }
            slots = Array(slots.prefix(count))
        } else {
            slots = SlotPlanner.upcoming(in: schedule, after: now, count: count, alias: nil, includePaused: includePaused)
        }
        print(json ? SlotListing.json(slots) : SlotListing.table(slots))
    }
}
