import Foundation

/// `POST /v3/auth/tokens`: IAM password authentication (docs/rds-api.md §7.1).
enum TokenRoute {
    static func issue(_ state: inout SimState, _ exchange: Exchange) -> SimResponse {
        state.setAuth(.password, at: exchange.plan.index)
        let config = state.configuration
        let unauthorized = SimResponse.keystoneError(
            401, "The request you have made requires authentication.", "Unauthorized")

        guard let request = try? JSONDecoder().decode(IAMWire.TokenRequest.self, from: Data(exchange.request.body)) else {
            return .keystoneError(400, "The request body is malformed: expecting auth.identity.", "Bad Request")
        }
        let identity = request.auth.identity
        guard identity.methods.contains("password"), let password = identity.password else {
            return .keystoneError(400, "Only the password method is supported here.", "Bad Request")
        }
        let user = password.user
        let domainMatches =
            user.domain.map { ($0.name == nil || $0.name == config.domainName) && ($0.id == nil || $0.id == config.domainID) }
            ?? false
        // IAM's login policy: too many refused passwords lock the user, right password or not.
        let recentFailures = (state.failedLogins[user.name ?? ""] ?? []).filter {
            exchange.now.timeIntervalSince($0) < config.lockoutWindow
        }
        if recentFailures.count >= config.lockoutThreshold {
            return .iamError(401, "IAM.0061", "The account is locked.")
        }
        guard domainMatches, let name = user.name,
            let known = config.users.first(where: { $0.name == name }),
            known.password.reveal() == user.password
        else {
            state.failedLogins[user.name ?? "", default: []] = recentFailures + [exchange.now]
            return unauthorized
        }

        // Project scope wins over domain scope (IAM-DOC); no scope gives an unscoped token.
        var projectID: String?
        var domainScoped = false
        if let project = request.auth.scope?.project {
            guard project.id == config.projectID || (project.id == nil && project.name == config.projectName) else {
                return unauthorized
            }
            projectID = config.projectID
        } else if let domain = request.auth.scope?.domain {
            guard domain.name == config.domainName || domain.id == config.domainID else { return unauthorized }
            domainScoped = true
        }

        let token = RandomID.token()
        let expiresAt = exchange.now.addingTimeInterval(config.tokenLifetime)
        state.tokens[token] = TokenRecord(
            userName: name, projectID: projectID, issuedAt: exchange.now, expiresAt: expiresAt)
        state.tokensIssued += 1

        let domain = IAMWire.Ref(id: config.domainID, name: config.domainName)
        let withCatalog = exchange.request.queryValue("nocatalog") == nil && (projectID != nil || domainScoped)
        let body = IAMWire.TokenResponse(
            token: IAMWire.Token(
                expires_at: TimeFormat.keystone(expiresAt),
                issued_at: TimeFormat.keystone(exchange.now),
                methods: ["password"],
                user: IAMWire.User(
                    domain: domain, id: stableID("user", name), name: name, password_expires_at: ""),
                project: projectID.map { IAMWire.Project(domain: domain, id: $0, name: config.projectName) },
                domain: domainScoped ? domain : nil,
                roles: [IAMWire.Ref(id: stableID("role", "te_admin"), name: "te_admin")],
                catalog: withCatalog ? catalog(config, baseURL: exchange.baseURL) : nil))
        return .json(201, body, headers: [(name: "X-Subject-Token", value: token)])
    }

    /// `GET /v3`: the version document keystone (and OTC IAM) answers, so discovery succeeds.
    static func version(_ exchange: Exchange) -> SimResponse {
        .json(
            200,
            IAMWire.VersionResponse(
                version: .init(
                    id: "v3.6", status: "stable", updated: "2016-04-04T00:00:00Z",
                    links: [.init(rel: "self", href: "\(exchange.baseURL)/v3/")],
                    media_types: [.init(base: "application/json", type: "application/vnd.openstack.identity-v3+json")])))
    }

    /// `rdsv3` with the project id already substituted (keystone fills `$(tenant_id)s`), and identity.
    static func catalog(_ config: SimulatorConfiguration, baseURL: String) -> [IAMWire.CatalogEntry] {
        func endpoint(_ url: String, _ kind: String) -> IAMWire.Endpoint {
            IAMWire.Endpoint(
                id: stableID("endpoint", kind), interface: "public", region: config.region, region_id: config.region,
                url: url)
        }
        return [
            IAMWire.CatalogEntry(
                endpoints: [endpoint("\(baseURL)/v3/\(config.projectID)", "rdsv3")], id: stableID("service", "rdsv3"),
                name: "rdsv3", type: "rdsv3"),
            IAMWire.CatalogEntry(
                endpoints: [endpoint("\(baseURL)/v3", "identity")], id: stableID("service", "identity"),
                name: "keystone", type: "identity"),
        ]
    }

    /// A 32-hex id that is the same on every run for the same input (no secret goes in).
    static func stableID(_ kind: String, _ value: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var out = ""
        for round in 0..<2 {
            for byte in Array("\(kind):\(value):\(round)".utf8) {
                hash ^= UInt64(byte)
                hash = hash &* 0x100_0000_01b3
            }
            let hex = String(hash, radix: 16)
            out += String(repeating: "0", count: 16 - hex.count) + hex
        }
        return out
    }
}
