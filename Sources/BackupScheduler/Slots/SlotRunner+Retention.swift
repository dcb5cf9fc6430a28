import Foundation
import Logging
import RDSClient

extension Pruner {
    /// A pruner with a slot runner's cloud (gate and observer), state, logger and its
    /// `duringPrune` checkpoint: what the service uses after a slot of an entry ends COMPLETED,
    /// and the runner after a quota refusal.
    public init(sharing runner: SlotRunner) {
        self.init(cloud: runner.cloud, store: runner.store, logger: runner.logger)
        let checkpoint = runner.checkpoint
        beforeDelete = { await checkpoint(.duringPrune) }
    }
}

extension SlotRunner {
    /// The cloud refused the slot's create for quota: a state the entry's retention can fix. Runs
    /// it by its rules although the entry is failing (never the newest COMPLETED backup, never a
    /// backup that is not the entry's) and returns what it deleted. Throws the slot's failure when
    /// it deletes nothing, saying exactly what limits it.
    func makeRoom(for entry: BackupEntry, refusal: RDSError, log: Logger) async throws -> [PruneItem] {
        guard let settings = entry.retention else {
            throw SlotFailure(
                code: refusal.code,
                message: "\(refusal); no retention is set for entry \(entry.alias), so nothing may be deleted to make room: set `retention` for it (it deletes only the entry's own old backups), or delete backups by hand",
                requestID: refusal.requestID)
        }
        log.notice("the manual backup quota is reached; running retention (\(settings.summary)) to make room")
        let report = await Pruner(sharing: self).prune(entry: entry, now: clock.now(), freeingQuota: true)
        observer.pruned(entry: entry.alias, count: report.deleted.count)
        // Shutdown stopped the deletes: the slot is resumed on the next start, not failed.
        try Task.checkCancellation()
        let deleted = report.deleted
        guard !deleted.isEmpty else {
            throw SlotFailure(
                code: refusal.code,
                message: "\(refusal); retention (\(settings.summary)) frees nothing: \(report.whyNothingWasDeleted); lower the entry's retention or delete backups by hand",
                requestID: refusal.requestID)
        }
        log.notice(
            "retention deleted \(deleted.count) backup\(deleted.count == 1 ? "" : "s") of \(entry.alias) to make room (\(deleted.map(\.name).joined(separator: ", "))); creating again")
        return deleted
    }
}
