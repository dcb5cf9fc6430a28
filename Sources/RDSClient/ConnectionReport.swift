import Foundation

/// What a client chose for one cloud, as `check-config --online` prints it: the credential
/// source and method, the project, and the IAM and RDS endpoints with where each came from.
/// Holds no secret.
public struct ConnectionReport: Sendable, Hashable, Codable {
    /// e.g. `clouds.yaml cloud 'otc' (/etc/openstack/clouds.yaml)`, `environment`, `agency (ECS metadata)`.
    public var source: String
    /// `password`, `access keys`, `temporary keys` or `agency`.
    public var method: String
    public var projectName: String?
    public var projectID: String
    public var region: String
    public var regionFrom: String
    /// nil when no IAM URL is used (access keys with a project id and a fixed endpoint).
    public var iamEndpoint: String?
    /// `setting`, `profile otc` or `region table`.
    public var iamEndpointFrom: String
    public var rdsEndpoint: String
    /// `setting`, `catalog` or `region table` (with why the catalog was not used).
    public var rdsEndpointFrom: String
    /// Choices the user may not expect (e.g. access keys present but not used).
    public var notes: [String]

    enum CodingKeys: String, CodingKey {
        case source, method, region, notes
        case projectName = "project_name"
        case projectID = "project_id"
        case regionFrom = "region_from"
        case iamEndpoint = "iam_endpoint"
        case iamEndpointFrom = "iam_endpoint_from"
        case rdsEndpoint = "rds_endpoint"
        case rdsEndpointFrom = "rds_endpoint_from"
    }

    /// Indented lines for a terminal.
    public var lines: [String] {
        var lines = [
            "credentials: \(method) from \(source)",
            "project: \(projectName.map { "\($0) " } ?? "")(\(projectID)), region \(region) (from \(regionFrom))",
            "IAM: \(iamEndpoint ?? "not used") (from \(iamEndpointFrom))",
            "RDS: \(rdsEndpoint) (from \(rdsEndpointFrom))",
        ]
        lines += notes.map { "note: \($0)" }
        return lines
    }
}

extension RDSAPIClient {
    /// Authenticates (or resolves the keys' project and catalog) and says what was chosen.
    public func describeConnection() async throws -> ConnectionReport {
        let root = try await serviceRoot()
        let credentials = credentialGate.credentials
        var projectName = profile.projectName
        let rdsFrom: String
        switch authenticator {
        case .token(let provider):
            let token = try await provider.token()
            projectName = token.projectName ?? projectName
            if profile.endpoint != nil {
                rdsFrom = "setting"
            } else if CatalogEntry.rdsURL(in: token.catalog, region: profile.region) != nil {
                rdsFrom = "catalog"
            } else {
                rdsFrom = "region table (the token's catalog has no rdsv3 endpoint for \(profile.region))"
            }
        case .keys(let provider):
            if profile.endpoint != nil {
                rdsFrom = "setting"
            } else {
                let outcome = await provider.catalogOutcome
                rdsFrom = outcome == "catalog" ? "catalog" : "region table (\(outcome))"
            }
        }
        let host = root.base.description
        let rdsEndpoint = host.hasSuffix("/v3/\(root.projectID)") ? String(host.dropLast("/v3/\(root.projectID)".count)) : host
        return ConnectionReport(
            source: profile.origin.source, method: credentials.method, projectName: projectName, projectID: root.projectID,
            region: profile.region, regionFrom: profile.origin.regionFrom, iamEndpoint: iamURL?.description,
            iamEndpointFrom: iamURL == nil ? "none" : profile.origin.authURLFrom, rdsEndpoint: rdsEndpoint,
            rdsEndpointFrom: rdsFrom, notes: profile.origin.notes)
    }
}
