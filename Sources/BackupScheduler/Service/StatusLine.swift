import Foundation

/// The one line `systemctl status` shows:
/// `3 entries · next orders 02:00 CET · last 24h: 5 ok, 0 failed · 0 missed`.
public enum StatusLine {
    public static func render(schedule: Schedule, queue: [QueuedSlot], store: StateStore, now: Date) -> String {
        let count = schedule.entries.count
        var parts = ["\(count) \(count == 1 ? "entry" : "entries")"]
        let paused = schedule.entries.filter(\.paused).count
        if paused > 0 { parts[0] += " (\(paused) paused)" }
        let active = queue.filter { item in schedule.entry(alias: item.alias)?.paused == false }
        if let next = active.min(by: { SlotQueue.less($0, $1) }), let entry = schedule.entry(alias: next.alias) {
            parts.append("next \(entry.alias) \(time(next.slot, zone: entry.timeZone, now: now))")
        } else {
            parts.append("no upcoming slot")
        }
        let counts = (try? store.outcomeCounts(since: now.addingTimeInterval(-86_400))) ?? [:]
        parts.append("last 24h: \(counts[.completed, default: 0]) ok, \(counts[.failed, default: 0]) failed")
        parts.append("\(counts[.missed, default: 0]) missed")
        // Refused credentials lead the line: nothing works until someone fixes them.
        if let refusal = try? store.credentialRefusal(since: now.addingTimeInterval(-86_400)) {
            parts.insert(refusal + " (not presented again until they change or a reload; see the journal)", at: 0)
        }
        return parts.joined(separator: " · ")
    }

    static func time(_ date: Date, zone: TimeZone, now: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = date.timeIntervalSince(now) < 86_400 ? "HH:mm" : "yyyy-MM-dd HH:mm"
        return formatter.string(from: date) + " " + abbreviation(of: zone, at: date)
    }

    /// The zone's short name at `date` as operators know it: "CET", "EST", "BST", else "GMT+9".
    /// Foundation on Linux abbreviates from CLDR, whose US English data lacks the European names
    /// (Berlin is "GMT+1" there) and whose British data lacks the American ones: ask both.
    static func abbreviation(of zone: TimeZone, at date: Date) -> String {
        if ["UTC", "Etc/UTC", "GMT", "Etc/GMT"].contains(zone.identifier) { return "UTC" }
        var fallback = zone.identifier
        for locale in ["en_US_POSIX", "en_GB"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: locale)
            formatter.timeZone = zone
            formatter.dateFormat = "zzz"
            let name = formatter.string(from: date)
            if !name.hasPrefix("GMT") || name == "GMT" { return name }
            if locale == "en_US_POSIX" { fallback = name }
        }
        return fallback
    }
}
