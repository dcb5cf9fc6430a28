import Foundation

/// How old an entry's last success is against its schedule, for `status`: an entry is overdue
/// when a slot after its last success should have finished by now (its run time plus
/// `start_window` plus `completion_window`) and no later success exists.
public struct EntryFreshness: Sendable, Equatable {
    /// When the last successful backup finished (its end, else when the slot was recorded done).
    public var lastSuccess: Date?
    /// Seconds since `lastSuccess`.
    public var age: TimeInterval?
    /// The schedule's spacing around now (between the next two slots).
    public var interval: TimeInterval?
    public var overdue: Bool
    /// The first slot that should have produced a backup and did not.
    public var overdueSince: Date?

    /// Judges `entry` given its last completed slot and its last outcome at `now`.
    public static func evaluate(entry: BackupEntry, summary: EntrySummary, now: Date) -> EntryFreshness {
        let done = summary.lastCompleted
        let lastSuccess = done.map { $0.backupEndAt ?? $0.finishedAt ?? $0.updatedAt }
        var result = EntryFreshness(
            lastSuccess: lastSuccess, age: lastSuccess.map { max(0, now.timeIntervalSince($0)) },
            interval: interval(of: entry, at: now), overdue: false, overdueSince: nil)
        guard !entry.paused else { return result }
        let grace = entry.startWindow.timeInterval + entry.completionWindow.timeInterval
        if let done {
            if let next = entry.nextSlot(after: done.slotAt), entry.runTime(of: next).addingTimeInterval(grace) <= now {
                result.overdue = true
                result.overdueSince = next
            }
        } else if let last = summary.lastOutcome, last.state.isFinal, last.state != .skipped,
            entry.runTime(of: last.slotAt).addingTimeInterval(grace) <= now
        {
            // Never succeeded, and a slot has ended without a backup.
            result.overdue = true
            result.overdueSince = last.slotAt
        }
        return result
    }

    static func interval(of entry: BackupEntry, at now: Date) -> TimeInterval? {
        guard let first = entry.nextSlot(after: now), let second = entry.nextSlot(after: first) else { return nil }
        return second.timeIntervalSince(first)
    }

    /// `3h12m`, `2d4h`, `45s`: the two largest units.
    public static func formatAge(_ seconds: TimeInterval) -> String {
        let total = Int(seconds.rounded(.down))
        let units: [(String, Int)] = [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)]
        var parts: [String] = []
        var rest = total
        for (name, size) in units {
            if parts.isEmpty && rest < size && size > 1 { continue }
            parts.append("\(rest / size)\(name)")
            rest %= size
            if parts.count == 2 { break }
        }
        return parts.joined()
    }
}
