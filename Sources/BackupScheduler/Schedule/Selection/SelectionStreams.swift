import Foundation
import RDSClient

/// One instance a `select:` entry backs up, as the last successful refresh (or the state) knows it.
public struct SelectedStream: Sendable, Hashable {
    public var instanceID: String
    /// As the API reported it; nil when only the state knew the stream (after a restart).
    public var instanceName: String?

    public init(instanceID: String, instanceName: String? = nil) {
        self.instanceID = instanceID
        self.instanceName = instanceName
    }
}

/// A selected instance's own slot stream: an entry named `ALIAS@INSTANCE_ID`, so the state, the
/// queue, `status`, `history --entry` and `backup-now` key it apart from every other instance of
/// the same `select:` entry, and one backup per (stream, slot) holds as for any entry.
public enum StreamAlias {
    public static let separator: Character = "@"

    /// `entry@instanceID`.
    public static func make(entry: String, instanceID: String) -> String { "\(entry)\(separator)\(instanceID)" }

    /// The configured alias and instance id of a stream alias; nil for a plain alias (which never holds '@').
    public static func split(_ alias: String) -> (entry: String, instanceID: String)? {
        guard let at = alias.firstIndex(of: separator) else { return nil }
        return (String(alias[..<at]), String(alias[alias.index(after: at)...]))
    }
}

/// The identity of a slot stream: the configured entry, and for a `select:` entry the selected
/// instance. The state keeps it in columns of its own (the stream's alias in `entry`/`alias`, the
/// configured alias of a selection in `selected_from`), so no query takes an alias apart.
public struct StreamKey: Hashable, Sendable {
    /// The configured entry's alias.
    public var entry: String
    /// The instance a `select:` entry selected; nil for an entry of one instance.
    public var selectedInstanceID: String?

    public init(entry: String, selectedInstanceID: String? = nil) {
        self.entry = entry
        self.selectedInstanceID = selectedInstanceID
    }

    /// The key a stream alias stands for (what a person types, e.g. `backup-now shop@ID`): the one
    /// place an alias is taken apart.
    public init(alias: String) {
        if let (entry, instanceID) = StreamAlias.split(alias) {
            self.init(entry: entry, selectedInstanceID: instanceID)
        } else {
            self.init(entry: alias)
        }
    }

    /// The stream's alias: the entry's, or `ALIAS@INSTANCE_ID` for a selected instance.
    public var alias: String {
        selectedInstanceID.map { StreamAlias.make(entry: entry, instanceID: $0) } ?? entry
    }

    /// The configured alias of a `select:` entry's stream; nil for an entry of one instance.
    public var selectedFrom: String? { selectedInstanceID == nil ? nil : entry }
}

extension BackupEntry {
    /// This entry's stream key.
    public var streamKey: StreamKey {
        if case .selected(let key) = target { return key }
        return StreamKey(entry: alias)
    }

    /// The stream of this `select:` entry for one selected instance.
    public func stream(for selected: SelectedStream) -> BackupEntry {
        var entry = self
        let key = StreamKey(entry: alias, selectedInstanceID: selected.instanceID)
        entry.alias = key.alias
        entry.target = .selected(key)
        entry.instanceName = selected.instanceName
        return entry
    }
}

extension Schedule {
    /// The `select:` entries.
    public var selectorEntries: [BackupEntry] { entries.filter(\.isFleet) }

    /// The schedule the scheduler runs: each `select:` entry replaced, in place, by one stream per
    /// instance of `selections[alias]` (sorted by instance id); a selector without a known
    /// selection contributes no stream yet.
    public func expanded(with selections: [String: [SelectedStream]]) -> Schedule {
        var result = self
        result.entries = entries.flatMap { entry -> [BackupEntry] in
            guard entry.isFleet else { return [entry] }
            return (selections[entry.alias] ?? []).sorted { $0.instanceID < $1.instanceID }.map { entry.stream(for: $0) }
        }
        return result
    }
}
