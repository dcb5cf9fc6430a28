import Foundation
import RDSClient
import Yams

/// The rules over the whole file, once every entry is read: duplicate aliases and slots, names
/// two entries could both render.
extension ScheduleFileParser {
    // MARK: - Whole-file checks

    mutating func checkDuplicates(_ entries: [BackupEntry], _ nodes: [EntryNodes]) {
        var aliases: [String: EntryNodes] = [:]
        var slotsByInstance: [String: [(BackupEntry, EntryNodes)]] = [:]
        for (entry, node) in zip(entries, nodes) {
            if let first = aliases[entry.alias] {
                report(node.alias, Self.join(node.path, "alias"), "alias '\(entry.alias)' is already used by \(first.path) (line \(first.alias.mark?.line ?? 0)); aliases must be unique")
            } else {
                aliases[entry.alias] = node
            }
            // A `select:` entry has no instance yet; its streams are checked when they exist.
            if entry.isFleet { continue }
            if let (_, first) = slotsByInstance[entry.instanceID]?.first(where: {
                $0.0.timeZone == entry.timeZone && $0.0.cron.hasSameSchedule(as: entry.cron)
            }) {
                report(node.cron, Self.join(node.path, "cron"), "instance \(entry.instanceID) already has cron '\(entry.cron.source)' in \(entry.timeZone.scheduleName) in \(first.path) (line \(first.cron.mark?.line ?? 0)); one schedule per instance may appear once")
            } else {
                slotsByInstance[entry.instanceID, default: []].append((entry, node))
            }
        }
    }

    mutating func checkNames(_ entries: [BackupEntry], _ nodes: [EntryNodes]) {
        for (entry, node) in zip(entries, nodes) {
            if let (first, second) = NameCollisions.withinEntry(entry, from: now) {
                let name = entry.name(for: first)
                let where_ = node.name ?? Located(value: entry.nameTemplate, node: node.entry, path: Self.join(node.path, "name"))
                report(where_.node, where_.path, "name template '\(entry.nameTemplate.source)' renders '\(name)' for two slots of \(node.path) (\(entry.alias)), \(RFC3339.format(first, in: entry.timeZone)) and \(RFC3339.format(second, in: entry.timeZone)); its slot format must tell apart every slot of cron '\(entry.cron.source)' within a year, e.g. {slot:%Y%m%d-%H%M}")
            }
        }
        // A name the rules rewrite is valid, but not what the template says: shown, with before and after.
        for (entry, node) in zip(entries, nodes) where !entry.isFleet {
            guard let slot = entry.nextSlot(after: now) else { continue }
            let (written, reasons) = entry.nameTemplate.rewrite(slot: slot, context: entry.context(), timeZone: entry.timeZone)
            guard !reasons.isEmpty else { continue }
            let where_ = node.name ?? Located(value: entry.nameTemplate, node: node.alias, path: Self.join(node.path, "name"))
            let mark = where_.node.mark
            warnings.append(ScheduleProblem(
                file: fileName, line: mark?.line ?? 1, column: mark?.column ?? 1, path: where_.path,
                message: "name template '\(entry.nameTemplate.source)' writes '\(written)' for the slot \(RFC3339.format(slot, in: entry.timeZone)) of \(entry.alias); a backup name has \(reasons.joined(separator: ", ")), so the backup is named '\(entry.name(for: slot))'"))
        }
        // `select:` entries name instances known only online; their streams are checked at each refresh.
        let plain = zip(entries, nodes).filter { !$0.0.isFleet }
        let (entries, nodes) = (plain.map(\.0), plain.map(\.1))
        for clash in NameCollisions.acrossEntries(entries, from: now) {
            let a = nodes[clash.first], b = nodes[clash.second]
            let where_ = b.name ?? Located(value: entries[clash.second].nameTemplate, node: b.alias, path: Self.join(b.path, "alias"))
            report(where_.node, where_.path, "\(b.path) (\(entries[clash.second].alias)) and \(a.path) (\(entries[clash.first].alias), line \(a.entry.mark?.line ?? 0)) can both render '\(clash.name)' (slots \(RFC3339.formatUTC(clash.secondSlot)) and \(RFC3339.formatUTC(clash.firstSlot))); names must differ between entries, e.g. include {alias}")
        }
    }
}
