import Foundation
import OffsiteCopy

/// The finished copies under the destinations a schedule names (`rds-backupd copies` and
/// `verify-copies`): directories holding a manifest, found by scanning, whatever the state says.
public enum StoredCopies {
    /// What was found: the copies (oldest slot first) and the manifests that could not be read.
    public struct Listing: Sendable {
        public var copies: [StoredCopy]
        public var unreadable: [CopyError]
        /// The destinations scanned.
        public var destinations: [String]
    }

    /// The copies under every `copy.destination` of `schedule` (each scanned once); with `entry`,
    /// only that entry's (a select: entry's alias also matches its streams `ALIAS@INSTANCE_ID`).
    public static func find(in schedule: Schedule, entry: String? = nil) -> Listing {
        var destinations: [String] = []
        for item in schedule.entries {
            guard let copy = item.copy else { continue }
            if let entry, item.alias != entry && item.selectedFrom != entry { continue }
            if !destinations.contains(copy.destination) { destinations.append(copy.destination) }
        }
        var copies: [StoredCopy] = []
        var unreadable: [CopyError] = []
        var seen = Set<String>()
        for destination in destinations {
            let scan = CopyRetention.scan(root: destination)
            unreadable += scan.unreadable
            for copy in scan.copies where seen.insert(copy.directory).inserted {
                if let entry, let owner = copy.manifest.entry, owner != entry && !owner.hasPrefix(entry + "@") { continue }
                copies.append(copy)
            }
        }
        copies.sort { ($0.manifest.entry ?? "", $0.time, $0.directory) < ($1.manifest.entry ?? "", $1.time, $1.directory) }
        return Listing(copies: copies, unreadable: unreadable, destinations: destinations)
    }
}
