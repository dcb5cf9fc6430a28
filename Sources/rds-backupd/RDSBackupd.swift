import ArgumentParser
import Foundation
import RDSClient

@main
struct RDSBackupd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rds-backupd",
        abstract: "Scheduled manual backups of Open Telekom Cloud RDS instances.",
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
