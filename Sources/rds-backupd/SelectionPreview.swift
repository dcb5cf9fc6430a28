import ArgumentParser
import BackupScheduler
import Foundation
import Logging
import RDSClient

/// What the `select:` entries of a schedule match right now, through the API (`check-config
/// --online`, `next-runs`): the schedule with each one expanded into one stream per instance.
enum SelectionPreview {
    /// The expanded schedule, the selected instances by stream alias, and whether any selector
    /// could not be listed (its entry then contributes no stream). One line per selector on stderr.
    /// Throws `ExitCode(2)` when a cloud's credentials are incomplete.
    static func expand(
        _ schedule: Schedule, environment: [String: String], simulated: CloudProfile? = nil
    ) async throws -> (Schedule, [String: Instance], Bool) {
        let selectors = schedule.selectorEntries
        guard !selectors.isEmpty else { return (schedule, [:], false) }
        var logger = Logger(label: "rds-backupd.selection") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning
        var selections: [String: [SelectedStream]] = [:]
        var instances: [String: Instance] = [:]
        var failed = false
        for cloudName in Set(selectors.map(\.cloudName)).sorted() {
            guard let settings = schedule.clouds[cloudName] else { continue }
            let connection: CloudConnection
            do {
                connection = try await OnlineCheck.connect(settings, environment: environment, logger: logger, simulated: simulated)
            } catch {
                ScheduleCommandSupport.printError("error: cloud \(cloudName): \(error)")
                if let hint = ServiceCredentials.hint(environment: environment) { ScheduleCommandSupport.printError("hint: \(hint)") }
                throw ExitCode(2)
            }
            let client = connection.client
            for entry in selectors where entry.cloudName == cloudName {
                guard let selector = entry.selector else { continue }
                do {
                    let matched = try await SelectionResolver(client: client).resolve(selector)
                    selections[entry.alias] = matched.map { SelectedStream(instanceID: $0.id, instanceName: $0.name) }
                    for instance in matched {
                        instances[StreamKey(entry: entry.alias, selectedInstanceID: instance.id).alias] = instance
                    }
                    let names = matched.map { "\($0.name) (\($0.id))" }.joined(separator: ", ")
                    ScheduleCommandSupport.printError(
                        "\(entry.alias): select \(selector.summary) matches \(matched.count) \(matched.count == 1 ? "instance" : "instances") now\(matched.isEmpty ? "" : ": " + names)")
                } catch {
                    failed = true
                    ScheduleCommandSupport.printError("\(entry.alias): cannot list the instances select matches: \(error)")
                }
            }
            await connection.shutdown()
        }
        return (schedule.expanded(with: selections), instances, failed)
    }
}
