import Foundation
import RDSClient

/// One upcoming slot of an entry, with its rendered name.
public struct PlannedSlot: Sendable, Hashable {
    public var alias: String
    public var instanceID: String
    /// The cron instant: the slot's identity, which its name is rendered from.
    public var slot: Date
    /// When it runs: `slot` plus the entry's stable jitter offset.
    public var runAt: Date
    public var timeZone: TimeZone
    public var name: BackupName
    public var description: BackupDescription
}

/// Merges the upcoming slots of a schedule's entries in time order.
public enum SlotPlanner {
    /// The first `count` slots strictly after `after`, over all entries (or only `alias`), ordered
    /// by slot instant then alias. Paused entries are left out unless `includePaused`.
    public static func upcoming(
        in schedule: Schedule, after: Date, count: Int, alias: String? = nil, includePaused: Bool = false
    ) -> [PlannedSlot] {
        let entries = schedule.entries.filter { entry in
            (alias == nil || entry.alias == alias) && (includePaused || !entry.paused)
        }
        var heads: [(entry: BackupEntry, slot: Date)] = entries.compactMap { entry in
            entry.nextSlot(after: after).map { (entry, $0) }
        }
        var result: [PlannedSlot] = []
        while result.count < count, !heads.isEmpty {
            // Entries are few and counts small: a linear scan beats a heap here.
            var best = 0
            for index in heads.indices.dropFirst()
            where (heads[index].slot, heads[index].entry.alias) < (heads[best].slot, heads[best].entry.alias) {
                best = index
            }
            let (entry, slot) = heads[best]
            result.append(plan(entry, slot: slot))
            if let next = entry.nextSlot(after: slot) {
                heads[best].slot = next
            } else {
                heads.remove(at: best)
            }
        }
        return result
    }

    /// The slots of one entry strictly after `after`.
    public static func upcoming(of entry: BackupEntry, after: Date, count: Int) -> [PlannedSlot] {
        var result: [PlannedSlot] = []
        var cursor = after
        while result.count < count, let slot = entry.nextSlot(after: cursor) {
            result.append(plan(entry, slot: slot))
            cursor = slot
        }
        return result
    }

    static func plan(_ entry: BackupEntry, slot: Date) -> PlannedSlot {
        PlannedSlot(
            alias: entry.alias, instanceID: entry.instanceID, slot: slot, runAt: entry.runTime(of: slot),
            timeZone: entry.timeZone, name: entry.name(for: slot), description: entry.description(for: slot))
    }
}
