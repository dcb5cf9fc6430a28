import ArgumentParser
import BackupScheduler
import Foundation
import Logging
import RDSClient

/// How to reach the cloud from the command line; the OpenStack conventions, then overrides.
struct ClientOptions: ParsableArguments {
    @Option(name: .customLong("os-cloud"), help: ArgumentHelp(
        "Cloud name in clouds.yaml (default: $OS_CLOUD).",
        discussion: "Without a cloud name, credentials come from $CREDENTIALS_DIRECTORY when set, else from OS_* variables."))
    var osCloud: String?

    @Option(help: "Region, e.g. eu-de, eu-nl, eu-ch2 (default: OS_REGION_NAME / region_name).")
    var region: String?

    @Option(name: .customLong("project-id"), help: "Project id (default: OS_PROJECT_ID / project_id).")
    var projectID: String?

    @Option(name: .customLong("auth-url"), help: "IAM v3 URL (default: the region's).")
    var authURL: String?

    @Option(help: "RDS endpoint, e.g. a private endpoint or a local simulator (plain http only to loopback).")
    var endpoint: String?

    @Option(name: .customLong("ca-bundle"), help: "PEM file of extra CA certificates to trust.", completion: .file(extensions: ["pem", "crt"]))
    var caBundle: String?

    @Flag(name: .shortAndLong, help: "Log each API call (never a secret) to stderr.")
    var verbose = false

    /// The auth source the options and environment select.
    func authSource(environment: [String: String]) -> RDSClient.AuthSource {
        if let cloud = osCloud ?? environment["OS_CLOUD"], !cloud.isEmpty { return .cloudsYAML(cloud: cloud) }
        if let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty { return .credentialsDirectory }
        return .environment
    }

    var overrides: ProfileOverrides {
        ProfileOverrides(region: region, projectID: projectID, authURL: authURL, endpoint: endpoint, caBundlePath: caBundle)
    }

    func logger(label: String) -> Logger {
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = verbose ? .debug : .warning
        return logger
    }
}

/// A `Duration` written like the schedule file's (`90s`, `10m`, `1h30m`, `2d`).
struct DurationArgument: ExpressibleByArgument, Sendable {
    var duration: Duration

    init?(argument: String) {
        guard let parsed = DurationParser.parse(argument) else { return nil }
        duration = parsed
    }

    init(_ duration: Duration) { self.duration = duration }

    var defaultValueDescription: String { DurationParser.format(duration) }
}

/// Exit codes shared by the one-shot commands (the table in rds-backupd(8) and the README):
/// 0 success, 1 problems found (check-config, prune), 2 invalid input or configuration (nothing
/// was sent; also `run`'s, listed in the unit's RestartPreventExitStatus=), 3 the API refused,
/// 4 still failing after the retries, 5 the backup ended FAILED or did not complete in time.
enum ExitStatus {
    static let problemsFound: Int32 = 1
    static let invalidInput: Int32 = 2
    static let refused: Int32 = 3
    static let retriesExhausted: Int32 = 4
    static let backupFailed: Int32 = 5

    /// The code of a slot that ended failed: 5 when the backup was created and then failed or
    /// outlived its completion window, 4 when retries ran out before, 3 when it was refused.
    static func of(failedSlot slot: SlotRecord) -> Int32 {
        if slot.backupID != nil { return backupFailed }
        if slot.errorMessage?.hasPrefix(RetriesExhausted.messagePrefix) == true { return retriesExhausted }
        return refused
    }
}

/// Prints to stderr.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
