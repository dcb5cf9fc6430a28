import ArgumentParser
import BackupScheduler
import Foundation
import Logging
import Systemd

/// `rds-backupd prune [--entry ALIAS] [--dry-run] [--json]`: applies each entry's `retention` now.
struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete the entries' own old backups by their retention settings; show what is kept (and by which rule) and what goes.",
        discussion: """
            Only backups this service made for an entry (recorded in the state, named from the entry's \
            template) are candidates, only COMPLETED ones by the keep rules and FAILED ones after \
            keep_failed_for; the newest COMPLETED one always stays, and nothing is deleted while the \
            entry's latest slot is failing (except by a slot whose create the cloud refused for quota: \
            it makes room by these rules, then creates again). Every deletion is logged (journal MESSAGE_ID \
            \(BackupEvent.backupPruned.messageID)). A delete that fails is tried again on the next run.

            --simulate prunes in the simulator of the demo running with the same --state-dir \
            (`make run`), else in an embedded one of its own.

            Exit status: 0 done, 1 some listing or delete failed (printed; tried again next time), \
            2 invalid input (nothing was sent).

            Examples:
              sudo rds-backupd prune --dry-run
              sudo rds-backupd prune --entry orders --json
              rds-backupd prune --dry-run --simulate --schedule config/demo.yaml --state-dir /tmp/rds-backupd-demo
            """)

    @OptionGroup var service: ServiceOptions

    @OptionGroup var credentials: CredentialOptions

    @Option(help: "Prune only this entry (default: every entry).", completion: ShellCompletion.entryAliases)
    var entry: String?

    @Flag(name: .customLong("dry-run"), help: "Only show what would be deleted; send no delete and record nothing.")
    var dryRun = false

    @Flag(help: "Print a JSON array, one report per entry (entry, instance_id, dry_run, retention, held, error, items).")
    var json = false

    @Flag(name: .shortAndLong, help: "Log each API call (never a secret) to stderr.")
    var verbose = false

    @Flag(help: "Prune in the simulator of the demo running with --state-dir (else an embedded one), not the cloud.")
    var simulate = false

    func run() async throws {
        let environment = ServiceCredentials.environment(ProcessInfo.processInfo.environment)
        // Deletions go to the journal when run by systemd (a timer), else readably to stderr.
        let target = LogTarget.resolve(.auto, environment: environment)
        let factory = target.makeFactory(level: verbose ? .debug : .info)
        let logger = Logger(label: "rds-backupd.prune", factory: factory)
        let clock = SystemServiceClock()
        let schedulePath = service.schedulePath(environment: environment)
        let store = try openState(environment: environment)
        // A select: entry prunes each instance stream the service has recorded for it.
        var schedule = try ScheduleCommandSupport.load(path: schedulePath, now: clock.now()).expanded(knownIn: store)
        credentials.apply(to: &schedule)
        var entries = schedule.entries
        if let alias = entry {
            let chosen = schedule.entries.filter { $0.alias == alias || $0.selectedFrom == alias }
            guard !chosen.isEmpty else {
                printError("error: no entry '\(alias)' in \(schedulePath); entries are \(schedule.entries.map(\.alias).joined(separator: ", "))")
                throw ExitCode(ExitStatus.invalidInput)
            }
            entries = chosen
        }

        let simulated = simulate ? try await SimulatedCloud.attach(
            stateDirectory: service.stateDirectory(environment: environment), instanceIDs: entries.map(\.instanceID), logger: logger) : nil
        let pool = CloudPool(environment: environment, simulatedProfile: simulated?.profile, clock: clock, logger: logger)
        var reports: [PruneReport] = []
        for entry in entries {
            guard entry.retention != nil else {
                reports.append(PruneReport(entry: entry.alias, instanceID: entry.instanceID, dryRun: dryRun, retention: nil))
                continue
            }
            guard let settings = schedule.clouds[entry.cloudName] else {
                var report = PruneReport(entry: entry.alias, instanceID: entry.instanceID, dryRun: dryRun, retention: entry.retention?.summary)
                report.error = "the schedule defines no cloud '\(entry.cloudName)'"
                reports.append(report)
                continue
            }
            do {
                let pruner = Pruner(cloud: try await pool.cloud(for: settings), store: store, logger: logger)
                reports.append(await pruner.prune(entry: entry, now: clock.now(), dryRun: dryRun))
            } catch {
                await pool.shutdown()
                await simulated?.stop()
                printError("error: cloud '\(settings.name)': \(error)")
                if let hint = ServiceCredentials.hint(environment: environment) { printError("hint: \(hint)") }
                throw ExitCode(ExitStatus.invalidInput)
            }
        }
        await pool.shutdown()
        await simulated?.stop()

        if json {
            print(try Self.json(reports))
        } else {
            print(Self.table(reports, zones: Dictionary(entries.map { ($0.alias, $0.timeZone) }) { $1 }), terminator: "")
        }
        if reports.contains(where: { $0.error != nil || !$0.failed.isEmpty }) { throw ExitCode(1) }
    }

    /// The state: read-only for a dry run (it records nothing), else writable for the prune records.
    private func openState(environment: [String: String]) throws -> StateStore {
        let directory = service.stateDirectory(environment: environment)
        do {
            // Without a state database nothing was ever made by this service, so nothing is ours to delete.
            let existing = try StateStore.openReadOnly(directory: directory)
            return dryRun ? existing : try StateStore(directory: directory)
        } catch {
            printError("error: \(error)")
            throw ExitCode(ExitStatus.invalidInput)
        }
    }

    static func json(_ reports: [PruneReport]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RFC3339.formatUTC(date))
        }
        return String(decoding: try encoder.encode(reports), as: UTF8.self)
    }

    /// One row per backup (entry, backup, created, status, verdict, rule), then a line per entry.
    static func table(_ reports: [PruneReport], zones: [String: TimeZone]) -> String {
        var rows: [[String]] = [["ENTRY", "BACKUP", "CREATED", "STATUS", "VERDICT", "RULE"]]
        var notes: [String] = []
        for report in reports {
            let zone = zones[report.entry] ?? TimeZone(identifier: "UTC")!
            for item in report.items {
                rows.append([
                    report.entry, item.name, item.time.map { RFC3339.format($0, in: zone) } ?? "-", item.status,
                    verdict(item), item.rule,
                ])
            }
            notes.append(note(report))
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var text = ""
        if rows.count > 1 {
            for row in rows {
                let cells = row.enumerated().map { index, cell in
                    index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
                }
                text += cells.joined(separator: "  ") + "\n"
            }
            text += "\n"
        }
        return text + notes.joined(separator: "\n") + "\n"
    }

    private static func verdict(_ item: PruneItem) -> String {
        switch item.outcome {
        case .kept: "keep"
        case .deleted: "deleted"
        case .alreadyGone: "deleted (already gone)"
        case .wouldDelete: "would delete"
        case .held: "held until a backup completes"
        case .deleting: "deleting"
        case .failed: "delete failed: \(item.error ?? "")"
        }
    }

    private static func note(_ report: PruneReport) -> String {
        guard let retention = report.retention else { return "\(report.entry): no retention set; nothing is ever deleted" }
        if let error = report.error { return "\(report.entry): not pruned: \(error)" }
        let ours = report.items.filter(\.ours).count
        let goes = report.items.filter { $0.verdict == .delete }.count
        var line = "\(report.entry) (\(retention)): \(ours) of ours, "
        if let held = report.held {
            line += "\(goes) would go but are held: \(held)"
        } else if report.dryRun {
            line += "\(goes) would be deleted (dry run, nothing changed)"
        } else {
            line += "\(report.deleted.count) deleted"
            if !report.failed.isEmpty { line += ", \(report.failed.count) failed (tried again on the next run)" }
        }
        return line
    }
}
