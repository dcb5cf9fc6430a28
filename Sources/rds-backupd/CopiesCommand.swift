import ArgumentParser
import BackupScheduler
import Foundation
import OffsiteCopy

/// `rds-backupd copies`: the offsite copies kept under the schedule's destinations.
struct CopiesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copies",
        abstract: "List the offsite copies kept under the schedule's copy destinations (entry, slot, backup, size, directory).",
        discussion: """
            Scans each copy.destination of the schedule for copies (directories holding the manifest \
            rds-backupd-copy.json); a copy still being written has no manifest yet and is not listed. \
            Reads nothing else and sends nothing, so it works while the service runs.

            Examples:
              rds-backupd copies
              rds-backupd copies --entry orders
              rds-backupd copies --json | jq '.[] | select(.entry == "orders") | .directory'
            """)

    @OptionGroup var service: ServiceOptions

    @Option(help: "Only this entry's copies (a select: entry's alias shows its instance streams ALIAS@INSTANCE_ID).", completion: ShellCompletion.entryAliases)
    var entry: String?

    @Flag(help: "Print a JSON array, one object per copy.")
    var json = false

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let schedule = try ScheduleCommandSupport.load(path: service.schedulePath(environment: environment), now: Date())
        let listing = StoredCopies.find(in: schedule, entry: entry)
        for problem in listing.unreadable { printError("warning: \(problem)") }
        if json {
            let data = try JSONSerialization.data(
                withJSONObject: listing.copies.map(Self.object), options: [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        if listing.destinations.isEmpty {
            print(entry.map { "entry \($0) has no copy: settings" } ?? "no entry of the schedule has copy: settings")
            return
        }
        if listing.copies.isEmpty {
            print("no copies yet under \(listing.destinations.joined(separator: ", "))")
            return
        }
        for copy in listing.copies {
            let manifest = copy.manifest
            let slot = manifest.slot.map(RFC3339.formatUTC) ?? "-"
            print("\(slot)  \(manifest.entry ?? "-")  \(manifest.backupName)  \(Self.size(manifest.totalBytes))  \(manifest.files.count) \(manifest.files.count == 1 ? "file" : "files")  \(copy.directory)")
        }
        let total = listing.copies.reduce(Int64(0)) { $0 + $1.manifest.totalBytes }
        print("\(listing.copies.count) \(listing.copies.count == 1 ? "copy" : "copies"), \(Self.size(total))")
    }

    static func object(_ copy: StoredCopy) -> [String: Any] {
        let manifest = copy.manifest
        var object: [String: Any] = [
            "directory": copy.directory, "backup_id": manifest.backupID, "backup_name": manifest.backupName,
            "instance_id": manifest.instanceID, "bytes": manifest.totalBytes,
            "copy_completed_at": RFC3339.formatUTC(manifest.copyCompletedAt),
            "files": manifest.files.map { ["name": $0.name, "bytes": $0.bytes, "sha256": $0.sha256] as [String: Any] },
        ]
        if let entry = manifest.entry { object["entry"] = entry }
        if let slot = manifest.slot { object["slot"] = RFC3339.formatUTC(slot) }
        if let engine = manifest.engine { object["engine"] = engine }
        if let name = manifest.instanceName { object["instance_name"] = name }
        return object
    }

    static func size(_ bytes: Int64) -> String {
        CopyRunner.formatBytes(bytes)
    }
}
