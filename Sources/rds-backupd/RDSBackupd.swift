import ArgumentParser

@main
struct RDSBackupd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rds-backupd",
        abstract: "Scheduled manual backups of Open Telekom Cloud RDS instances.",
        subcommands: []
    )
}
