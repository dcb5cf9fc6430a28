import Foundation
import Logging

/// A project-scoped IAM token and what came with it.
public struct IAMToken: Sendable {
    public var value: Secret
    public var expiresAt: Date
    public var issuedAt: Date?
    public var projectID: String
    public var catalog: [CatalogEntry]
    /// The project's name as the token says (nil when the answer has none).
    public var projectName: String? = nil
}

/// Obtains IAM tokens by password (docs/rds-api.md §7.1), caches them until shortly before
/// `expires_at`, and lets concurrent callers share one refresh.
public actor TokenProvider {
    let authURL: EndpointURL
    /// Hands out the password, or refuses fast after IAM refused it (never lock the user).
    let gate: CredentialGate
    let projectID: String?
    let projectName: String?
    let transport: HTTPTransport
    let now: @Sendable () -> Date
    let logger: Logger

    private var cached: IAMToken?
    private var refresh: Task<IAMToken, any Error>?

    public init(
        authURL: EndpointURL, gate: CredentialGate, projectID: String?, projectName: String?,
        transport: HTTPTransport, now: @escaping @Sendable () -> Date, logger: Logger
    ) {
        self.authURL = authURL
        self.gate = gate
        self.projectID = projectID
        self.projectName = projectName
        self.transport = transport
        self.now = now
        self.logger = logger
    }

    /// A valid token: the cached one, or a fresh one (one request, however many callers wait).
    public func token() async throws -> IAMToken {
        if let cached, !needsRefresh(cached) { return cached }
        if let refresh {
            do {
                return try await refresh.value
            } catch {
                // Joined a request IAM refused: report it as the refusal it now is (one failure
                // carries IAM's answer, the callers that waited along fail as "refused at").
                _ = try gate.admit(operation: "authenticate with IAM")
                throw error
            }
        }
        let task = Task { try await self.requestToken() }
        refresh = task
        defer { refresh = nil }
        let token = try await task.value
        cached = token
        return token
    }

    /// Drops `token` if it is still the cached one, so the next call re-authenticates.
    public func invalidate(_ token: IAMToken) {
        if cached?.value == token.value { cached = nil }
    }

    /// Refresh when less than five minutes, or less than half the lifetime, remain.
    func needsRefresh(_ token: IAMToken) -> Bool {
        let lifetime = token.issuedAt.map { token.expiresAt.timeIntervalSince($0) } ?? 86_400
        let margin = min(300, max(lifetime / 2, 0))
        return now().addingTimeInterval(margin) >= token.expiresAt
    }

    private func requestToken() async throws -> IAMToken {
        let operation = "authenticate with IAM"
        let admitted = try gate.admit(operation: operation)
        guard case .password(let credentials) = admitted else {
            throw RDSError(operation: operation, errorClass: .permanent, message: "the credentials are not a password")
        }
        var user: [String: Any] = ["name": credentials.username, "password": credentials.password.reveal()]
        if let domainID = credentials.userDomainID {
            user["domain"] = ["id": domainID]
        } else if let domainName = credentials.userDomainName {
            user["domain"] = ["name": domainName]
        }
        let project: [String: Any] = projectID.map { ["id": $0] } ?? ["name": projectName ?? ""]
        let object: [String: Any] = [
            "auth": [
                "identity": ["methods": ["password"], "password": ["user": user]],
                "scope": ["project": project],
            ]
        ]
        let body = Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
        let spec = HTTPRequestSpec(
            method: .POST, url: authURL.appending(path: "auth/tokens"),
            headers: [("Content-Type", "application/json;charset=utf8"), ("Accept", "application/json")],
            body: body)
        let response: HTTPResponseData
        do {
            response = try await transport.send(spec)
        } catch {
            throw RDSError(
                operation: operation, errorClass: error.errorClass,
                message: "\(error.message) (\(authURL))")
        }
        guard (200..<300).contains(response.status) else {
            let parsed = APIErrorBody.parse(response.body, status: response.status)
            var errorClass = ErrorClassifier.classify(status: response.status, code: parsed.code, message: parsed.message)
            if response.status == 400 || response.status == 403 || response.status == 404 { errorClass = .auth }
            if response.status == 401 || response.status == 403 {
                // The password itself was refused: presenting it again counts towards IAM's lockout.
                gate.refused(admitted, reason: "HTTP \(response.status) from IAM\(parsed.code.map { $0 == String(response.status) ? "" : " " + $0 } ?? "")")
            }
            throw RDSError(
                operation: operation, errorClass: errorClass, status: response.status, code: parsed.code,
                message: parsed.message, requestID: parsed.requestID ?? response.requestID,
                retryAfter: RetryAfter.parse(response.headers.first(name: "Retry-After"), now: now()))
        }
        guard let tokenValue = response.headers.first(name: "X-Subject-Token"), !tokenValue.isEmpty else {
            throw RDSError(
                operation: operation, errorClass: .transient, status: response.status,
                message: "the answer has no X-Subject-Token header")
        }
        struct Envelope: Decodable {
            struct Token: Decodable {
                struct Project: Decodable { var id: String; var name: String? }
                var expires_at: String
                var issued_at: String?
                var project: Project?
                var catalog: [CatalogEntry]?
            }
            var token: Token
        }
        let envelope = try response.decodeJSON(Envelope.self, operation: operation, what: "the token answer")
        guard let expiresAt = APITime.parse(envelope.token.expires_at) else {
            throw RDSError(
                operation: operation, errorClass: .transient, status: response.status,
                message: "the token's expires_at '\(APIErrorBody.clean(envelope.token.expires_at, limit: 40))' is not a time")
        }
        guard let scopedProject = envelope.token.project?.id ?? projectID else {
            throw RDSError(
                operation: operation, errorClass: .permanent, status: response.status,
                message: "the token is not scoped to a project; check the project name")
        }
        logger.debug("obtained IAM token", metadata: ["expires_at": "\(envelope.token.expires_at)", "project": "\(scopedProject)"])
        return IAMToken(
            value: Secret(tokenValue), expiresAt: expiresAt, issuedAt: envelope.token.issued_at.flatMap(APITime.parse),
            projectID: scopedProject, catalog: envelope.token.catalog ?? [], projectName: envelope.token.project?.name)
    }
}

/// A `Retry-After` header: delay-seconds or an HTTP date.
public enum RetryAfter {
    public static func parse(_ value: String?, now: Date) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Int(value) { return .seconds(max(0, min(seconds, 86_400))) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .seconds(max(0, min(date.timeIntervalSince(now), 86_400)))
    }
}
