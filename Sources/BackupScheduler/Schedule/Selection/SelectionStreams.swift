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

extension BackupEntry {
    /// The stream of this `select:` entry for one selected instance.
    public func stream(for selected: SelectedStream) -> BackupEntry {
        var entry = self
        entry.alias = StreamAlias.make(entry: alias, instanceID: selected.instanceID)
        entry.instanceID = selected.instanceID
        entry.selectedFrom = alias
        entry.instanceName = selected.instanceName
        entry.selector = nil
        return entry
    }
}

extension Schedule {
    /// The `select:` entries.
    public var selectorEntries: [BackupEntry] { entries.filter { $0.selector != nil } }

    /// The schedule the scheduler runs: each `select:` entry replaced, in place, by one stream per
    /// instance of `selections[alias]` (sorted by instance id); a selector without a known
    /// selection contributes no stream yet.
    public func expanded(with selections: [String: [SelectedStream]]) -> Schedule {
        var result = self
        result.entries = entries.flatMap { entry -> [BackupEntry] in
            guard entry.selector != nil else { return [entry] }
            return (selections[entry.alias] ?? []).sorted { $0.instanceID < $1.instanceID }.map { entry.stream(for: $0) }
        }
        return result
    }
}
