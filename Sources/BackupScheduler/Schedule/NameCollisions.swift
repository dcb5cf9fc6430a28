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
    /// Names are compared by shape first: same length, same characters where neither comes from
    /// the slot time, letters or digits where one does. Shapes are bucketed so a large file is not
    /// compared pair by pair; only pairs whose shapes agree are simulated.
    static func acrossEntries(_ entries: [BackupEntry], from start: Date) -> [Clash] {
        struct Shape {
            var index: Int
            var characters: [Character]
            var mask: [Bool]
        }
        // Group by length, then by which positions come from the slot time.
        var groups: [Int: [[Bool]: [Shape]]] = [:]
        for (index, entry) in entries.enumerated() {
            guard let slot = entry.nextSlot(after: start) else { continue }
            let pattern = entry.nameTemplate.renderPattern(slot: slot, context: entry.context(), timeZone: entry.timeZone)
            let shape = Shape(index: index, characters: pattern.map(\.character), mask: pattern.map(\.fromSlot))
            groups[pattern.count, default: [:]][shape.mask, default: []].append(shape)
        }
        var candidates: [(Int, Int)] = []
        for byMask in groups.values {
            let masks = Array(byMask.keys)
            for (i, maskA) in masks.enumerated() {
                for maskB in masks[i...] {
                    // Positions fixed in both must agree exactly: bucket by them.
                    let fixed = maskA.indices.filter { !maskA[$0] && !maskB[$0] }
                    var buckets: [[Character]: [Shape]] = [:]
                    for shape in byMask[maskA] ?? [] { buckets[fixed.map { shape.characters[$0] }, default: []].append(shape) }
                    for b in byMask[maskB] ?? [] {
                        for a in buckets[fixed.map { b.characters[$0] }] ?? []
                        where a.index != b.index && (maskA != maskB || a.index < b.index) && slotPositionsFit(a, b) {
                            candidates.append((min(a.index, b.index), max(a.index, b.index)))
                        }
                    }
                }
            }
        }
        func slotPositionsFit(_ a: Shape, _ b: Shape) -> Bool {
            a.mask.indices.allSatisfy { position in
                guard a.mask[position] || b.mask[position] else { return true }
                let x = a.characters[position], y = b.characters[position]
                return (x.isLetter || x.isNumber) && (y.isLetter || y.isNumber)
            }
        }
        var clashes: [Clash] = []
        var reported = Set<Int>()
        for (first, second) in candidates.sorted(by: { ($0.1, $0.0) < ($1.1, $1.0) }) where !reported.contains(second) {
            if let clash = firstClash(entries, first, second, from: start) {
                clashes.append(clash)
                reported.insert(second)
            }
        }
        return clashes
    }

    /// Walks both entries' slots together in time order, so a clash is found at the first slot
    /// where it shows (at once for copy-pasted entries) instead of after a year of renders.
    private static func firstClash(_ entries: [BackupEntry], _ first: Int, _ second: Int, from start: Date) -> Clash? {
        let end = start.addingTimeInterval(year)
        var seen: [[BackupName: Date]] = [[:], [:]]
        let pair = [entries[first], entries[second]]
        var next: [Date?] = pair.map { $0.nextSlot(after: start) }
        for _ in 0..<(2 * maxSlots) {
            let live = (0..<2).filter { next[$0].map { $0 < end } ?? false }
            guard let side = live.min(by: { next[$0]! < next[$1]! }), let slot = next[side] else { return nil }
            let name = pair[side].name(for: slot)
            if let other = seen[1 - side][name] {
                let (firstSlot, secondSlot) = side == 1 ? (other, slot) : (slot, other)
                return Clash(first: first, second: second, name: name, firstSlot: firstSlot, secondSlot: secondSlot)
            }
            if seen[side][name] == nil { seen[side][name] = slot }
            next[side] = pair[side].nextSlot(after: slot)
        }
        return nil
    }
}
