import Foundation

/// A rule that keeps a backup (or, for `keepFailedFor`, lets a failed one go).
public enum RetentionRule: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// The newest COMPLETED backup of an entry is never deleted, whatever the settings say.
    case newestCompleted = "newest_completed"
    case keepLast = "keep_last"
    case keepWithin = "keep_within"
    case keepDaily = "keep_daily"
    case keepWeekly = "keep_weekly"
    case keepMonthly = "keep_monthly"
    case keepFailedFor = "keep_failed_for"

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// One of an entry's own backups as retention sees it: its id, and the time it stands for.
public struct RetentionItem: Sendable, Hashable {
    public var id: String
    /// The slot's instant (what the backup's name says), which decides its day, week and month.
    public var time: Date

    public init(id: String, time: Date) {
        self.id = id
        self.time = time
    }
}

/// What retention decides for one backup.
public enum RetentionDecision: Sendable, Hashable {
    /// Kept; by every rule that keeps it, in rule order.
    case keep([RetentionRule])
    /// Not kept by any rule (completed) or older than `keep_failed_for` (failed).
    case delete(RetentionRule?)

    public var isDelete: Bool {
        if case .delete = self { return true }
        return false
    }
}

/// The pure keep/delete decision over one entry's own backups (docs/architecture.md "State", issue 6).
///
/// A completed backup is kept if any rule keeps it: `keep_last` (the N newest), `keep_within`
/// (younger than the duration, measured from now), and the GFS rules `keep_daily`, `keep_weekly`,
/// `keep_monthly`: the newest backup in each of the last N calendar days / ISO weeks / calendar
/// months that have a backup, in the entry's time zone (restic and borg semantics). The newest
/// completed backup is always kept. A failed backup goes once it is older than `keep_failed_for`.
public enum RetentionPlanner {
    /// How long failed backups stay when `keep_failed_for` is not set.
    public static let defaultKeepFailedFor: Duration = .seconds(7 * 86_400)

    /// Decisions by backup id for `completed` and `failed` backups, judged at `now` in `timeZone`.
    public static func plan(
        completed: [RetentionItem], failed: [RetentionItem], settings: RetentionSettings, timeZone: TimeZone, now: Date
    ) -> [String: RetentionDecision] {
        var rules: [String: Set<RetentionRule>] = [:]
        // Newest first; ties broken by id so the plan never depends on input order.
        let ordered = completed.sorted { ($0.time, $0.id) > ($1.time, $1.id) }
        for item in ordered { rules[item.id] = [] }
        if let newest = ordered.first { rules[newest.id]?.insert(.newestCompleted) }
        if let count = settings.keepLast {
            for item in ordered.prefix(count) { rules[item.id]?.insert(.keepLast) }
        }
        if let within = settings.keepWithin {
            let limit = now.addingTimeInterval(-within.timeInterval)
            for item in ordered where item.time >= limit { rules[item.id]?.insert(.keepWithin) }
        }
        let buckets: [(RetentionRule, Int?, Calendar.Component)] = [
            (.keepDaily, settings.keepDaily, .day), (.keepWeekly, settings.keepWeekly, .weekOfYear),
            (.keepMonthly, settings.keepMonthly, .month),
        ]
        for (rule, count, unit) in buckets {
            guard let count else { continue }
            for id in newestPerBucket(ordered, count: count, unit: unit, timeZone: timeZone) { rules[id]?.insert(rule) }
        }
        var decisions: [String: RetentionDecision] = [:]
        for (id, kept) in rules { decisions[id] = kept.isEmpty ? .delete(nil) : .keep(kept.sorted()) }
        let failedLimit = now.addingTimeInterval(-(settings.keepFailedFor ?? defaultKeepFailedFor).timeInterval)
        for item in failed {
            decisions[item.id] = item.time < failedLimit ? .delete(.keepFailedFor) : .keep([.keepFailedFor])
        }
        return decisions
    }

    /// The newest item of each of the `count` most recent buckets that hold an item.
    static func newestPerBucket(_ newestFirst: [RetentionItem], count: Int, unit: Calendar.Component, timeZone: TimeZone) -> [String] {
        var kept: [String] = []
        var lastBucket: BucketKey?
        for item in newestFirst {
            guard kept.count < count else { break }
            let bucket = BucketKey(item.time, unit: unit, timeZone: timeZone)
            if bucket != lastBucket {
                kept.append(item.id)
                lastBucket = bucket
            }
        }
        return kept
    }

    /// A calendar day, ISO week (week-based year + week) or calendar month in a zone.
    struct BucketKey: Hashable {
        var year: Int
        var index: Int

        init(_ date: Date, unit: Calendar.Component, timeZone: TimeZone) {
            var calendar = Calendar(identifier: .iso8601)
            calendar.timeZone = timeZone
            switch unit {
            case .weekOfYear:
                let parts = calendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: date)
                year = parts.yearForWeekOfYear ?? 0
                index = parts.weekOfYear ?? 0
            case .month:
                let parts = calendar.dateComponents([.year, .month], from: date)
                year = parts.year ?? 0
                index = parts.month ?? 0
            default:
                let parts = calendar.dateComponents([.year, .month, .day], from: date)
                year = parts.year ?? 0
                index = (parts.month ?? 0) * 100 + (parts.day ?? 0)
            }
        }
    }
}

extension RetentionSettings {
    /// The settings as written, e.g. `keep_last=14 keep_within=30d`: what let a backup go.
    public var summary: String {
        var parts: [String] = []
        if let keepLast { parts.append("keep_last=\(keepLast)") }
        if let keepWithin { parts.append("keep_within=\(DurationParser.format(keepWithin))") }
        if let keepDaily { parts.append("keep_daily=\(keepDaily)") }
        if let keepWeekly { parts.append("keep_weekly=\(keepWeekly)") }
        if let keepMonthly { parts.append("keep_monthly=\(keepMonthly)") }
        return parts.isEmpty ? "no keep rule" : parts.joined(separator: " ")
    }
}
