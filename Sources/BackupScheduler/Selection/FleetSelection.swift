import Foundation
import Logging
import RDSClient

/// The last known selection of every `select:` entry and when each is read again: the refresh
/// logic of the scheduler (issue #10). A refresh that fails keeps the last known selection, so an
/// unreachable API never stops a backup; instances that appear are added (their stream starts at
/// its next slot), instances that vanish are dropped (their history stays), each change one
/// journal entry (`instanceSelectionChanged`).
struct FleetSelection: Sendable {
    /// Selected instances by configured alias.
    private(set) var selections: [String: [SelectedStream]] = [:]
    /// When each selector entry is read next, on the monotonic clock: the refresh interval is a
    /// length of time, which a step of the wall clock must neither stretch nor cut.
    private(set) var nextRefresh: [String: MonotonicInstant] = [:]
    /// A failed refresh is tried again after this, or after `refresh` when that is shorter.
    static let retryAfterFailure = Duration.seconds(300)

    /// Starts from the streams the state knew, for the `select:` entries of `schedule`; every
    /// selector is due at `now`.
    mutating func seed(_ known: [String: [SelectedStream]], schedule: Schedule, now: MonotonicInstant) {
        for entry in schedule.selectorEntries {
            selections[entry.alias] = known[entry.alias] ?? []
            nextRefresh[entry.alias] = now
        }
    }

    /// Follows a reloaded schedule: selections of entries that are no longer `select:` entries
    /// are dropped (their streams end with the entry, logged), new ones start empty, and every
    /// selector is due at once ("selection is re-evaluated on reload").
    mutating func adopt(_ schedule: Schedule, now: MonotonicInstant, logger: Logger) {
        let aliases = Set(schedule.selectorEntries.map(\.alias))
        for (alias, streams) in selections where !aliases.contains(alias) {
            selections[alias] = nil
            nextRefresh[alias] = nil
            logger.notice(
                "entry \(alias) is no longer a select: entry; its \(streams.count) instance streams stop, their history is kept",
                metadata: BackupEvent.instanceSelectionChanged.metadata.merging(["RDS_ENTRY": "\(alias)"]) { $1 })
        }
        for alias in aliases {
            if selections[alias] == nil { selections[alias] = [] }
            nextRefresh[alias] = now
        }
    }

    /// The earliest refresh due.
    var nextDue: MonotonicInstant? { nextRefresh.values.min() }

    /// The `select:` entries of `schedule` whose refresh is due at `now`, in file order.
    func due(in schedule: Schedule, at now: MonotonicInstant) -> [BackupEntry] {
        schedule.selectorEntries.filter { entry in nextRefresh[entry.alias].map { $0 <= now } ?? true }
    }

    /// Records a refresh of `entry` (a `select:` entry of `schedule`) that ended at `now` on the wall
    /// clock (new streams start at their next slot after it) and at `monotonic` (the next refresh is
    /// due an interval after it). Returns whether the selection changed (the caller then installs
    /// the expanded schedule).
    mutating func record(
        _ result: Result<[Instance], any Error>, for entry: BackupEntry, schedule: Schedule, now: Date,
        monotonic: MonotonicInstant, logger: Logger
    ) -> Bool {
        guard let selector = entry.selector else { return false }
        let previous = selections[entry.alias] ?? []
        let instances: [Instance]
        switch result {
        case .failure(let error):
            let retry = min(selector.refresh, Self.retryAfterFailure)
            nextRefresh[entry.alias] = monotonic.advanced(by: retry)
            var metadata = BackupEvent.selectionRefreshFailed.metadata
            metadata["RDS_ENTRY"] = "\(entry.alias)"
            if let error = error as? RDSError {
                metadata["RDS_ERROR_CODE"] = "\(error.code ?? "-")"
                metadata["RDS_REQUEST_ID"] = "\(error.requestID ?? "-")"
            }
            logger.log(
                level: BackupEvent.selectionRefreshFailed.level,
                "the instances of entry \(entry.alias) (\(selector.summary)) could not be listed: \(error); keeping the last known \(Self.count(previous.count)), trying again in \(DurationParser.format(retry))",
                metadata: metadata)
            return false
        case .success(let listed):
            instances = listed
            nextRefresh[entry.alias] = monotonic.advanced(by: selector.refresh)
        }
        let previousIDs = Set(previous.map(\.instanceID))
        let fresh = instances.map { SelectedStream(instanceID: $0.id, instanceName: $0.name) }
        let freshIDs = Set(fresh.map(\.instanceID))
        var added = fresh.filter { !previousIDs.contains($0.instanceID) }
        let removed = previous.filter { !freshIDs.contains($0.instanceID) }
        selections[entry.alias] = fresh

        // A new stream whose names could clash with another entry's is not added (never two
        // backups fighting for one name); it is reported and checked again at the next refresh.
        for rejected in rejectClashing(added, of: entry, schedule: schedule, now: now, logger: logger) {
            added.removeAll { $0.instanceID == rejected }
            selections[entry.alias]?.removeAll { $0.instanceID == rejected }
        }

        for stream in added {
            let streamEntry = entry.stream(for: stream)
            let next = streamEntry.nextSlot(after: now).map { RFC3339.format($0, in: entry.timeZone) } ?? "none"
            logger.log(
                level: BackupEvent.instanceSelectionChanged.level,
                "instance \(stream.instanceID) (\(stream.instanceName ?? "?")) now matches entry \(entry.alias) (\(selector.summary)): backed up as \(streamEntry.alias) from its next slot \(next)",
                metadata: BackupEvent.instanceSelectionChanged.metadata.merging(
                    ["RDS_ENTRY": "\(entry.alias)", "RDS_INSTANCE_ID": "\(stream.instanceID)"]) { $1 })
        }
        for stream in removed {
            let alias = StreamKey(entry: entry.alias, selectedInstanceID: stream.instanceID).alias
            logger.log(
                level: BackupEvent.instanceSelectionChanged.level,
                "instance \(stream.instanceID) (\(stream.instanceName ?? "?")) no longer matches entry \(entry.alias) (deleted, renamed or re-tagged): its backups stop; its recorded slots are kept (history --entry \(alias))",
                metadata: BackupEvent.instanceSelectionChanged.metadata.merging(
                    ["RDS_ENTRY": "\(entry.alias)", "RDS_INSTANCE_ID": "\(stream.instanceID)"]) { $1 })
        }
        // A rename changes only the stream's name for `{instance_name}`: reinstall then too.
        return !added.isEmpty || !removed.isEmpty || previous.map(\.instanceName) != (selections[entry.alias] ?? []).map(\.instanceName)
    }

    /// The added instances whose stream can render a name another entry (or stream) can render too.
    private func rejectClashing(
        _ added: [SelectedStream], of entry: BackupEntry, schedule: Schedule, now: Date, logger: Logger
    ) -> [String] {
        guard !added.isEmpty else { return [] }
        var candidates = selections
        var rejected: [String] = []
        let addedAliases = Set(added.map { StreamKey(entry: entry.alias, selectedInstanceID: $0.instanceID).alias })
        // Each pass removes one clashing new stream; at most one pass per added instance.
        for _ in 0...added.count {
            let entries = schedule.expanded(with: candidates).entries
            let clash = NameCollisions.acrossEntries(entries, from: now).first { clash in
                addedAliases.contains(entries[clash.second].alias) || addedAliases.contains(entries[clash.first].alias)
            }
            guard let clash else { break }
            let (loser, other) =
                addedAliases.contains(entries[clash.second].alias)
                ? (entries[clash.second], entries[clash.first]) : (entries[clash.first], entries[clash.second])
            rejected.append(loser.instanceID)
            candidates[entry.alias]?.removeAll { $0.instanceID == loser.instanceID }
            logger.error(
                "instance \(loser.instanceID) matches entry \(entry.alias) but is not backed up: its name '\(clash.name)' can also come from \(other.alias); make the entry's name template tell them apart (e.g. {alias}-{instance_id}-{slot:%Y%m%d-%H%M})",
                metadata: BackupEvent.instanceSelectionChanged.metadata.merging(
                    ["RDS_ENTRY": "\(entry.alias)", "RDS_INSTANCE_ID": "\(loser.instanceID)"]) { $1 })
        }
        return rejected
    }

    static func count(_ n: Int) -> String { n == 1 ? "1 instance" : "\(n) instances" }
}
