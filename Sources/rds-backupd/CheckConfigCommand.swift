import ArgumentParser
import BackupScheduler
import Foundation
import Logging
import RDSClient

/// `rds-backupd check-config [FILE]`: validates a schedule file and shows what it will do.
struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check a schedule file: list every error, or each entry's next three slots and names.",
        discussion: """
            Exit status: 0 when the file is valid, 1 when it has errors (all listed on stderr as \
            file:line:column: path: message) or, with --online, when an instance check fails, \
            2 when it cannot be read or the credentials are incomplete.

            --online authenticates with each cloud's credentials and checks every entry's instance: \
            it exists, it is not a read replica, it runs SQL Server where `databases` is set, and it \
            is ACTIVE (any other status is a warning: slots wait for ACTIVE). Names are then rendered \
            with the instance's real name and engine. For each cloud it first says what was chosen \
            (stderr): the credential source and method (password, access keys, temporary keys, \
            agency), the project name and id, and the IAM and RDS endpoints with where each came \
            from (setting, profile, catalog, region table); with --json also one JSON line per cloud \
            ({"cloud":…,"connection":{…}}).
            """
    )

    @Argument(help: "The schedule file (default: $CONFIGURATION_DIRECTORY/schedule.yaml, else /etc/rds-backupd/schedule.yaml).", completion: ShellCompletion.scheduleFile)
    var file: String?

    @Flag(help: "Print the slots as a JSON array (entry, instance_id, slot_utc, slot_local, run_utc, name).")
    var json = false

    @Option(help: "Show slots after this RFC 3339 time instead of now, e.g. 2025-06-01T00:00:00Z.")
    var from: String?

    @Flag(help: "Also authenticate and check each entry's instance against the API.")
    var online = false

    @Flag(help: "Print nothing when the file is valid (errors and warnings still go to stderr); the unit's ExecReload= uses it.")
    var quiet = false

    func validate() throws {
        if let from, RFC3339.parse(from) == nil {
            throw ValidationError("--from '\(from)' is not an RFC 3339 time; write e.g. 2025-06-01T00:00:00Z or 2025-06-01T02:00:00+02:00")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let path = file ?? SchedulePath.defaultPath(environment: environment)
        let now = from.flatMap(RFC3339.parse) ?? Date()
        var schedule = try ScheduleCommandSupport.load(path: path, now: now)
        // Valid but probably not meant: on stderr, the verdict stays "valid" (exit 0).
        for warning in schedule.warnings {
            ScheduleCommandSupport.printError("warning: \(warning)")
        }
        var instances: [String: Instance] = [:]
        var onlineFailed = false
        if online {
            // Each `select:` entry becomes one ALIAS@INSTANCE_ID entry per instance it matches now.
            var selectionFailed = false
            (schedule, _, selectionFailed) = try await SelectionPreview.expand(schedule, environment: environment)
            (instances, onlineFailed) = try await OnlineCheck.run(schedule, environment: environment, json: json)
            onlineFailed = onlineFailed || selectionFailed
        }
        var slots: [PlannedSlot] = []
        var text = "\(path): valid, \(schedule.entries.count) \(schedule.entries.count == 1 ? "entry" : "entries")\n"
        for entry in schedule.entries {
            if let selector = entry.selector {
                text += "\n\(entry.alias): select \(selector.summary), refreshed every \(DurationParser.format(selector.refresh)), cloud \(entry.cloudName), cron \"\(entry.cron.source)\", zone \(entry.timeZone.scheduleName), name \"\(entry.nameTemplate.source)\"\n  the instances it matches now: check-config --online or next-runs\n"
                continue
            }
            var upcoming = SlotPlanner.upcoming(of: entry, after: now, count: 3)
            if let instance = instances[entry.alias] {
                for index in upcoming.indices {
                    upcoming[index].name = entry.name(for: upcoming[index].slot, instanceName: instance.name, engine: instance.engine)
                    upcoming[index].description = entry.description(for: upcoming[index].slot, instanceName: instance.name, engine: instance.engine)
                }
            }
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
        if offline && !online {
            text += "\nnote: offline, {instance_name} renders as the instance id and {engine} as \"\(NameContext.unknownEngine)\"; the service uses the values the API reports\n"
        }
        if !quiet { print(json ? SlotListing.json(slots) : text, terminator: json ? "\n" : "") }
        if onlineFailed { throw ExitCode(1) }
    }
}

/// `check-config --online`: every entry's instance, checked through the API.
enum OnlineCheck {
    /// Returns the instance of each entry (by alias) and whether any check failed; prints one
    /// line per entry to stderr. Throws `ExitCode(2)` when a cloud's credentials are incomplete.
    static func run(_ schedule: Schedule, environment: [String: String], json: Bool = false) async throws -> ([String: Instance], Bool) {
        var logger = Logger(label: "rds-backupd.check-config") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning
        var found: [String: Instance] = [:]
        var failed = false
        for cloudName in Set(schedule.entries.map(\.cloudName)).sorted() {
            guard let settings = schedule.clouds[cloudName] else { continue }
            let connection: CloudConnection
            do {
                connection = try await connect(settings, environment: environment, logger: logger)
            } catch {
                ScheduleCommandSupport.printError("cloud \(cloudName): \(error)")
                throw ExitCode(2)
            }
            let client = connection.client
            // What was chosen: credential source and method, project, endpoints and their origin.
            do {
                let report = try await client.describeConnection()
                for line in report.lines { ScheduleCommandSupport.printError("cloud \(cloudName): \(line)") }
                if json { ScheduleCommandSupport.printError(ConnectionReportJSON.line(cloud: cloudName, report)) }
            } catch {
                ScheduleCommandSupport.printError("cloud \(cloudName): cannot connect: \(error)")
            }
            for entry in schedule.entries where entry.cloudName == cloudName {
                let verdict: String
                do {
                    guard let instance = try await client.instance(id: entry.instanceID) else {
                        failed = true
                        ScheduleCommandSupport.printError("\(entry.alias): instance \(entry.instanceID) does not exist in cloud \(cloudName) (project \(try await client.serviceRoot().projectID))")
                        continue
                    }
                    found[entry.alias] = instance
                    let check = InstanceCheck(instance, databases: entry.databases)
                    if check.isRefused { failed = true }
                    switch check {
                    case .replica:
                        verdict = "FAILED: it is a read replica, which cannot be backed up manually; back up its primary"
                    case .databasesNeedSQLServer(let engine):
                        verdict = "FAILED: `databases` is set but the engine is \(engine); partial backups are SQL Server only"
                    case .notActive(let status):
                        verdict = "warning: status \(status); slots wait until it is ACTIVE"
                    case .ready:
                        verdict = "ok"
                    }
                    let version = instance.datastoreVersion.map { " \($0)" } ?? ""
                    ScheduleCommandSupport.printError(
                        "\(entry.alias): instance '\(instance.name)' (\(instance.datastoreType)\(version), \(instance.type), \(instance.status)): \(verdict)")
                } catch {
                    failed = true
                    ScheduleCommandSupport.printError("\(entry.alias): cannot check instance \(entry.instanceID): \(error)")
                }
            }
            await connection.shutdown()
        }
        return (found, failed)
    }

    /// The connection for one cloud of the schedule; the caller shuts it down.
    static func connect(
        _ settings: CloudSettings, environment: [String: String], logger: Logger
    ) async throws(ClientConfigurationError) -> CloudConnection {
        let profile = try settings.loadProfile(environment: environment)
        return try await CloudConnection.open(profile: profile, environment: environment, logger: logger)
    }
}

/// One cloud's `ConnectionReport` as a JSON line: `{"cloud":NAME,"connection":{…}}`.
enum ConnectionReportJSON {
    static func line(cloud: String, _ report: ConnectionReport) -> String {
        struct Line: Encodable {
            var cloud: String
            var connection: ConnectionReport
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(Line(cloud: cloud, connection: report))).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
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
