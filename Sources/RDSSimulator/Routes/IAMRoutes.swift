import Foundation
import RDSClient

/// IAM's routes for access-key clients, and the ECS metadata service's agency keys.
///
/// - `GET /v3/projects?name=NAME` → `{"projects":[{id,name,domain_id,enabled}],"links":{…}}`
///   (keystone's list; gophertelekomcloud resolves a project name this way with AK/SK);
/// - `GET /v3/auth/catalog` → `{"catalog":[…],"links":{…}}`, the token catalog's entries;
/// - `GET /openstack/latest/securitykey` → `{"credential":{access,secret,securitytoken,expires_at}}`
///   (OTC ECS user guide, "Obtaining Metadata"): a new pair is issued `renewAhead` before the
///   current one expires; both stay valid until their own expiry.
enum IAMRoutes {
    struct ProjectList: Encodable {
        struct Project: Encodable {
            var id: String
            var name: String
            var domain_id: String
            var enabled: Bool
        }
        struct Links: Encodable { var `self`: String }
        var projects: [Project]
        var links: Links
    }

    struct CatalogList: Encodable {
        struct Links: Encodable { var `self`: String }
        var catalog: [IAMWire.CatalogEntry]
        var links: Links
    }

    struct SecurityKey: Encodable {
        struct Credential: Encodable {
            var access: String
            var secret: String
            var securitytoken: String
            var expires_at: String
        }
        var credential: Credential
    }

    static func projects(_ state: inout SimState, _ exchange: Exchange) -> SimResponse {
        let config = state.configuration
        let name = exchange.request.queryValue("name")
        let all = [
            ProjectList.Project(id: config.projectID, name: config.projectName, domain_id: config.domainID, enabled: true)
        ]
        return .json(
            200,
            ProjectList(
                projects: all.filter { name == nil || $0.name == name },
                links: .init(self: "\(exchange.baseURL)/v3/projects")))
    }

    static func catalog(_ state: inout SimState, _ exchange: Exchange) -> SimResponse {
        .json(
            200,
            CatalogList(
                catalog: TokenRoute.catalog(state.configuration, baseURL: exchange.baseURL),
                links: .init(self: "\(exchange.baseURL)/v3/auth/catalog")))
    }

    static func securityKey(_ state: inout SimState, _ exchange: Exchange) -> SimResponse {
        guard let agency = state.configuration.agency, agency.lifetime > agency.renewAhead else {
            return SimResponse(status: 404, headers: [], body: Array("404 Not Found".utf8))
        }
        // Pair k is issued at k * period and expires at k * period + lifetime.
        let period = agency.lifetime - agency.renewAhead
        let k = Int((exchange.now.timeIntervalSince1970 / period).rounded(.down))
        let issued = Date(timeIntervalSince1970: Double(k) * period)
        let pair = state.agencyPairs[k] ?? SimulatorConfiguration.AccessKey(
            accessKey: "AGENCYAK" + String(format: "%012d", k), secretKey: Secret(RandomID.token()),
            securityToken: Secret(RandomID.token()), expiresAt: issued.addingTimeInterval(agency.lifetime))
        state.agencyPairs[k] = pair
        return .json(
            200,
            SecurityKey(
                credential: .init(
                    access: pair.accessKey, secret: pair.secretKey.reveal(), securitytoken: pair.securityToken?.reveal() ?? "",
                    expires_at: TimeFormat.keystone(pair.expiresAt ?? issued))))
    }
}
