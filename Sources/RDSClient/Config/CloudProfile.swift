/// Password credentials for an IAM token (docs/rds-api.md §7.1).
public struct PasswordCredentials: Sendable, Hashable, CustomStringConvertible {
    public var username: String
    public var password: Secret
    /// The account (domain) the user belongs to, e.g. `OTC00000000001000000xxx`.
    public var userDomainName: String?
    public var userDomainID: String?

    public init(username: String, password: Secret, userDomainName: String? = nil, userDomainID: String? = nil) {
        self.username = username
        self.password = password
        self.userDomainName = userDomainName
        self.userDomainID = userDomainID
    }

    public var description: String { "password credentials for user '\(username)'" }
}

/// An access key pair for SDK-HMAC-SHA256 signing (docs/rds-api.md §7.2); temporary keys carry a security token.
public struct AccessKeyCredentials: Sendable, Hashable, CustomStringConvertible {
    public var accessKey: String
    public var secretKey: Secret
    public var securityToken: Secret?

    public init(accessKey: String, secretKey: Secret, securityToken: Secret? = nil) {
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.securityToken = securityToken
    }

    public var description: String { "access key \(accessKey)" + (securityToken == nil ? "" : " (temporary)") }
}

/// How the client proves who it is.
public enum Credentials: Sendable, Hashable, CustomStringConvertible {
    case password(PasswordCredentials)
    case accessKey(AccessKeyCredentials)

    public var description: String {
        switch self {
        case .password(let p): p.description
        case .accessKey(let k): k.description
        }
    }
}

/// Everything needed to reach one cloud project: where, as whom, through which endpoints.
public struct CloudProfile: Sendable, Hashable, CustomStringConvertible {
    public var region: String
    public var projectID: String?
    /// Scope by name (`eu-de`, `eu-de_sub`) when no id is given; the token tells the id.
    public var projectName: String?
    /// IAM v3 base, e.g. `https://iam.eu-de.otc.t-systems.com/v3`; nil means the region table's.
    public var authURL: String?
    /// RDS base override, e.g. a private endpoint or a local simulator; nil means catalog, then region table.
    public var endpoint: String?
    public var credentials: Credentials
    /// Extra CA certificates (PEM) trusted besides the system's.
    public var caBundlePath: String?

    public init(
        region: String, projectID: String? = nil, projectName: String? = nil, authURL: String? = nil,
        endpoint: String? = nil, credentials: Credentials, caBundlePath: String? = nil
    ) {
        self.region = region
        self.projectID = projectID
        self.projectName = projectName
        self.authURL = authURL
        self.endpoint = endpoint
        self.credentials = credentials
        self.caBundlePath = caBundlePath
    }

    public var description: String {
        let project = projectID ?? projectName.map { "name \($0)" } ?? "?"
        return "region \(region), project \(project), \(credentials)"
    }
}

/// A problem with the client's settings, found before anything is sent.
public struct ClientConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
