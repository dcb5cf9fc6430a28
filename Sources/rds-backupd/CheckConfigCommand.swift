import ArgumentParser
import BackupScheduler
import Foundation

/// `rds-backupd check-config [FILE]`: validates a schedule file and shows what it will do.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check a schedule file: list every error, or each entry's next three slots and names.",
        discussion: """
            Exit status: 0 when the file is valid, 1 when it has errors (all listed on stderr as \
            file:line:column: path: message), 2 when it cannot be read.
            """
    )

    @Argument(help: "The schedule file (default: $CONFIGURATION_DIRECTORY/schedule.yaml, else /etc/rds-backupd/schedule.yaml).")
    var file: String?

    @Flag(help: "Print the slots as a JSON array (entry, instance_id, slot_utc, slot_local, run_utc, name).")
    var json = false

    @Option(help: "Show slots after this RFC 3339 time instead of now, e.g. 2025-06-01T00:00:00Z.")
    var from: String?

    func validate() throws {
        if let from, RFC3339.parse(from) == nil {
            throw ValidationError("--from '\(from)' is not an RFC 3339 time; write e.g. 2025-06-01T00:00:00Z or 2025-06-01T02:00:00+02:00")
        }
    }

    func run() throws {
        let path = file ?? SchedulePath.defaultPath(environment: ProcessInfo.processInfo.environment)
        let now = from.flatMap(RFC3339.parse) ?? Date()
        let schedule = try ScheduleCommandSupport.load(path: path, now: now)
        var slots: [PlannedSlot] = []
        var text = "\(path): valid, \(schedule.entries.count) \(schedule.entries.count == 1 ? "entry" : "entries")\n"
        for entry in schedule.entries {
            let upcoming = SlotPlanner.upcoming(of: entry, after: now, count: 3)
            slots += upcoming
            text += "\n\(entry.alias): instance \(entry.instanceID), cloud \(entry.cloudName), cron \"\(entry.cron.source)\", zone \(entry.timeZone.scheduleName)"
            if entry.jitter > .zero {
                text += ", runs \(DurationParser.format(entry.jitterOffset)) after each slot (stable jitter up to \(DurationParser.format(entry.jitter)))"
            }
            if entry.paused { text += ", PAUSED" }
            text += "\n"
            if upcoming.isEmpty { text += "  no upcoming slot\n" }
            for slot in upcoming {
                text += "  \(RFC3339.format(slot.slot, in: slot.timeZone))  \(RFC3339.formatUTC(slot.slot))  \(slot.name.value)\n"
            }
        }
        let offline = schedule.entries.contains { entry in
            entry.nameTemplate.usesOnlineVariables || entry.descriptionTemplate.usesOnlineVariables
        }
        if offline {
            text += "\nnote: offline, {instance_name} renders as the instance id and {engine} as \"\(NameContext.unknownEngine)\"; the service uses the values the API reports\n"
        }
        print(json ? SlotListing.json(slots) : text, terminator: json ? "\n" : "")
    }
}

/// Loading and error reporting shared by `check-config` and `next-runs`.
enum ScheduleCommandSupport {
    /// Loads the schedule or exits: 2 when unreadable, 1 with every problem when invalid.
    static func load(path: String, now: Date) throws -> Schedule {
        do {
            return try Schedule.load(path: path, now: now)
        } catch let error as ScheduleFileUnreadable {
            printError(error.description)
            throw ExitCode(2)
        } catch let error as ScheduleFileError {
            printError(error.description)
            let count = error.problems.count
            printError("\(path): \(count) \(count == 1 ? "error" : "errors"); the file is rejected")
            throw ExitCode(1)
        }
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
