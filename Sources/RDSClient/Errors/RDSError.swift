import Foundation

/// How the client, the retry loop and the slot runner must treat a failed call
/// (docs/rds-api.md §5, docs/architecture.md "Error classification").
public enum ErrorClass: String, Sendable, Hashable, Codable, CaseIterable {
    /// Connection errors, timeouts, 5xx, 429 / APIG(W).0308, malformed answers: retry with backoff.
    case transient
    /// The instance is busy (409 "backup in progress", "another operation in progress", not ACTIVE): retry later.
    case busy
    /// Authentication failed even after one re-authentication: fix the credentials.
    case auth
    /// The backup name is taken (409 DBS.201201): the caller decides between "ours" and "foreign".
    case alreadyExists
    /// Anything else: fail at once with the code and the message.
    case permanent

    /// Whether a retry may succeed without anyone changing anything.
    public var isRetryable: Bool { self == .transient || self == .busy }
}

/// One failed call to the cloud: what the API said and how to treat it.
///
/// The message is the API's own `error_msg` (or a short description of the transport failure); it
/// never contains a token, password or secret key, because none of those are ever put into a
/// request URL or echoed by the API.
public struct RDSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What the client was doing, e.g. `create backup`.
    public var operation: String
    public var errorClass: ErrorClass
    /// HTTP status, nil when no response arrived.
    public var status: Int?
    /// `error_code` of the body (`DBS.201205`, `APIG.0308`), or the IAM body's numeric code.
    public var code: String?
    public var message: String
    public var requestID: String?
    /// From a `Retry-After` header, when the server sent one.
    public var retryAfter: Duration?
    /// The request may have reached the server and taken effect (timeout or reset after sending,
    /// or a 2xx answer that could not be read). A create that fails this way must be resolved by
    /// listing before any second create.
    public var mayHaveTakenEffect: Bool
    /// Set when the call failed fast because IAM refused these credentials earlier (this time is
    /// when): nothing was sent. See `CredentialGate`.
    public var credentialsRefusedAt: Date?

    public init(
        operation: String, errorClass: ErrorClass, status: Int? = nil, code: String? = nil,
        message: String, requestID: String? = nil, retryAfter: Duration? = nil,
        mayHaveTakenEffect: Bool = false, credentialsRefusedAt: Date? = nil
    ) {
        self.credentialsRefusedAt = credentialsRefusedAt
        self.operation = operation
        self.errorClass = errorClass
        self.status = status
        self.code = code
        self.message = message
        self.requestID = requestID
        self.retryAfter = retryAfter
        self.mayHaveTakenEffect = mayHaveTakenEffect
    }

    /// The code of a call that failed fast because these credentials were refused earlier
    /// (`credentialsRefusedAt`); it is rds-backupd's own, never the API's.
    public static let credentialsRefusedCode = "CREDENTIALS_REFUSED"

    /// A quota was reached (413, or the internal-quota code): retention may free room.
    public var isQuotaExceeded: Bool {
        status == 413 || code == "DBS.216028" || code == "RDS.3003"
    }

    /// The API says the backup does not exist (any of the codes of docs/rds-api.md §2, §5.2).
    public var isBackupNotFound: Bool {
        guard let code else { return false }
        return ErrorClassifier.backupNotFoundCodes.contains(code)
    }

    /// The API says the instance does not exist.
    public var isInstanceNotFound: Bool {
        guard let code else { return false }
        return ErrorClassifier.instanceNotFoundCodes.contains(code)
    }

    public var description: String {
        var parts: [String] = []
        if let status { parts.append("HTTP \(status)") }
        // Keystone's code is the status again ("401"): print it once.
        if let code, code != status.map(String.init) { parts.append(code) }
        var text = "\(operation) failed"
        if !parts.isEmpty { text += " (\(parts.joined(separator: " ")))" }
        text += ": \(message)"
        if let requestID { text += " [request \(requestID)]" }
        if isQuotaExceeded {
            // What frees room depends on the caller (the slot runner runs the entry's retention first).
            text += " — the manual backup quota is reached"
        }
        return text
    }
}
