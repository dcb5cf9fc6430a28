import ArgumentParser
import BackupScheduler
import Foundation

/// `rds-backupd history`: recorded slots, newest first.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List recorded slots, newest first: slot, entry, state, backup name and id, size, attempts, error.",
        discussion: """
            Reads the state read-only, so it works while the service runs. Entries removed from the \
            schedule keep their history. A backup the slot adopted (found under its name, not created \
            by it) is shown with the evidence that it is the slot's own; --json gives ownership \
            (created or adopted) and ownership_reason.

            Examples:
              sudo rds-backupd history --limit 20
              sudo rds-backupd history --entry orders --json
              rds-backupd history --state-dir /tmp/rds-backupd-demo --entry orders config/demo.yaml
            """)

    @OptionGroup var service: ServiceOptions

    @Option(help: "Only this entry's slots (an alias, also one no longer in the schedule; a select: entry's alias shows all its instance streams ALIAS@INSTANCE_ID).", completion: ShellCompletion.entryAliases)
    var entry: String?

    @Option(help: "At most this many slots (1-100000).")
    var limit = 50

    @Flag(help: "Print a JSON array.")
    var json = false

    func validate() throws {
        guard (1...100_000).contains(limit) else { throw ValidationError("--limit \(limit) is out of range; give 1 to 100000") }
    }

    func run() throws {
        let store: StateStore
        do {
            store = try StateStore.openReadOnly(directory: service.stateDirectory(environment: ProcessInfo.processInfo.environment))
        } catch {
            printError("error: \(error)")
            throw ExitCode(ExitStatus.invalidInput)
        }
        let rows = try store.history(entry: entry, limit: limit)
        if json {
            let objects = rows.map(Self.object)
            let data = try JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        if rows.isEmpty {
            print(entry.map { "no recorded slots for entry \($0)" } ?? "no recorded slots")
            return
        }
        for row in rows {
            var line = "\(RFC3339.formatUTC(row.slotAt))  \(row.entry)  \(row.state.rawValue)"
            if row.trigger == .manual { line += " (backup-now)" }
            if let name = row.name { line += "  \(name)" }
            if let id = row.backupID { line += "  id \(id)" }
            if let size = row.sizeKB { line += "  \(size) kB" }
            line += "  attempts \(row.attempts)"
            if let message = row.errorMessage { line += "\n    error: \(message)" }
            if let note = row.note, row.state != .completed { line += "\n    note: \(note)" }
            // Found under the slot's name rather than created: say on what evidence.
            if row.ownership == .adopted, let reason = row.ownershipReason { line += "\n    adopted: \(reason)" }
            print(line)
        }
    }

    static func object(_ row: SlotRecord) -> [String: Any] {
        var object: [String: Any] = [
            "entry": row.entry, "instance_id": row.instanceID, "slot": RFC3339.formatUTC(row.slotAt),
            "run_at": RFC3339.formatUTC(row.runAt), "trigger": row.trigger.rawValue, "state": row.state.rawValue,
            "attempts": row.attempts, "updated_at": RFC3339.formatUTC(row.updatedAt),
        ]
        if let value = row.name { object["name"] = value }
        if let value = row.backupID { object["backup_id"] = value }
        if let value = row.sizeKB { object["size_kb"] = value }
        if let value = row.backupEndAt { object["backup_end_at"] = RFC3339.formatUTC(value) }
        if let value = row.errorCode { object["error_code"] = value }
        if let value = row.errorMessage { object["error_message"] = value }
        if let value = row.requestID { object["request_id"] = value }
        if let value = row.note { object["note"] = value }
        if let value = row.ownership { object["ownership"] = value.rawValue }
        if let value = row.ownershipReason { object["ownership_reason"] = value }
        if let value = row.startedAt { object["started_at"] = RFC3339.formatUTC(value) }
        if let value = row.finishedAt { object["finished_at"] = RFC3339.formatUTC(value) }
        return object
    }
}
