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

/// Temporary access keys from the ECS metadata service of a host with an IAM agency: nothing
/// secret on disk; the keys are fetched, and fetched again before they expire.
public struct AgencyCredentials: Sendable, Hashable, CustomStringConvertible {
    /// The metadata service's security-key URL; on OTC `http://169.254.169.254/openstack/latest/securitykey`.
    public var metadataURL: String

    public static let defaultMetadataURL = "http://169.254.169.254/openstack/latest/securitykey"

    public init(metadataURL: String = AgencyCredentials.defaultMetadataURL) {
        self.metadataURL = metadataURL
    }

    public var description: String { "agency keys from \(metadataURL)" }
}

/// How the client proves who it is.
public enum Credentials: Sendable, Hashable, CustomStringConvertible {
    case password(PasswordCredentials)
    case accessKey(AccessKeyCredentials)
    case agency(AgencyCredentials)

    public var description: String {
        switch self {
        case .password(let p): p.description
        case .accessKey(let k): k.description
        case .agency(let a): a.description
        }
    }

    /// The method in one word, as `check-config --online` prints it.
    public var method: String {
        switch self {
        case .password: "password"
        case .accessKey(let keys): keys.securityToken == nil ? "access keys" : "temporary keys"
        case .agency: "agency"
        }
    }
}

/// Where a profile's settings came from, for `check-config --online` and for re-reading the
/// credentials when they are refused or expire. Holds no secret.
public struct ProfileOrigin: Sendable, Hashable {
    /// The credential source in words, e.g. `clouds.yaml cloud 'otc' (/etc/openstack/clouds.yaml)`.
    public var source: String
    /// Where the IAM URL came from: `setting`, `profile otc`, or `region table`.
    public var authURLFrom: String
    /// Where the region came from: `setting`, `project name`, `profile otc`.
    public var regionFrom: String
    /// Choices a user may not expect (e.g. access keys present but not used).
    public var notes: [String]
    /// How to read the same source again; nil when it cannot change (the process environment).
    public var reread: CredentialReread?

    public init(
        source: String = "given", authURLFrom: String = "setting", regionFrom: String = "setting", notes: [String] = [],
        reread: CredentialReread? = nil
    ) {
        self.source = source
        self.authURLFrom = authURLFrom
        self.regionFrom = regionFrom
        self.notes = notes
        self.reread = reread
    }
}

/// Reads a profile's credential source again (files an external rotator may have replaced).
/// Keeps the loader's environment, which may hold secrets: it never prints or dumps it.
public struct CredentialReread: Sendable, Hashable, CustomStringConvertible, CustomReflectable {
    let source: AuthSource
    let overrides: ProfileOverrides
    let environment: [String: String]
    let homeDirectory: String?
    let currentDirectory: String

    /// The profile as the source says now.
    public func load() throws(ClientConfigurationError) -> CloudProfile {
        try CredentialLoader(environment: environment, homeDirectory: homeDirectory, currentDirectory: currentDirectory)
            .load(source, overrides: overrides)
    }

    public var description: String { "re-read \(source)" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
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
    /// Where the settings came from (and how to read them again).
    public var origin: ProfileOrigin = ProfileOrigin()
    /// After IAM refuses these credentials, they are presented again only when they change, on a
    /// reload, or after this long (never less than 15 minutes: OTC locks a user after 5 failed
    /// logins in 15 minutes).
    public var refusalCooldown: Duration = RefusalCooldown.defaultValue

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
