import Foundation
import RDSClient

/// Whether a backup found under a slot's name is the slot's own (README "Reliability": the
/// ownership rule). The slot runner adopts only what this accepts, and retention re-checks
/// adopted backups with it, so a backup someone made by hand with a slot's name is neither
/// adopted nor counted nor deleted, whatever its status.
///
/// A backup is the slot's own when the state records it for the slot (its create was answered),
/// or, when the answer was lost (a crash, a timeout, another host on the same schedule), when it
/// began no earlier than the slot's first possible run less `skew` and carries the description
/// the slot's create sends. A backup the state records for another slot is never this one's.
public struct OwnershipEvidence: Sendable {
    /// How much earlier than the slot's first possible run the cloud may date the slot's own
    /// backup: the host's and the cloud's clocks may disagree by this much. A host whose clock is
    /// further ahead of the cloud's sees its own backup as foreign after a crash and makes a
    /// second one under the suffixed name; the first is then kept, never deleted.
    public static let skew: Duration = .seconds(120)

    /// The slot's first possible run: its instant (its run time is that plus the jitter, and a
    /// catch-up or a retry only comes later).
    public var firstRun: Date
    /// The description the slot's create sends (rendered from the entry's template).
    public var description: String
    /// Who else the state records a backup id for, in words ("slot … of entry …"); nil when no one.
    public var recordedElsewhere: @Sendable (_ backupID: String) throws -> String?

    /// The judgement on one backup, with the reason in words (recorded in the state, logged).
    public enum Verdict: Sendable, Equatable {
        case ours(reason: String)
        case foreign(reason: String)

        public var isOurs: Bool {
            if case .ours = self { return true }
            return false
        }

        public var reason: String {
            switch self {
            case .ours(let reason), .foreign(let reason): reason
            }
        }
    }

    public init(
        firstRun: Date, description: String,
        recordedElsewhere: @escaping @Sendable (_ backupID: String) throws -> String? = { _ in nil }
    ) {
        self.firstRun = firstRun
        self.description = description
        self.recordedElsewhere = recordedElsewhere
    }

    /// The evidence for `slot`'s backup, whose create sends `description`; `store` tells which
    /// backups other slots hold.
    public init(slot: SlotRecord, description: String, store: StateStore) {
        let slotID = slot.id
        self.init(firstRun: min(slot.slotAt, slot.runAt), description: description) { backupID in
            guard let other = try store.slot(holdingBackupID: backupID, exceptSlotID: slotID) else { return nil }
            return "slot \(RFC3339.formatUTC(other.slotAt)) of entry \(other.entry)"
        }
    }

    /// The earliest begin time the slot's own backup can have.
    public var earliestBegin: Date { firstRun.addingTimeInterval(-Self.skew.timeInterval) }

    /// Judges a backup listed under the slot's name (on the slot's instance).
    public func judge(_ backup: Backup) throws -> Verdict {
        if let other = try recordedElsewhere(backup.id) {
            return .foreign(reason: "the state records it for \(other)")
        }
        guard let begun = backup.beginTime else {
            return .foreign(reason: "the cloud gives no begin time for it, so nothing shows the slot made it")
        }
        let skew = DurationParser.format(Self.skew)
        guard begun >= earliestBegin else {
            return .foreign(
                reason: "it began \(RFC3339.formatUTC(begun)), before the slot's first possible run (\(RFC3339.formatUTC(firstRun)), less \(skew) for clock skew)")
        }
        let began = "it began \(RFC3339.formatUTC(begun)), not before the slot's first possible run (\(RFC3339.formatUTC(firstRun)), less \(skew) for clock skew)"
        // OTC's listing carries no description (docs/api-notes.md, "Backup listing"): where it
        // does, it must be the slot's; where it does not, the name, the instance, the type and
        // the time are the evidence.
        guard let listed = backup.description else {
            return .ours(reason: "\(began); the listing shows no description to compare")
        }
        guard listed == description else {
            return .foreign(reason: "its description is not the one the slot's create sends")
        }
        return .ours(reason: "\(began), and carries the slot's description")
    }
}
