/// Where the schedule file is when no path is given.
public enum SchedulePath {
    /// The file used without a path argument.
    public static let fallback = "/etc/rds-backupd/schedule.yaml"

    /// `$CONFIGURATION_DIRECTORY/schedule.yaml` (systemd `ConfigurationDirectory=`), else
    /// `/etc/rds-backupd/schedule.yaml`. systemd may list several directories separated by ':';
    /// the first is used.
    public static func defaultPath(environment: [String: String]) -> String {
        guard let directories = environment["CONFIGURATION_DIRECTORY"],
            let first = directories.split(separator: ":").first, !first.isEmpty
        else { return fallback }
        return first.hasSuffix("/") ? "\(first)schedule.yaml" : "\(first)/schedule.yaml"
    }
}
