import Foundation
import GRDB

extension StateStore {
    /// The streams of each `select:` entry that the last schedule in force held (the `entry`
    /// rows with a `selected_from`, not marked removed): the selection a restarted service starts
    /// with, before its first refresh, so an unreachable API drops no instance.
    public func knownStreams() throws(StateStoreError) -> [String: [SelectedStream]] {
        let rows = try read { db in
            try Row.fetchAll(db, sql: "SELECT selected_from, instance_id FROM entry WHERE removed_at IS NULL AND selected_from IS NOT NULL")
        }
        var result: [String: [SelectedStream]] = [:]
        for row in rows {
            let entry: String = row["selected_from"]
            result[entry, default: []].append(SelectedStream(instanceID: row["instance_id"]))
        }
        return result
    }
}

extension Schedule {
    /// The schedule with each `select:` entry expanded into the streams the state knows (what the
    /// service ran last), for commands that read the state rather than the API (`status`,
    /// `history`, `backup-now ALIAS@INSTANCE_ID`). An unreadable state expands to no streams.
    public func expanded(knownIn store: StateStore) -> Schedule {
        expanded(with: (try? store.knownStreams()) ?? [:])
    }
}
