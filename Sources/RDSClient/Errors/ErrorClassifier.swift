/// Maps an API answer to an `ErrorClass`, following docs/rds-api.md §5 and docs/architecture.md "Error classification".
public enum ErrorClassifier {
    /// 409 codes meaning "the instance is busy, try later" (docs/architecture.md "Error classification"; TF-OTC's retry list).
    public static let busyCodes: Set<String> = [
        "DBS.201205", "DBS.201202", "DBS.200011", "DBS.200019", "DBS.200047", "DBS.212006",
        "DBS.200018", "DBS.200611", "DBS.200080", "DBS.200463", "DBS.201015", "DBS.201206",
        "DBS.212033", "DBS.280011", "DBS.280343", "DBS.280816",
        // 400 "This operation is not allowed by the DB instance status": an automated backup or a
        // resize is running (docs/api-notes.md). DBS.201014 is also documented for read replicas:
        // `RDSAPIClient.createBackup` makes it permanent when the instance is one.
        "DBS.200086", "DBS.201014",
    ]
    /// Codes that mean the credentials or the token are not accepted: re-authenticate once.
    public static let authCodes: Set<String> = [
        "APIG.0301", "APIGW.0301", "APIG.0303", "APIGW.0303", "APIG.0307", "APIGW.0307", "DBS.280056",
    ]
    /// Gateway throttling.
    public static let throttleCodes: Set<String> = ["APIG.0308", "APIGW.0308", "IAM.0012"]
    /// "Object already exists": the candidate code for a duplicate backup name (UNCONFIRMED, §5.2).
    public static let alreadyExistsCodes: Set<String> = ["DBS.201201"]
    public static let backupNotFoundCodes: Set<String> = ["DBS.201010", "DBS.280214", "DBS.201203"]
    public static let instanceNotFoundCodes: Set<String> = [
        "DBS.200002", "DBS.200045", "DBS.200408", "DBS.200602", "DBS.201028", "DBS.290005", "DBS.290011",
    ]

    /// The class of an HTTP error answer.
    public static func classify(status: Int, code: String?, message: String) -> ErrorClass {
        if let code {
            if throttleCodes.contains(code) { return .transient }
            if authCodes.contains(code) { return .auth }
            if busyCodes.contains(code) && (status == 409 || status == 403 || status == 400) { return .busy }
            if alreadyExistsCodes.contains(code) { return .alreadyExists }
        }
        if status == 429 { return .transient }
        if status >= 500 { return .transient }
        if status == 401 { return .auth }
        // No backup-specific "name exists" code is documented (§10.2): accept the wording too.
        if status == 409 || status == 400 {
            let lowered = message.lowercased()
            if lowered.contains("already exist") || lowered.contains("name exists")
                || lowered.contains("duplicate name")
            {
                return .alreadyExists
            }
        }
        return .permanent
    }

    /// Whether re-authenticating once may cure this answer (token expired or revoked).
    public static func wantsReauthentication(status: Int, code: String?) -> Bool {
        if let code, authCodes.contains(code) { return true }
        return status == 401
    }
}
