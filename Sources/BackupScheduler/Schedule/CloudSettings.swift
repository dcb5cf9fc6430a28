import RDSClient

/// How to reach one OTC project in one region: `cloud:` or one of `clouds:` in the schedule file.
public struct CloudSettings: Sendable, Hashable {
    /// The name under `clouds:`, or `default` for a single `cloud:`.
    public var name: String
    /// The region, e.g. `eu-de`.
    public var region: String
    /// The project, by id or by name.
    public var project: ProjectScope
    /// Where credentials come from.
    public var auth: AuthSource
    /// An IAM endpoint override, e.g. a private endpoint or a local simulator.
    public var authURL: String?
    /// An RDS endpoint override.
    public var endpoint: String?
    /// API calls in flight at once, all entries together (default 4).
    public var maxConcurrent: Int
    /// Token-bucket rate in front of every API call (default 5 per second).
    public var requestsPerSecond: Double
    /// A PEM bundle of extra trusted CAs, for private endpoints.
    public var caBundle: String?

    public static let defaultName = "default"
    public static let defaultMaxConcurrent = 4
    public static let defaultRequestsPerSecond = 5.0

    public init(
        name: String, region: String, project: ProjectScope, auth: AuthSource, authURL: String? = nil,
        endpoint: String? = nil, maxConcurrent: Int = CloudSettings.defaultMaxConcurrent,
        requestsPerSecond: Double = CloudSettings.defaultRequestsPerSecond, caBundle: String? = nil
    ) {
        self.name = name
        self.region = region
        self.project = project
        self.auth = auth
        self.authURL = authURL
        self.endpoint = endpoint
        self.maxConcurrent = maxConcurrent
        self.requestsPerSecond = requestsPerSecond
        self.caBundle = caBundle
    }
}

/// The project a cloud's calls are scoped to.
public enum ProjectScope: Sendable, Hashable {
    case id(String)
    case name(String)
}
