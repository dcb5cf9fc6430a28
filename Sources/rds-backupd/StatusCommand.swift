import ArgumentParser
import BackupScheduler
import Foundation
import RDSClient

/// `rds-backupd status`: per entry, the last outcome, last backup, next slot and failures so far.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each entry's last outcome, last backup (name, id, size), next slot, consecutive failures, whether it is overdue, and its last offsite copy and age.",
        discussion: """
            Reads the state read-only, so it works while the service runs. Exit status 2 when there is no state yet.

            An entry is OVERDUE when a slot after its last success should have finished by now (its run \
            time plus start_window plus completion_window) without a backup; the age of the last success \
            is shown against the schedule's spacing.

            Examples:
              sudo rds-backupd status                           # the service's state in /var/lib/rds-backupd
              sudo rds-backupd status --json
              rds-backupd status --state-dir /tmp/rds-backupd-demo config/demo.yaml
            """)

    @OptionGroup var service: ServiceOptions

    @Flag(help: "Print a JSON array, one object per entry (each with `version`, this rds-backupd's version).")
    var json = false

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let store: StateStore
        do {
            store = try StateStore.openReadOnly(directory: service.stateDirectory(environment: environment))
        } catch {
            printError("error: \(error)")
            throw ExitCode(ExitStatus.invalidInput)
        }
        let now = Date()
        let schedulePath = service.schedulePath(environment: environment)
        var entries: [(alias: String, entry: BackupEntry?)] = []
        do {
            // A select: entry shows as the instance streams the service has recorded for it.
            let schedule = try Schedule.load(path: schedulePath, now: now).expanded(knownIn: store)
            entries = schedule.entries.map { ($0.alias, $0) }
        } catch {
            printError("warning: the schedule \(schedulePath) cannot be loaded (\(error)); showing the recorded entries without their next slot")
            var seen: [String] = []
            for row in try store.history(limit: 100_000) where !seen.contains(row.entry) { seen.append(row.entry) }
            entries = seen.sorted().map { ($0, nil) }
        }
        var objects: [[String: Any]] = []
        var overdue = 0
        var lines: [String] = []
        for (alias, entry) in entries {
            let summary = try store.summary(entry: alias)
            let next = entry.flatMap { $0.paused ? nil : $0.nextSlot(after: now) }
            var object: [String: Any] = [
                "entry": alias, "consecutive_failures": summary.consecutiveFailures, "version": RDSClientVersion.current,
            ]
            if let entry {
                object["instance_id"] = entry.instanceID
                object["paused"] = entry.paused
            }
            if let next { object["next_slot"] = RFC3339.formatUTC(next) }
            if let last = summary.lastOutcome {
                object["last_outcome"] = last.state.rawValue
                object["last_slot"] = RFC3339.formatUTC(last.slotAt)
                if let message = last.errorMessage { object["last_error"] = message }
                if let code = last.errorCode { object["last_error_code"] = code }
            }
            if let done = summary.lastCompleted {
                object["last_backup_name"] = done.name ?? ""
                object["last_backup_id"] = done.backupID ?? ""
                if let size = done.sizeKB { object["last_backup_size_kb"] = size }
                if let end = done.backupEndAt ?? done.finishedAt { object["last_completed_at"] = RFC3339.formatUTC(end) }
            }
            var freshnessText: String?
            if let entry {
                let freshness = EntryFreshness.evaluate(entry: entry, summary: summary, now: now)
                object["overdue"] = freshness.overdue
                if let since = freshness.overdueSince { object["overdue_since_slot"] = RFC3339.formatUTC(since) }
                if let at = freshness.lastSuccess { object["last_success_at"] = RFC3339.formatUTC(at) }
                if let age = freshness.age { object["last_success_age_seconds"] = Int(age) }
                if let interval = freshness.interval { object["interval_seconds"] = Int(interval) }
                if freshness.overdue { overdue += 1 }
                freshnessText = Self.freshnessLine(freshness)
            }
            let copies = try store.copySummary(entry: alias)
            var copyText: String?
            if entry?.copy != nil || copies.latest != nil {
                (object["copy"], copyText) = Self.copyStatus(copies, now: now)
            }
            if let flight = summary.inFlight {
                object["in_flight"] = ["slot": RFC3339.formatUTC(flight.slotAt), "state": flight.state.rawValue, "name": flight.name ?? ""]
            }
            objects.append(object)

            var line = alias
            if entry?.paused == true { line += " (paused)" }
            if freshnessText?.hasPrefix("OVERDUE") == true { line += " OVERDUE" }
            line += ": last "
            if let last = summary.lastOutcome {
                line += "\(last.state.rawValue) (slot \(RFC3339.formatUTC(last.slotAt)))"
                if last.state == .failed, let message = last.errorMessage { line += ": \(message)" }
            } else {
                line += "none yet"
            }
            if let done = summary.lastCompleted {
                let size = done.sizeKB.map { ", \($0) kB" } ?? ""
                line += "\n  last backup \(done.name ?? "?") (id \(done.backupID ?? "?")\(size))"
            }
            if let flight = summary.inFlight { line += "\n  in flight: slot \(RFC3339.formatUTC(flight.slotAt)) \(flight.state.rawValue)" }
            if let entry, let next {
                line += "\n  next slot \(RFC3339.format(next, in: entry.timeZone))"
            }
            line += "\n  consecutive failures: \(summary.consecutiveFailures)"
            if let freshnessText { line += "\n  \(freshnessText)" }
            if let copyText { line += "\n  \(copyText)" }
            lines.append(line)
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(lines.isEmpty ? "no entries" : lines.joined(separator: "\n"))
            if overdue > 0 { print("\(overdue) of \(entries.count) entries overdue") }
        }
    }

    /// The entry's last copy for `--json` and the text: `last copy 2h ago (1.2 GiB) in DIR`, the
    /// latest copy when it is running or failed.
    static func copyStatus(_ copies: (latest: CopyRecord?, lastCompleted: CopyRecord?), now: Date) -> ([String: Any], String) {
        var object: [String: Any] = [:]
        var text: String
        if let done = copies.lastCompleted, let at = done.finishedAt {
            let age = max(0, now.timeIntervalSince(at))
            object["last_copy_at"] = RFC3339.formatUTC(at)
            object["last_copy_age_seconds"] = Int(age)
            object["last_copy_directory"] = done.directory
            object["last_copy_backup_name"] = done.backupName
            if let bytes = done.bytes { object["last_copy_bytes"] = bytes }
            let size = done.bytes.map { ", " + CopiesCommand.size($0) } ?? ""
            text = "last copy \(EntryFreshness.formatAge(age)) ago (\(done.backupName)\(size)) in \(done.directory)"
        } else {
            text = "no copy yet"
        }
        if let latest = copies.latest, latest.id != copies.lastCompleted?.id {
            object["latest_copy_state"] = latest.state.rawValue
            object["latest_copy_slot"] = RFC3339.formatUTC(latest.slotAt)
            if let error = latest.errorMessage { object["latest_copy_error"] = error }
            switch latest.state {
            case .failed: text += "\n  COPY FAILED (slot \(RFC3339.formatUTC(latest.slotAt))): \(latest.errorMessage ?? "")"
            case .pending, .copying: text += "\n  copy \(latest.state.rawValue): slot \(RFC3339.formatUTC(latest.slotAt)) to \(latest.directory)"
            case .completed: break
            }
        }
        return (object, text)
    }

    /// `last success 3h12m ago, slots every 6h: ok` or `OVERDUE: … no backup since the slot of …`.
    static func freshnessLine(_ freshness: EntryFreshness) -> String {
        let every = freshness.interval.map { ", slots every \(EntryFreshness.formatAge($0))" } ?? ""
        let last = freshness.age.map { "last success \(EntryFreshness.formatAge($0)) ago" } ?? "no success yet"
        guard freshness.overdue else { return "\(last)\(every): ok" }
        let since = freshness.overdueSince.map { "; no backup since the slot of \(RFC3339.formatUTC($0))" } ?? ""
        return "OVERDUE: \(last)\(every)\(since)"
    }
}
