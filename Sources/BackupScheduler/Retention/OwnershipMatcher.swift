import Foundation
import RDSClient

/// Decides whether a listed backup is one this service made for an entry.
///
/// Proof of ownership is a state row of the entry on the same instance holding the backup's id and
/// the same name, and that name being what the entry's template renders for the row's slot (or the
/// deterministic suffixed form the runner uses when a foreign backup held the name). A backup
/// someone else made never has our row with its id, whatever its name; a renamed template leaves
/// old backups unmatched, so they are kept rather than guessed at. A row that adopted its backup
/// (found under the slot's name, not created) counts only while `OwnershipEvidence` accepts the
/// backup: releases before it adopted by name alone, and a foreign backup adopted then is kept.
struct OwnershipMatcher {
    var entry: BackupEntry
    var slotsByBackupID: [String: SlotRecord]
    /// For templates with `{instance_name}` / `{engine}`: the values the API reports now.
    var instanceName: String?
    var engine: String?

    static let notOurs = "not made by this entry"
    static let nameDiffers = "name differs from the one recorded for its slot"
    static let templateMismatch = "name does not match the entry's name template"
    static let adoptedWithoutEvidence = "adopted, but not this entry's"

    init(entry: BackupEntry, slots: [SlotRecord]) {
        self.entry = entry
        var byID: [String: SlotRecord] = [:]
        for slot in slots where slot.instanceID == entry.instanceID && slot.entry == entry.alias {
            if let id = slot.backupID { byID[id] = slot }
        }
        slotsByBackupID = byID
    }

    /// The backup's slot, and why it is not a candidate (nil when it is ours).
    func ownership(of backup: Backup) -> (slot: SlotRecord?, reason: String?) {
        guard backup.instanceID.isEmpty || backup.instanceID == entry.instanceID, backup.type == .manual,
            let slot = slotsByBackupID[backup.id]
        else { return (nil, Self.notOurs) }
        guard slot.name == backup.name else { return (slot, Self.nameDiffers) }
        guard matchesTemplate(backup.name, slotAt: slot.slotAt) else { return (slot, Self.templateMismatch) }
        if slot.ownership == .adopted {
            let evidence = OwnershipEvidence(
                firstRun: min(slot.slotAt, slot.runAt),
                description: entry.description(for: slot.slotAt, instanceName: instanceName, engine: engine).value)
            // Without a state look-up the judgement cannot throw.
            let verdict = (try? evidence.judge(backup)) ?? .foreign(reason: "its evidence could not be checked")
            if case .foreign(let why) = verdict { return (slot, "\(Self.adoptedWithoutEvidence): \(why)") }
        }
        return (slot, nil)
    }

    /// Whether `name` is what the entry's template renders for the slot at `slotAt`.
    func matchesTemplate(_ name: String, slotAt: Date) -> Bool {
        let expected = entry.name(for: slotAt, instanceName: instanceName, engine: engine)
        return name == expected.value || name == expected.collisionSuffixed(instanceID: entry.instanceID).value
    }
}
