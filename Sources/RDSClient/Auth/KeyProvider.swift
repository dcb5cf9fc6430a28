import Foundation
import Logging

/// Access keys for SDK-HMAC-SHA256 signing, and what they need from IAM.
///
/// - Fixed keys are used as given; temporary keys (with a security token) are read again from
///   their source when the API refuses them, so an external rotator can replace the files.
/// - Agency keys come from the ECS metadata service and are fetched again before they expire.
/// - A project given by name is resolved through IAM (`GET /v3/projects?name=`), and the RDS
///   endpoint is looked up in IAM's catalog (`GET /v3/auth/catalog`), both signed with the keys,
///   as gophertelekomcloud does (docs/api-notes.md); the region table is the fallback.
actor KeyProvider {
    /// What a signed call needs.
    struct Signing: Sendable {
        var keys: AccessKeyCredentials
        var projectID: String
        /// The `rdsv3` URL of IAM's catalog, when it has one.
        var catalogRDS: String?
    }

    let gate: CredentialGate
    let iamURL: EndpointURL?
    let region: String
    let projectName: String?
    let wantsCatalog: Bool
    let transport: HTTPTransport
    let now: @Sendable () -> Date
    let logger: Logger
    /// Agency keys are fetched again when less than this remains (the platform renews them 10
    /// minutes ahead, so a fetch 5 minutes ahead finds the new pair).
    static let agencyRenewMargin: TimeInterval = 5 * 60

    private var projectID: String?
    private var agencyCache: (keys: AccessKeyCredentials, expiresAt: Date, nextFetch: Date)?
    private var catalog: (url: String?, at: Date)?
    /// Where the RDS endpoint of the last resolution came from.
    private(set) var catalogOutcome = "not asked yet"

    init(
        gate: CredentialGate, iamURL: EndpointURL?, region: String, projectID: String?, projectName: String?,
        wantsCatalog: Bool, transport: HTTPTransport, now: @escaping @Sendable () -> Date, logger: Logger
    ) {
        self.gate = gate
        self.iamURL = iamURL
        self.region = region
        self.projectID = projectID
        self.projectName = projectName
        self.wantsCatalog = wantsCatalog
        self.transport = transport
        self.now = now
        self.logger = logger
    }

    /// Keys, project and catalog endpoint for one call.
    func signing(operation: String) async throws -> Signing {
        let keys = try await currentKeys(operation: operation)
        let project = try await resolveProject(keys: keys, operation: operation)
        var catalogURL: String?
        if wantsCatalog { catalogURL = await catalogRDS(keys: keys, projectID: project) }
        return Signing(keys: keys, projectID: project, catalogRDS: catalogURL)
    }

    /// The API refused `keys`. Returns true when new keys are at hand (retry once), false when
    /// the same keys would be presented again: then the gate closes for them.
    func refused(_ keys: AccessKeyCredentials, status: Int?) async -> (retry: Bool, explanation: String) {
        let credentials = gate.credentials
        if case .agency(let agency) = credentials {
            agencyCache = nil
            if let fresh = try? await fetchAgencyKeys(agency, operation: "renew agency keys"), fresh != keys {
                return (true, "")
            }
            gate.refused(credentials, reason: "agency keys refused")
            return (false, "the agency keys from \(agency.metadataURL) were refused and the metadata service has no newer ones")
        }
        if gate.renewFromSource() != nil { return (true, "") }
        let temporary = keys.securityToken != nil
        let reread = gate.canReread ? "read again from their source: unchanged" : "their source (the environment) cannot change while running"
        gate.refused(credentials, reason: temporary ? "temporary keys expired or refused" : "access key refused")
        return (
            false,
            temporary
                ? "the temporary access keys expired or were refused; \(reread); replace them (with a new security token)"
                : "the access keys were refused; \(reread)"
        )
    }

    /// The project the keys act in (resolved once).
    var resolvedProjectID: String? { projectID }

    // MARK: - Keys

    private func currentKeys(operation: String) async throws -> AccessKeyCredentials {
        switch try gate.admit(operation: operation) {
        case .accessKey(let keys):
            return keys
        case .agency(let agency):
            if let cached = agencyCache, now() < cached.nextFetch { return cached.keys }
            return try await fetchAgencyKeys(agency, operation: operation)
        case .password:
            throw RDSError(operation: operation, errorClass: .permanent, message: "password credentials cannot sign requests")
        }
    }

    private func fetchAgencyKeys(_ agency: AgencyCredentials, operation: String) async throws -> AccessKeyCredentials {
        let fetched = try await AgencyMetadata.fetch(url: agency.metadataURL, transport: transport, operation: operation)
        let current = now()
        // Fetch again 5 minutes before expiry; if the platform has not renewed yet, a minute later.
        let renewAt = fetched.expiresAt.addingTimeInterval(-Self.agencyRenewMargin)
        let nextFetch = renewAt > current ? renewAt : min(current.addingTimeInterval(60), fetched.expiresAt)
        agencyCache = (fetched.keys, fetched.expiresAt, nextFetch)
        logger.debug(
            "agency keys fetched",
            metadata: ["expires_at": "\(fetched.expiresAt)", "access_key": "\(fetched.keys.accessKey)"])
        return fetched.keys
    }

    // MARK: - IAM with access keys

    private func resolveProject(keys: AccessKeyCredentials, operation: String) async throws -> String {
        if let projectID { return projectID }
        guard let name = projectName, let iamURL else {
            throw RDSError(
                operation: operation, errorClass: .permanent,
                message: "access-key signing needs the project id, or its name and an IAM URL to look it up")
        }
        struct Page: Decodable {
            struct Project: Decodable { var id: String; var name: String }
            var projects: [Project]
        }
        let lookup = "look up project '\(name)' in IAM"
        let response = try await signedIAM(
            keys: keys, url: iamURL, path: "projects", query: [("name", name)], projectID: nil, operation: lookup)
        let page = try response.decodeJSON(Page.self, operation: lookup, what: "the project list")
        guard let found = page.projects.first(where: { $0.name == name }) else {
            throw RDSError(
                operation: lookup, errorClass: .permanent, status: response.status,
                message: "IAM knows no project named '\(name)' for these keys; check project_name (e.g. eu-de or eu-de_subproject)")
        }
        projectID = found.id
        return found.id
    }

    /// The catalog's `rdsv3` URL; asked once (again an hour after a failure), never fatal.
    private func catalogRDS(keys: AccessKeyCredentials, projectID: String) async -> String? {
        if let catalog, catalog.url != nil || now().timeIntervalSince(catalog.at) < 3600 { return catalog.url }
        guard let iamURL else {
            catalogOutcome = "no IAM URL to ask"
            catalog = (nil, now())
            return nil
        }
        struct Envelope: Decodable { var catalog: [CatalogEntry] }
        do {
            let response = try await signedIAM(
                keys: keys, url: iamURL, path: "auth/catalog", query: [], projectID: projectID, operation: "read IAM's catalog")
            let entries = try JSONDecoder().decode(Envelope.self, from: Data(response.body)).catalog
            let url = CatalogEntry.rdsURL(in: entries, region: region)
            catalogOutcome = url == nil ? "the catalog has no rdsv3 endpoint for \(region)" : "catalog"
            catalog = (url, now())
            return url
        } catch {
            catalogOutcome = "catalog unavailable (\(error))"
            logger.info("IAM's catalog could not be read; using the region table", metadata: ["error": "\(error)"])
            catalog = (nil, now())
            return nil
        }
    }

    private func signedIAM(
        keys: AccessKeyCredentials, url: EndpointURL, path: String, query: [(name: String, value: String)],
        projectID: String?, operation: String
    ) async throws -> HTTPResponseData {
        var headers: [(name: String, value: String)] = [
            ("Host", url.authority), ("Content-Type", "application/json"), ("Accept", "application/json"),
        ]
        if let projectID { headers.append(("X-Project-Id", projectID)) }
        if let token = keys.securityToken { headers.append(("X-Security-Token", token.reveal())) }
        let fullPath = url.path + "/" + path
        let signer = SDKSigner(accessKey: keys.accessKey, secretKey: keys.secretKey)
        headers += signer.sign(method: "GET", path: fullPath, query: query, headers: headers, body: [], date: now())
        var target = url.appending(path: path)
        if !query.isEmpty { target += "?" + SDKSigner.canonicalQuery(query) }
        let response: HTTPResponseData
        do {
            response = try await transport.send(HTTPRequestSpec(method: .GET, url: target, headers: headers))
        } catch {
            throw RDSError(
                operation: operation, errorClass: error.errorClass,
                message: "\(error.message) (\(url))")
        }
        guard (200..<300).contains(response.status) else {
            let parsed = APIErrorBody.parse(response.body, status: response.status)
            let errorClass = ErrorClassifier.classify(status: response.status, code: parsed.code, message: parsed.message)
            if errorClass == .auth || response.status == 403 {
                let credentials = gate.credentials
                gate.refused(credentials, reason: "HTTP \(response.status) from IAM")
            }
            throw RDSError(
                operation: operation, errorClass: response.status == 403 ? .auth : errorClass, status: response.status,
                code: parsed.code, message: parsed.message, requestID: parsed.requestID ?? response.requestID)
        }
        return response
    }
}

/// The ECS metadata service's security key (OTC ECS user guide, "Obtaining Metadata").
enum AgencyMetadata {
    struct Fetched {
        var keys: AccessKeyCredentials
        var expiresAt: Date
    }

    static func fetch(url: String, transport: HTTPTransport, operation: String) async throws -> Fetched {
        let response: HTTPResponseData
        do {
            response = try await transport.send(
                HTTPRequestSpec(method: .GET, url: url, headers: [("Accept", "application/json")]))
        } catch {
            throw RDSError(
                operation: operation, errorClass: .transient,
                message: "the metadata service \(url) did not answer: \(error.message); agency credentials need an ECS with an IAM agency")
        }
        guard response.status == 200 else {
            // 404: the host has no agency. Nothing to retry until someone assigns one.
            throw RDSError(
                operation: operation, errorClass: response.status == 404 ? .auth : .transient, status: response.status,
                message: "the metadata service \(url) gave no security key (HTTP \(response.status)); is an IAM agency assigned to this ECS?")
        }
        struct Envelope: Decodable {
            struct Credential: Decodable {
                var access: String
                var secret: String
                var securitytoken: String
                var expires_at: String
            }
            var credential: Credential
        }
        let envelope = try response.decodeJSON(Envelope.self, operation: operation, what: "the metadata service's security key")
        guard let expiresAt = APITime.parse(envelope.credential.expires_at) else {
            throw RDSError(
                operation: operation, errorClass: .transient, status: response.status,
                message: "the security key's expires_at is not a time")
        }
        return Fetched(
            keys: AccessKeyCredentials(
                accessKey: envelope.credential.access, secretKey: Secret(envelope.credential.secret),
                securityToken: Secret(envelope.credential.securitytoken)),
            expiresAt: expiresAt)
    }
}
