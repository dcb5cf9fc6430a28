import Foundation
import Logging
import RDSClient

/// Deletes an entry's own old backups by its `retention` settings (issue 6, docs/architecture.md "State").
///
/// Only backups this service made for the entry are candidates: a state row of the entry with the
/// backup's id and name, and a name the entry's template renders for that slot (or its
/// collision-suffixed form); an adopted one only while `OwnershipEvidence` still accepts it. Only
/// COMPLETED ones are judged by the keep rules, never the newest COMPLETED one; FAILED ones go
/// after `keep_failed_for`. Nothing is deleted while the entry's latest slot is failing, except to
/// make room when the cloud refused a slot's create for quota (`freeingQuota`). Every deletion is
/// logged as `backupPruned`; a failed delete is logged as `pruneFailed` and retried on the next
/// run. `prune` never throws: backups never wait on it.
///
/// The service calls it after each slot of an entry that ended COMPLETED, on the same task (so the
/// instance's next slot waits the few calls it takes, and shutdown cancels it), and the slot runner
/// calls it when a create is refused for quota:
///
///     let result = await runner.run(record, entry: entry)
///     if result.state == .completed, entry.retention != nil {
///         _ = await Pruner(sharing: runner).prune(entry: entry, now: runner.clock.now())
///     }
public struct Pruner: Sendable {
    /// The cloud (in the service: behind the cloud's gate and timed, as the slots use it).
    public var cloud: GatedCloud
    public var store: StateStore
    public var logger: Logger
    /// Called before each delete is sent (the crash tests stop the binary there; a no-op otherwise).
    public var beforeDelete: @Sendable () async -> Void = {}

    public init(cloud: GatedCloud, store: StateStore, logger: Logger) {
        self.cloud = cloud
        self.store = store
        self.logger = logger
    }

    /// A pruner on a client behind `gate` (when given), without latency observation (`prune`, tests).
    public init(client: any CloudAPI, store: StateStore, logger: Logger, gate: APIGate? = nil) {
        self.init(cloud: GatedCloud(client, gate: gate), store: store, logger: logger)
    }

    /// Prunes `entry`'s own backups as of `now`; with `dryRun` it only reports what it would do.
    /// `freeingQuota`: the cloud refused a create of the entry for quota, so the rules apply even
    /// though the entry's latest slot is failing (it is failing for want of room).
    public func prune(entry: BackupEntry, now: Date, dryRun: Bool = false, freeingQuota: Bool = false) async -> PruneReport {
        var log = logger
        log[metadataKey: "RDS_ENTRY"] = "\(entry.alias)"
        log[metadataKey: "RDS_INSTANCE_ID"] = "\(entry.instanceID)"
        var report = PruneReport(
            entry: entry.alias, instanceID: entry.instanceID, dryRun: dryRun, retention: entry.retention?.summary)
        guard let settings = entry.retention else { return report }

        let slots: [SlotRecord]
        do {
            slots = try store.slotsWithBackups(entry: entry.alias, instanceID: entry.instanceID)
            let summary = try store.summary(entry: entry.alias)
            if summary.consecutiveFailures > 0, let last = summary.lastOutcome, !freeingQuota {
                report.held = Self.holdSentence(entry: entry, latest: last)
            }
        } catch {
            report.error = "\(error)"
            log.log(level: BackupEvent.pruneFailed.level, "cannot prune \(entry.alias): \(error)", metadata: BackupEvent.pruneFailed.metadata)
            return report
        }

        let listed: [Backup]
        do {
            listed = try await cloud.listBackups(BackupQuery(instanceID: entry.instanceID, type: .manual))
        } catch {
            report.error = "cannot list the backups of instance \(entry.instanceID): \(error)"
            log.log(
                level: BackupEvent.pruneFailed.level, "cannot prune \(entry.alias): \(report.error ?? "")",
                metadata: BackupEvent.pruneFailed.metadata.merging(Self.errorFields(error)) { $1 })
            return report
        }

        var matcher = OwnershipMatcher(entry: entry, slots: slots)
        if entry.nameTemplate.usesOnlineVariables || entry.descriptionTemplate.usesOnlineVariables {
            do {
                let instance = try await cloud.instance(id: entry.instanceID)
                matcher.instanceName = instance?.name
                matcher.engine = instance?.engine
            } catch {
                log.debug("instance lookup for name matching failed; names and descriptions with {instance_name} or {engine} stay unmatched: \(error)")
            }
        }

        // Judge our COMPLETED and FAILED backups; describe everything else as it is.
        var completed: [RetentionItem] = []
        var failed: [RetentionItem] = []
        var items: [String: PruneItem] = [:]
        for backup in listed {
            let ownership = matcher.ownership(of: backup)
            let slotTime = ownership.slot?.slotAt
            var item = PruneItem(
                backupID: backup.id, name: backup.name, time: slotTime ?? backup.beginTime, status: backup.status.apiValue,
                ours: ownership.slot != nil && ownership.reason == nil, verdict: .keep, rule: ownership.reason ?? "",
                outcome: .kept)
            if let slot = ownership.slot, ownership.reason == nil {
                switch backup.status {
                case .completed: completed.append(RetentionItem(id: backup.id, time: slot.slotAt))
                case .failed: failed.append(RetentionItem(id: backup.id, time: slot.slotAt))
                case .deleting:
                    item.rule = "being deleted"
                    item.outcome = .deleting
                default: item.rule = "in progress"
                }
            }
            items[backup.id] = item
        }
        let decisions = RetentionPlanner.plan(
            completed: completed, failed: failed, settings: settings, timeZone: entry.timeZone, now: now)
        var toDelete = Set<String>()
        for (id, decision) in decisions {
            switch decision {
            case .keep(let rules):
                items[id]?.rule = rules.map(\.rawValue).joined(separator: ",")
            case .delete(let rule):
                items[id]?.verdict = .delete
                items[id]?.rule = rule == .keepFailedFor
                    ? "keep_failed_for=\(DurationParser.format(settings.keepFailedFor ?? RetentionPlanner.defaultKeepFailedFor))"
                    : settings.summary
                if report.held != nil {
                    items[id]?.outcome = .held
                } else if dryRun {
                    items[id]?.outcome = .wouldDelete
                } else {
                    toDelete.insert(id)
                }
            }
        }

        var ordered = listed.compactMap { items[$0.id] }
        ordered.sort { ($0.time ?? .distantPast, $0.backupID) > ($1.time ?? .distantPast, $1.backupID) }
        for index in ordered.indices where toDelete.contains(ordered[index].backupID) {
            if Task.isCancelled {
                ordered[index].outcome = .kept
                ordered[index].error = "not deleted: shutting down"
                continue
            }
            await beforeDelete()
            ordered[index] = await delete(ordered[index], entry: entry, now: now, log: log)
        }
        report.items = ordered
        return report
    }

    /// Sends the delete of one backup, logs and records the outcome.
    private func delete(_ item: PruneItem, entry: BackupEntry, now: Date, log: Logger) async -> PruneItem {
        var item = item
        let fields: Logger.Metadata = [
            "RDS_BACKUP_NAME": "\(item.name)", "RDS_BACKUP_ID": "\(item.backupID)", "RDS_RETENTION_RULE": "\(item.rule)",
        ]
        do {
            let existed = try await cloud.deleteBackup(id: item.backupID)
            item.outcome = existed ? .deleted : .alreadyGone
            log.log(
                level: BackupEvent.backupPruned.level,
                "deleted backup \(item.name) (id \(item.backupID)) of \(entry.alias)\(existed ? "" : ", already gone"); retention \(item.rule)",
                metadata: BackupEvent.backupPruned.metadata.merging(fields) { $1 })
            record(item, entry: entry, outcome: .deleted, error: nil, now: now, log: log)
        } catch {
            item.outcome = .failed
            item.error = "\(error)"
            log.log(
                level: BackupEvent.pruneFailed.level,
                "deleting backup \(item.name) (id \(item.backupID)) of \(entry.alias) failed, tried again on the next run: \(error)",
                metadata: BackupEvent.pruneFailed.metadata.merging(fields) { $1 }.merging(Self.errorFields(error)) { $1 })
            record(item, entry: entry, outcome: .failed, error: "\(error)", now: now, log: log)
        }
        return item
    }

    private func record(_ item: PruneItem, entry: BackupEntry, outcome: PruneRecord.Outcome, error: String?, now: Date, log: Logger) {
        do {
            try store.recordPrune(
                backupID: item.backupID, entry: entry.alias, instanceID: entry.instanceID, name: item.name, rule: item.rule,
                outcome: outcome, error: error, now: now)
        } catch {
            log.warning("cannot record the prune of \(item.name) in the state: \(error)")
        }
    }

    /// Why nothing is deleted while the entry is failing, and when that ends: one sentence.
    static func holdSentence(entry: BackupEntry, latest: SlotRecord) -> String {
        "the latest slot of \(entry.alias) (\(RFC3339.formatUTC(latest.slotAt))) \(latest.state.rawValue), and retention "
            + "deletes nothing while an entry's backups are failing, except to make room when the cloud refuses a create for "
            + "quota; it resumes after the next completed backup"
    }

    private static func errorFields(_ error: any Error) -> Logger.Metadata {
        guard let error = error as? RDSError else { return [:] }
        return ["RDS_ERROR_CODE": "\(error.code ?? "-")", "RDS_REQUEST_ID": "\(error.requestID ?? "-")"]
    }
}
