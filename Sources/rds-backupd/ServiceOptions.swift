import ArgumentParser
import BackupScheduler

/// The schedule file and the state directory, named the same way by every command that reads
/// them: `[FILE]` or `--schedule FILE`, and `--state-dir DIR`.
struct ServiceOptions: ParsableArguments {
    @Argument(help: "The schedule file, as --schedule.", completion: ShellCompletion.scheduleFile)
    var file: String?

    @Option(help: "The schedule file (default: $CONFIGURATION_DIRECTORY/schedule.yaml, else /etc/rds-backupd/schedule.yaml).", completion: ShellCompletion.scheduleFile)
    var schedule: String?

    @Option(name: .customLong("state-dir"), help: "The state directory (default: $STATE_DIRECTORY, else /var/lib/rds-backupd).", completion: ShellCompletion.directory)
    var stateDir: String?

    func validate() throws {
        if let file, let schedule, file != schedule {
            throw ValidationError("the schedule file is given twice, '\(file)' and --schedule '\(schedule)'; give it once")
        }
    }

    func schedulePath(environment: [String: String]) -> String {
        file ?? schedule ?? SchedulePath.defaultPath(environment: environment)
    }

    func stateDirectory(environment: [String: String]) -> String {
        stateDir ?? StateStore.directory(environment: environment)
    }
}

/// `--os-cloud NAME` for the commands that read credentials through a schedule: every cloud of
/// the schedule then signs in as that cloud of clouds.yaml instead of by its `auth:` setting.
struct CredentialOptions: ParsableArguments {
    @Option(name: .customLong("os-cloud"), help: ArgumentHelp(
        "Sign in as this cloud of clouds.yaml instead of the schedule's auth: setting.",
        discussion: "clouds.yaml is searched in $OS_CLIENT_CONFIG_FILE, $CREDENTIALS_DIRECTORY (else the service's /etc/rds-backupd/credentials when readable), the current directory, ~/.config/openstack and /etc/openstack."))
    var osCloud: String?

    func apply(to schedule: inout Schedule) {
        guard let osCloud, !osCloud.isEmpty else { return }
        for name in schedule.clouds.keys { schedule.clouds[name]?.auth = .cloudsYAML(cloud: osCloud) }
    }
}
