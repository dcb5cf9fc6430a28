import Foundation
import Logging
import NIOHTTP1

/// The shared OTC RDS v3 client: the only code that talks to the cloud.
///
/// Every call authenticates (IAM token or AK/SK signature), resolves the endpoint, sends over
/// `HTTPTransport`, and turns any failure into an `RDSError` with its `ErrorClass`. It does not
/// retry: retry policy belongs to the caller, who knows the deadline. It does re-authenticate
/// exactly once when a token is refused.
public final class RDSAPIClient: Sendable {
    public let profile: CloudProfile
    let transport: HTTPTransport
    let authenticator: Authenticator
    let logger: Logger
    let now: @Sendable () -> Date
    /// Items per page when listing (the API's maximum).
    static let pageSize = 100
    /// A listing that has not ended after this many pages is refused (a server repeating itself).
    static let maxPages = 10_000

    enum Authenticator: Sendable {
        case token(TokenProvider)
        case keys(KeyProvider)
    }

    /// Keeps refused credentials from being presented again (see `CredentialGate`).
    public let credentialGate: CredentialGate
    /// The IAM URL in use (nil: keys with a project id and no IAM URL known).
    let iamURL: EndpointURL?

    /// Builds a client; validates URLs and credentials shape, sends nothing.
    public init(
        profile: CloudProfile, transport: HTTPTransport, logger: Logger = Logger(label: "rds-backupd.client"),
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws(ClientConfigurationError) {
        self.profile = profile
        self.transport = transport
        self.logger = logger
        self.now = now
        let plan = try AuthPlan(profile)
        iamURL = plan.iamURL
        credentialGate = CredentialGate(
            credentials: profile.credentials, reread: profile.origin.reread, cooldown: profile.refusalCooldown, now: now)
        if plan.usesToken, let iamURL = plan.iamURL {
            authenticator = .token(
                TokenProvider(
                    authURL: iamURL, gate: credentialGate, projectID: profile.projectID,
                    projectName: profile.projectName, transport: transport, now: now, logger: logger))
        } else {
            authenticator = .keys(
                KeyProvider(
                    gate: credentialGate, iamURL: plan.iamURL, region: profile.region, projectID: profile.projectID,
                    projectName: profile.projectName, wantsCatalog: profile.endpoint == nil, transport: transport,
                    now: now, logger: logger))
        }
    }

    /// Refuses a profile exactly as `init` would, without a transport: check before starting one,
    /// since a started transport must be shut down and a refused profile would otherwise leak it.
    public static func check(_ profile: CloudProfile) throws(ClientConfigurationError) {
        _ = try AuthPlan(profile)
    }

    /// Forgets that IAM refused the credentials and reads their source again (the service's
    /// reload: the operator says "try again").
    public func credentialsReloaded() {
        credentialGate.reset()
    }

    /// How a profile authenticates, with every URL validated.
    private struct AuthPlan {
        var usesToken: Bool
        var iamURL: EndpointURL?

        init(_ profile: CloudProfile) throws(ClientConfigurationError) {
            if let endpoint = profile.endpoint { _ = try EndpointURL(endpoint, purpose: "endpoint") }
            let authText = profile.authURL ?? RegionTable.entries[profile.region]?.iam
            if case .agency(let agency) = profile.credentials {
                guard let components = URLComponents(string: agency.metadataURL), components.host != nil,
                    components.scheme == "http" || components.scheme == "https"
                else {
                    throw ClientConfigurationError("the metadata URL '\(agency.metadataURL)' is not an http URL")
                }
            }
            switch profile.credentials {
            case .password:
                guard authText != nil else {
                    throw RegionTable.unknownRegion(profile.region, what: "auth_url (OS_AUTH_URL)")
                }
                usesToken = true
            case .accessKey, .agency:
                if profile.projectID == nil && authText == nil {
                    throw ClientConfigurationError(
                        "access-key signing with a project name needs IAM to look up its id: set auth_url (OS_AUTH_URL), or the project id")
                }
                if profile.endpoint == nil && RegionTable.entries[profile.region] == nil && authText == nil {
                    throw RegionTable.unknownRegion(profile.region, what: "endpoint")
                }
                usesToken = false
            }
            if let text = authText {
                var url = try EndpointURL(text, purpose: "auth_url")
                if !url.path.hasSuffix("/v3") { url = try EndpointURL(url.appending(path: "v3"), purpose: "auth_url") }
                iamURL = url
            } else {
                iamURL = nil
            }
        }
    }

    // MARK: - Operations

    /// `POST /v3/{project_id}/backups`: starts a manual backup; the answer is normally `BUILDING`.
    public func createBackup(_ request: CreateBackupRequest) async throws -> Backup {
        let operation = "create backup \(request.name) of instance \(request.instanceID)"
        let response: HTTPResponseData
        do {
            response = try await send(operation: operation, method: .POST, path: "backups", query: [], body: request.jsonBody())
        } catch var error as RDSError where error.code == "DBS.201014" {
            // Documented both for "the instance status forbids it" (busy) and for read replicas
            // (never): ask which. If the instance cannot be read, it stays busy.
            if let instance = try? await instance(id: request.instanceID), instance.isReplica {
                error.errorClass = .permanent
                error.message += " (the instance is a read replica, which cannot be backed up manually; back up its primary)"
            }
            throw error
        }
        struct Envelope: Decodable { var backup: Backup }
        // The backup may well exist: the caller must resolve this by listing, never by re-creating.
        return try response.decodeJSON(
            Envelope.self, operation: operation, consequence: "; the backup may have been created", mayHaveTakenEffect: true
        ).backup
    }

    /// `GET /v3/{project_id}/backups`, every page. A `backupID` the API no longer knows yields `[]`.
    public func listBackups(_ query: BackupQuery) async throws -> [Backup] {
        struct Page: Decodable { var backups: [Backup]; var total_count: Int? }
        let operation = "list backups of instance \(query.instanceID)"
        do {
            return try await listAll(operation: operation, path: "backups") { offset, limit in
                query.queryItems(offset: offset, limit: limit)
            } decode: { (page: Page) in (page.backups, page.total_count) }
        } catch let error as RDSError where query.backupID != nil && error.isBackupNotFound {
            return []
        }
    }

    /// One backup by id, nil when it is gone (an empty list or "backup does not exist", §2).
    public func backup(id: String, instanceID: String) async throws -> Backup? {
        try await listBackups(BackupQuery(instanceID: instanceID, backupID: id)).first { $0.id == id }
    }

    /// `DELETE /v3/{project_id}/backups/{id}`. Returns false when the backup was already gone.
    @discardableResult
    public func deleteBackup(id: String) async throws -> Bool {
        let operation = "delete backup \(id)"
        do {
            _ = try await send(
                operation: operation, method: .DELETE, path: "backups/\(SDKSigner.percentEncode(id))", query: [], body: [])
            return true
        } catch let error as RDSError where error.isBackupNotFound || error.status == 404 {
            return false
        }
    }

    /// `GET /v3/{project_id}/instances`, every page.
    public func listInstances(_ query: InstanceQuery = .init()) async throws -> [Instance] {
        struct Page: Decodable { var instances: [Instance]; var total_count: Int? }
        return try await listAll(operation: "list instances", path: "instances") { offset, limit in
            query.queryItems(offset: offset, limit: limit)
        } decode: { (page: Page) in (page.instances, page.total_count) }
    }

    /// One instance by id, nil when the project has none with that id.
    public func instance(id: String) async throws -> Instance? {
        do {
            return try await listInstances(InstanceQuery(id: id)).first { $0.id == id }
        } catch let error as RDSError where error.isInstanceNotFound {
            return nil
        }
    }

    /// Where calls go, as resolved now (authenticates when the endpoint comes from the catalog).
    public func serviceRoot() async throws -> ServiceRoot {
        switch authenticator {
        case .keys(let provider):
            let signing = try await provider.signing(operation: "resolve the endpoint")
            return try resolveRoot(projectID: signing.projectID, catalogURL: signing.catalogRDS)
        case .token(let provider):
            let token = try await provider.token()
            return try resolveRoot(projectID: token.projectID, catalog: token.catalog)
        }
    }

    // MARK: - Plumbing

    func listAll<Page: Decodable, Item>(
        operation: String, path: String, items: (Int, Int) -> [(name: String, value: String)],
        decode: (Page) -> ([Item], Int?)
    ) async throws -> [Item] {
        var all: [Item] = []
        var offset = 0
        var previousBody: [UInt8]?
        for _ in 0..<Self.maxPages {
            let response = try await send(
                operation: operation, method: .GET, path: path, query: items(offset, Self.pageSize), body: [])
            // A server that ignores `offset` sends the same full page forever; stop at once, loudly.
            if response.body == previousBody {
                throw RDSError(
                    operation: operation, errorClass: .transient, status: response.status,
                    message: "the page at offset \(offset) repeats the previous one; the server ignores offset",
                    requestID: response.requestID)
            }
            previousBody = response.body
            let page = try response.decodeJSON(Page.self, operation: operation)
            let (pageItems, total) = decode(page)
            all.append(contentsOf: pageItems)
            offset += pageItems.count
            if pageItems.count < Self.pageSize { return all }
            if let total, offset >= total { return all }
        }
        throw RDSError(
            operation: operation, errorClass: .transient,
            message: "the listing did not end after \(Self.maxPages) pages")
    }

    /// Sends one call; re-authenticates once if the token is refused; maps failures to `RDSError`.
    func send(
        operation: String, method: HTTPMethod, path: String, query: [(name: String, value: String)], body: [UInt8]
    ) async throws -> HTTPResponseData {
        switch authenticator {
        case .keys(let provider):
            var retriedKeys = false
            while true {
                let signing = try await provider.signing(operation: operation)
                let root = try resolveRoot(projectID: signing.projectID, catalogURL: signing.catalogRDS)
                do {
                    return try await exchange(
                        operation: operation, method: method, root: root, path: path, query: query, body: body
                    ) { headers, fullPath in
                        headers.append(("X-Project-Id", signing.projectID))
                        if let token = signing.keys.securityToken { headers.append(("X-Security-Token", token.reveal())) }
                        let signer = SDKSigner(accessKey: signing.keys.accessKey, secretKey: signing.keys.secretKey)
                        headers += signer.sign(
                            method: method.rawValue, path: fullPath, query: query, headers: headers, body: body, date: self.now())
                    }
                } catch var error as RDSError where error.errorClass == .auth && error.status == 401 {
                    // Expired temporary keys: read their source again (agency: the metadata service).
                    let (retry, explanation) = await provider.refused(signing.keys, status: error.status)
                    if retry && !retriedKeys {
                        retriedKeys = true
                        logger.info("access keys refused, using the renewed ones", metadata: ["RDS_ERROR_CODE": "\(error.code ?? "-")"])
                        continue
                    }
                    if !explanation.isEmpty { error.message += "; " + explanation }
                    throw error
                }
            }
        case .token(let provider):
            var retriedAuthentication = false
            while true {
                let token = try await provider.token()
                let root = try resolveRoot(projectID: token.projectID, catalog: token.catalog)
                do {
                    return try await exchange(
                        operation: operation, method: method, root: root, path: path, query: query, body: body
                    ) { headers, _ in
                        headers.append(("X-Auth-Token", token.value.reveal()))
                    }
                } catch let error as RDSError where error.errorClass == .auth && !retriedAuthentication {
                    retriedAuthentication = true
                    logger.info("token refused, authenticating again", metadata: ["RDS_ERROR_CODE": "\(error.code ?? "-")"])
                    await provider.invalidate(token)
                }
            }
        }
    }

    private func exchange(
        operation: String, method: HTTPMethod, root: ServiceRoot, path: String, query: [(name: String, value: String)],
        body: [UInt8], authorize: (inout [(name: String, value: String)], String) -> Void
    ) async throws -> HTTPResponseData {
        let fullPath = root.base.path + "/" + path
        var url = root.base.appending(path: path)
        if !query.isEmpty { url += "?" + SDKSigner.canonicalQuery(query) }
        var headers: [(name: String, value: String)] = [
            ("Host", root.base.authority),
            ("Content-Type", "application/json"),
            ("X-Language", "en-us"),
        ]
        authorize(&headers, fullPath)
        let started = ContinuousClock.now
        let response: HTTPResponseData
        do {
            response = try await transport.send(HTTPRequestSpec(method: method, url: url, headers: headers, body: body))
        } catch {
            logger.debug("request failed", metadata: ["method": "\(method.rawValue)", "path": "\(fullPath)", "error": "\(error.message)"])
            throw RDSError(
                operation: operation, errorClass: error.errorClass,
                message: error.message, mayHaveTakenEffect: error.mayHaveReachedServer && method != .GET)
        }
        let requestID = response.requestID
        logger.debug(
            "request answered",
            metadata: [
                "method": "\(method.rawValue)", "path": "\(fullPath)", "status": "\(response.status)",
                "RDS_REQUEST_ID": "\(requestID ?? "-")", "elapsed": "\(ContinuousClock.now - started)",
            ])
        guard (200..<300).contains(response.status) else {
            let parsed = APIErrorBody.parse(response.body, status: response.status)
            let errorClass = ErrorClassifier.classify(status: response.status, code: parsed.code, message: parsed.message)
            throw RDSError(
                operation: operation, errorClass: errorClass, status: response.status, code: parsed.code,
                message: parsed.message, requestID: parsed.requestID ?? requestID,
                retryAfter: RetryAfter.parse(response.headers.first(name: "Retry-After"), now: now()))
        }
        return response
    }

    private func resolveRoot(projectID: String, catalog: [CatalogEntry]) throws(ClientConfigurationError) -> ServiceRoot {
        try resolveRoot(projectID: projectID, catalogURL: CatalogEntry.rdsURL(in: catalog, region: profile.region))
    }

    private func resolveRoot(projectID: String, catalogURL: String?) throws(ClientConfigurationError) -> ServiceRoot {
        if let endpoint = profile.endpoint {
            return try ServiceRoot(rdsURL: endpoint, projectID: projectID, purpose: "endpoint")
        }
        if let fromCatalog = catalogURL {
            return try ServiceRoot(rdsURL: fromCatalog, projectID: projectID, purpose: "catalog rdsv3 endpoint")
        }
        guard let entry = RegionTable.entries[profile.region] else {
            throw RegionTable.unknownRegion(profile.region, what: "endpoint")
        }
        return try ServiceRoot(rdsURL: entry.rds, projectID: projectID, purpose: "endpoint")
    }
}
