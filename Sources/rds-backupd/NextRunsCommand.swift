import ArgumentParser
import BackupScheduler
import Foundation

/// `rds-backupd next-runs [FILE]`: the merged upcoming slots of a schedule, in order.
struct NextRunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "next-runs",
        abstract: "List the upcoming slots of all entries in order, with local and UTC time and the rendered name."
    )

    @Argument(help: "The schedule file (default: $CONFIGURATION_DIRECTORY/schedule.yaml, else /etc/rds-backupd/schedule.yaml).")
    var file: String?

    @Option(help: "How many slots to list (1-10000).")
    var count = 10

    @Option(help: "Only the slots of the entry with this alias.")
    var entry: String?

    @Option(help: "List slots after this RFC 3339 time instead of now, e.g. 2025-06-01T00:00:00Z.")
    var from: String?

    @Flag(help: "Print a JSON array (entry, instance_id, slot_utc, slot_local, run_utc, name).")
    var json = false

    @Flag(help: "Include paused entries (an entry named with --entry is always shown).")
    var includePaused = false

    func validate() throws {
        guard (1...10_000).contains(count) else {
            throw ValidationError("--count \(count) is out of range; give 1 to 10000")
        }
        if let from, RFC3339.parse(from) == nil {
            throw ValidationError("--from '\(from)' is not an RFC 3339 time; write e.g. 2025-06-01T00:00:00Z or 2025-06-01T02:00:00+02:00")
        }
    }

    func run() throws {
        let path = file ?? SchedulePath.defaultPath(environment: ProcessInfo.processInfo.environment)
        let now = from.flatMap(RFC3339.parse) ?? Date()
        let schedule = try ScheduleCommandSupport.load(path: path, now: now)
        if let entry, schedule.entry(alias: entry) == nil {
            let aliases = schedule.entries.map(\.alias)
            ScheduleCommandSupport.printError("no entry with alias '\(entry)' in \(path); entries are \(aliases.joined(separator: ", "))")
            throw ExitCode(2)
        }
        let slots = SlotPlanner.upcoming(in: schedule, after: now, count: count, alias: entry, includePaused: includePaused || entry != nil)
        print(json ? SlotListing.json(slots) : SlotListing.table(slots))
    }
}
