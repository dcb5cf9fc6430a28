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
            2 when it cannot be read or `run` would refuse to start with it: a credential source \
            that does not exist or cannot be read, incomplete credentials, a region without \
            endpoints (the unit's RestartPreventExitStatus=2).

            The credentials are read (never sent) as the service reads them: the schedule's `auth:` \
            with $CREDENTIALS_DIRECTORY, else the service's directory /etc/rds-backupd/credentials \
            when this user can read it (root can). --simulate skips them, as `run --simulate` does.

            --online authenticates with each cloud's credentials and checks every entry's instance: \
            it exists, it is not a read replica, it runs SQL Server where `databases` is set, and it \
            is ACTIVE (any other status is a warning: slots wait for ACTIVE). Names are then rendered \
            with the instance's real name and engine. For each cloud it first says what was chosen \
            (stderr): the credential source and method (password, access keys, temporary keys, \
            agency), the project name and id, and the IAM and RDS endpoints with where each came \
            from (setting, profile, catalog, region table); with --json also one JSON line per cloud \
            ({"cloud":…,"connection":{…}}).

            Examples:
              sudo rds-backupd check-config                     # the installed schedule, as the unit's reload checks it
              sudo rds-backupd check-config --online            # also sign in and check every instance
              rds-backupd check-config --schedule ./schedule.yaml --from 2026-03-29T00:00:00Z --json
              rds-backupd check-config --simulate --online --state-dir /tmp/rds-backupd-demo config/demo.yaml
            """
    )

    @OptionGroup var service: ServiceOptions

    @OptionGroup var credentials: CredentialOptions

    @Flag(help: "Print the slots as a JSON array (entry, instance_id, slot_utc, slot_local, run_utc, name).")
    var json = false

    @Option(help: "Show slots after this RFC 3339 time instead of now, e.g. 2025-06-01T00:00:00Z.")
    var from: String?

    @Flag(help: "Also authenticate and check each entry's instance against the API.")
    var online = false

    @Flag(help: "Print nothing when the file is valid (errors and warnings still go to stderr); the unit's ExecReload= uses it.")
    var quiet = false

    @Flag(help: "Check as `run --simulate` would: the credentials are not read; --online asks the simulator of the demo running with --state-dir, else one of its own.")
    var simulate = false

    @Flag(name: .customLong("schedule-only"), help: "Check the file alone, without reading the credentials (the unit's ExecReload=: systemd does not hand it the credentials).")
    var scheduleOnly = false

    func validate() throws {
        if let from, RFC3339.parse(from) == nil {
            throw ValidationError("--from '\(from)' is not an RFC 3339 time; write e.g. 2025-06-01T00:00:00Z or 2025-06-01T02:00:00+02:00")
        }
    }

    func run() async throws {
        let environment = ServiceCredentials.environment(ProcessInfo.processInfo.environment)
        let path = service.schedulePath(environment: environment)
        let now = from.flatMap(RFC3339.parse) ?? Date()
        var schedule = try ScheduleCommandSupport.load(path: path, now: now)
        credentials.apply(to: &schedule)
        // Valid but probably not meant: on stderr, the verdict stays "valid" (exit 0).
        for warning in schedule.warnings {
            ScheduleCommandSupport.printError("warning: \(warning)")
        }
        // One verdict with `run`: what would refuse its start fails here too (--online connects anyway).
        if !online && !simulate && !scheduleOnly {
            try await OnlineCheck.checkCredentials(schedule, environment: environment)
        }
        var instances: [String: Instance] = [:]
        var onlineFailed = false
        if online {
            let simulated = simulate ? try await SimulatedCloud.attach(
                stateDirectory: service.stateDirectory(environment: environment),
                instanceIDs: schedule.entries.map(\.instanceID), logger: OnlineCheck.logger) : nil
            do {
                // Each `select:` entry becomes one ALIAS@INSTANCE_ID entry per instance it matches now.
                var selectionFailed = false
                (schedule, _, selectionFailed) = try await SelectionPreview.expand(schedule, environment: environment, simulated: simulated?.profile)
                (instances, onlineFailed) = try await OnlineCheck.run(schedule, environment: environment, json: json, simulated: simulated?.profile)
                onlineFailed = onlineFailed || selectionFailed
            } catch {
                await simulated?.stop()
                throw error
            }
            await simulated?.stop()
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
    static func run(
        _ schedule: Schedule, environment: [String: String], json: Bool = false, simulated: CloudProfile? = nil
    ) async throws -> ([String: Instance], Bool) {
        var found: [String: Instance] = [:]
        var failed = false
        for cloudName in Set(schedule.entries.map(\.cloudName)).sorted() {
            guard let settings = schedule.clouds[cloudName] else { continue }
            let connection: CloudConnection
            do {
                connection = try await connect(settings, environment: environment, logger: logger, simulated: simulated)
            } catch {
                ScheduleCommandSupport.printError("error: cloud \(cloudName): \(error)")
                if let hint = ServiceCredentials.hint(environment: environment) { ScheduleCommandSupport.printError("hint: \(hint)") }
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

    /// Reads each cloud's credentials and checks its endpoints as the service's start does
    /// (`CloudPool.prepare`), sending nothing; every refusal is printed, then `ExitCode(2)`.
    static func checkCredentials(_ schedule: Schedule, environment: [String: String]) async throws {
        var refused = false
        for cloudName in Set(schedule.entries.map(\.cloudName)).sorted() {
            guard let settings = schedule.clouds[cloudName] else { continue }
            do {
                try await connect(settings, environment: environment, logger: logger).shutdown()
            } catch {
                refused = true
                ScheduleCommandSupport.printError("error: cloud \(cloudName) (auth: \(settings.auth)): \(error)")
            }
        }
        guard refused else { return }
        if let hint = ServiceCredentials.hint(environment: environment) { ScheduleCommandSupport.printError("hint: \(hint)") }
        ScheduleCommandSupport.printError("the service would refuse to start with this configuration (exit 2)")
        throw ExitCode(ExitStatus.invalidInput)
    }

    /// The connection for one cloud of the schedule; the caller shuts it down.
    /// With `simulated`, the simulator's profile in the cloud's region, as the service's pool does.
    static func connect(
        _ settings: CloudSettings, environment: [String: String], logger: Logger, simulated: CloudProfile? = nil
    ) async throws(ClientConfigurationError) -> CloudConnection {
        var profile: CloudProfile
        if let simulated {
            profile = simulated
            profile.region = settings.region
        } else {
            profile = try settings.loadProfile(environment: environment)
        }
        return try await CloudConnection.open(profile: profile, environment: environment, logger: logger)
    }

    /// Warnings and errors of the client to stderr.
    static var logger: Logger {
        var logger = Logger(label: "rds-backupd.check-config") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning
        return logger
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
