import Foundation

/// Where the one-shot commands find the service's credentials: the directory the unit's
/// `LoadCredential=` lines read (`/etc/rds-backupd/credentials`), used as `$CREDENTIALS_DIRECTORY`
/// when none is set and this user can read it (root can), so `sudo rds-backupd check-config`
/// reads what the service reads.
enum ServiceCredentials {
    static let defaultDirectory = "/etc/rds-backupd/credentials"

    /// The directory: `$RDS_BACKUPD_SERVICE_CREDENTIALS` (a unit whose drop-in reads another one),
    /// else `/etc/rds-backupd/credentials`.
    static func directory(environment: [String: String]) -> String {
        if let directory = environment["RDS_BACKUPD_SERVICE_CREDENTIALS"], !directory.isEmpty { return directory }
        return defaultDirectory
    }

    /// `environment` with `CREDENTIALS_DIRECTORY` set to the service's directory when it is not
    /// set already and the directory can be read.
    static func environment(_ environment: [String: String]) -> [String: String] {
        if let set = environment["CREDENTIALS_DIRECTORY"], !set.isEmpty { return environment }
        let directory = directory(environment: environment)
        guard access(directory, R_OK | X_OK) == 0 else { return environment }
        var result = environment
        result["CREDENTIALS_DIRECTORY"] = directory
        return result
    }

    /// What to add to a credential error: the service's directory when it exists but this user
    /// cannot read it, and what to pass instead. Nil when it was read or does not exist.
    static func hint(environment: [String: String]) -> String? {
        if let set = environment["CREDENTIALS_DIRECTORY"], !set.isEmpty { return nil }
        let directory = directory(environment: environment)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue,
            access(directory, R_OK | X_OK) != 0
        else { return nil }
        return "the service's credentials in \(directory) cannot be read by this user: run the command as root "
            + "(sudo), or give the credentials yourself (CREDENTIALS_DIRECTORY=DIR, OS_CLIENT_CONFIG_FILE=FILE, or OS_* variables)"
    }
}
