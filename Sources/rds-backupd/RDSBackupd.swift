import ArgumentParser
import Foundation
import RDSClient

@main
struct RDSBackupd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rds-backupd",
        abstract: "Scheduled manual backups of Open Telekom Cloud RDS instances.",
        discussion: """
            Every command reads the schedule as [FILE] or --schedule FILE (default: \
            $CONFIGURATION_DIRECTORY/schedule.yaml, else /etc/rds-backupd/schedule.yaml) and the state \
            as --state-dir DIR (default: $STATE_DIRECTORY, else /var/lib/rds-backupd). Those that sign \
            in take --os-cloud NAME and --simulate.

            Exit status of the one-shot commands:
              0  success
              1  problems found: check-config (errors in the file, an online check failed), prune (a list or delete failed)
              2  invalid input or configuration: nothing was sent (run exits 2 too: RestartPreventExitStatus=2)
              3  the API refused (its code, message and request id are printed)
              4  still failing after the retries (or the start window closed)
              5  the backup ended FAILED or did not complete in time

            Examples:
              sudo rds-backupd check-config --online
              rds-backupd next-runs --count 5
              sudo rds-backupd backup-now orders --wait
              sudo rds-backupd status
            """,
        version: RDSClientVersion.current,
        subcommands: [
            RunCommand.self, BackupNowCommand.self, StatusCommand.self, HistoryCommand.self, CreateBackupCommand.self,
            SimulatorCommand.self, CheckConfigCommand.self, NextRunsCommand.self, PruneCommand.self, CopiesCommand.self,
            VerifyCopiesCommand.self,
        ]
    )

    /// Runs the chosen command; a usage or validation error exits 2 ("invalid input, nothing was sent")
    /// instead of ArgumentParser's 64, so every command shares one meaning for 2.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code.rawValue == 64 {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
