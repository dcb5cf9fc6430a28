import ArgumentParser
import BackupScheduler
import Foundation
import OffsiteCopy

/// `rds-backupd verify-copies`: re-hashes every kept copy against its manifest.
struct VerifyCopiesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-copies",
        abstract: "Re-hash the offsite copies' files against their manifests (present, same size, same SHA-256).",
        discussion: """
            Reads every file of every copy under the schedule's copy destinations (or one entry's), so \
            it takes as long as reading them from disk. Exit status 0 when every copy is intact, 1 when \
            a file is missing, has another size or another SHA-256, or a manifest cannot be read.

            Examples:
              rds-backupd verify-copies
              rds-backupd verify-copies --entry orders
              rds-backupd verify-copies --json > /var/log/rds-copies-verified.json
            """)

    @OptionGroup var service: ServiceOptions

    @Option(help: "Only this entry's copies.", completion: ShellCompletion.entryAliases)
    var entry: String?

    @Flag(help: "Print a JSON array, one object per copy (directory, intact, files with their status).")
    var json = false

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let schedule = try ScheduleCommandSupport.load(path: service.schedulePath(environment: environment), now: Date())
        let listing = StoredCopies.find(in: schedule, entry: entry)
        var objects: [[String: Any]] = []
        var damaged = 0
        for problem in listing.unreadable {
            damaged += 1
            if json { objects.append(["error": problem.description, "intact": false]) } else { print("UNREADABLE  \(problem)") }
        }
        for copy in listing.copies {
            let report: CopyVerifier.Report
            do {
                report = try CopyVerifier.verify(directory: copy.directory)
            } catch {
                damaged += 1
                if json { objects.append(["directory": copy.directory, "error": error.description, "intact": false]) } else { print("UNREADABLE  \(error)") }
                continue
            }
            if !report.isIntact { damaged += 1 }
            if json {
                objects.append([
                    "directory": copy.directory, "backup_id": report.manifest.backupID, "entry": report.manifest.entry ?? "",
                    "intact": report.isIntact,
                    "files": report.files.map { ["name": $0.name, "status": Self.status($0.status)] },
                ])
                continue
            }
            print("\(report.isIntact ? "ok" : "DAMAGED")  \(copy.directory)")
            for file in report.files where file.status != .ok {
                print("    \(file.name): \(Self.status(file.status))")
            }
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted])
            print(String(decoding: data, as: UTF8.self))
        } else {
            let checked = listing.copies.count + listing.unreadable.count
            print("\(checked) \(checked == 1 ? "copy" : "copies") checked, \(damaged) damaged")
        }
        if damaged > 0 { throw ExitCode(1) }
    }

    static func status(_ status: CopyVerifier.FileStatus) -> String {
        switch status {
        case .ok: "ok"
        case .missing: "missing"
        case .wrongSize(let actual): "size \(actual) bytes differs from the manifest's"
        case .wrongHash(let actual): "SHA-256 \(actual) differs from the manifest's"
        }
    }
}
