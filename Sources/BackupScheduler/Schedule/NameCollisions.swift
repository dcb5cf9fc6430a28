import Foundation
import RDSClient

/// Finds names that two different slots would share, within one entry or between entries.
enum NameCollisions {
    /// Slots simulated at most, per entry; a dense cron whose template does not pin a minute
    /// usually collides within the first few slots, so the bound is rarely reached.
    static let maxSlots = 600_000
    static let year: TimeInterval = 365 * 86_400

    /// Two slots of `entry` within a year from `start` that render the same name, if any.
    static func withinEntry(_ entry: BackupEntry, from start: Date) -> (Date, Date)? {
        let template = entry.nameTemplate.template
        if template.identifiesMinuteWithinYear { return nil }
        var seen: [String: Date] = [:]
        let end = start.addingTimeInterval(year)
        var cursor = start
        for _ in 0..<maxSlots {
            guard let slot = entry.nextSlot(after: cursor), slot < end else { return nil }
            let key = template.slotKey(slot: slot, timeZone: entry.timeZone)
            if let earlier = seen[key] { return (earlier, slot) }
            seen[key] = slot
            cursor = slot
        }
        return nil
    }

    struct Clash {
        var first: Int
        var second: Int
        var name: BackupName
        var firstSlot: Date
        var secondSlot: Date
    }

    /// Pairs of entries that can render the same name within a year from `start`.
    ///
    /// Names are compared by shape first (same length, same literal characters where neither
    /// comes from the slot time); only pairs whose shapes agree are simulated.
    static func acrossEntries(_ entries: [BackupEntry], from start: Date) -> [Clash] {
        var byLength: [Int: [(index: Int, pattern: [(character: Character, fromSlot: Bool)])]] = [:]
        for (index, entry) in entries.enumerated() {
            guard let slot = entry.nextSlot(after: start) else { continue }
            let pattern = entry.nameTemplate.renderPattern(slot: slot, context: entry.context(), timeZone: entry.timeZone)
            byLength[pattern.count, default: []].append((index, pattern))
        }
        var clashes: [Clash] = []
        var reported = Set<Int>()
        var names: [Int: [BackupName: Date]] = [:]
        for group in byLength.values where group.count > 1 {
            for (i, a) in group.enumerated() {
                for b in group[(i + 1)...] where !reported.contains(b.index) && compatible(a.pattern, b.pattern) {
                    if names[a.index] == nil { names[a.index] = yearOfNames(entries[a.index], from: start) }
                    let first = names[a.index] ?? [:]
                    let second = entries[b.index]
                    var cursor = start
                    let end = start.addingTimeInterval(year)
                    for _ in 0..<maxSlots {
                        guard let slot = second.nextSlot(after: cursor), slot < end else { break }
                        let name = second.name(for: slot)
                        if let firstSlot = first[name] {
                            clashes.append(Clash(first: a.index, second: b.index, name: name, firstSlot: firstSlot, secondSlot: slot))
                            reported.insert(b.index)
                            break
                        }
                        cursor = slot
                    }
                }
            }
        }
        return clashes.sorted { $0.second < $1.second }
    }

    private static func yearOfNames(_ entry: BackupEntry, from start: Date) -> [BackupName: Date] {
        var result: [BackupName: Date] = [:]
        var cursor = start
        let end = start.addingTimeInterval(year)
        for _ in 0..<maxSlots {
            guard let slot = entry.nextSlot(after: cursor), slot < end else { break }
            let name = entry.name(for: slot)
            if result[name] == nil { result[name] = slot }
            cursor = slot
        }
        return result
    }

    private static func compatible(
        _ a: [(character: Character, fromSlot: Bool)], _ b: [(character: Character, fromSlot: Bool)]
    ) -> Bool {
        for (x, y) in zip(a, b) {
            if x.fromSlot || y.fromSlot {
                if !(x.character.isLetter || x.character.isNumber) || !(y.character.isLetter || y.character.isNumber) {
                    return false
                }
            } else if x.character != y.character {
                return false
            }
        }
        return true
    }
}
