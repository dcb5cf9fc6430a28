import Foundation

/// What one prune of one entry decided and did; `prune` prints it, the service logs it.
public struct PruneReport: Sendable, Equatable, Encodable {
    public var entry: String
    public var instanceID: String
    public var dryRun: Bool
    /// The entry's retention settings as written (`keep_last=14 keep_within=30d`), nil when off.
    public var retention: String?
    /// Why nothing was deleted although something would be, in one sentence: the entry's latest
    /// slot is failing (and when that ends).
    public var held: String?
    /// Why the prune could not run (listing or state failed); the next run tries again.
    public var error: String?
    /// Every manual backup of the instance, ours and others', newest first.
    public var items: [PruneItem]

    /// Backups this run deleted (the cloud accepted the delete, or it was already gone).
    public var deleted: [PruneItem] { items.filter { $0.outcome == .deleted || $0.outcome == .alreadyGone } }
    /// Deletes that failed; they are tried again on the next run.
    public var failed: [PruneItem] { items.filter { $0.outcome == .failed } }

    enum CodingKeys: String, CodingKey {
        case entry, retention, held, error, items
        case instanceID = "instance_id"
        case dryRun = "dry_run"
    }

    public init(entry: String, instanceID: String, dryRun: Bool, retention: String?, held: String? = nil, error: String? = nil, items: [PruneItem] = []) {
        self.entry = entry
        self.instanceID = instanceID
        self.dryRun = dryRun
        self.retention = retention
        self.held = held
        self.error = error
        self.items = items
    }
}

/// One backup in a prune report: the verdict, the rule behind it, and what was done.
public struct PruneItem: Sendable, Equatable, Encodable {
    /// Keep or delete.
    public enum Verdict: String, Sendable, Encodable {
        case keep
        case delete
    }

    /// What happened to the backup in this run.
    public enum Outcome: String, Sendable, Encodable {
        /// Stays (kept by a rule, not ours, in progress, or its name does not match the template).
        case kept
        /// The cloud accepted the delete; the backup shows DELETING, then disappears.
        case deleted
        /// The delete found it already gone ("backup does not exist"): gone all the same.
        case alreadyGone = "already_gone"
        /// Would be deleted; `--dry-run` changed nothing.
        case wouldDelete = "would_delete"
        /// Would be deleted, but the entry's latest slot is failing (`PruneReport.held` says until when).
        case held
        /// Already DELETING in the cloud.
        case deleting
        /// The delete failed; tried again on the next run.
        case failed
    }

    public var backupID: String
    public var name: String
    /// The slot time for our backups (what the name says), the begin time for others'.
    public var time: Date?
    /// The status the API reports (COMPLETED, FAILED, BUILDING, DELETING).
    public var status: String
    /// Whether this service made it for the entry (state row with its id, and a name from the template).
    public var ours: Bool
    public var verdict: Verdict
    /// The rules that keep it (`keep_last,keep_daily`), what let it go (`keep_last=3 keep_daily=7`,
    /// `keep_failed_for=7d`), or why retention does not touch it (`not made by this entry`).
    public var rule: String
    public var outcome: Outcome
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case name, time, status, ours, verdict, rule, outcome, error
        case backupID = "backup_id"
    }

    public init(
        backupID: String, name: String, time: Date?, status: String, ours: Bool, verdict: Verdict, rule: String,
        outcome: Outcome, error: String? = nil
    ) {
        self.backupID = backupID
        self.name = name
        self.time = time
        self.status = status
        self.ours = ours
        self.verdict = verdict
        self.rule = rule
        self.outcome = outcome
        self.error = error
    }
}

extension PruneReport {
    /// Why this run deleted nothing, in words: what limits retention (a quota refusal's message
    /// says it, so that whoever reads it knows what to change).
    public var whyNothingWasDeleted: String {
        if let error { return "retention could not run: \(error)" }
        if let first = failed.first {
            return "deleting \(failed.map(\.name).joined(separator: ", ")) failed: \(first.error ?? "no reason given")"
        }
        let ours = items.filter(\.ours)
        let completed = ours.filter { $0.status == "COMPLETED" }.count
        let failedKept = ours.filter { $0.status == "FAILED" }.count
        let unfinished = ours.count - completed - failedKept
        let others = items.count - ours.count
        var parts: [String] = []
        switch completed {
        case 0: parts.append("\(entry) has no completed backup of its own")
        case 1: parts.append("\(entry) has one completed backup of its own, its newest, which always stays")
        default: parts.append("\(retention ?? "its retention") keeps all \(completed) completed backups of \(entry)")
        }
        if failedKept > 0 {
            parts.append(failedKept == 1 ? "its failed one is younger than keep_failed_for" : "its \(failedKept) failed ones are younger than keep_failed_for")
        }
        if unfinished > 0 { parts.append(unfinished == 1 ? "one is still in progress or being deleted" : "\(unfinished) are still in progress or being deleted") }
        if others > 0 {
            parts.append(
                others == 1
                    ? "the instance's other manual backup was not made by \(entry), and retention never deletes it"
                    : "the instance's other \(others) manual backups were not made by \(entry), and retention never deletes them")
        }
        return parts.joined(separator: "; ")
    }
}
