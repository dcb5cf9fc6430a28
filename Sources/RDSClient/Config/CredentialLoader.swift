import Foundation
import Yams

/// Where a cloud's credentials come from (the schedule's `auth:` key, or the command line).
public enum AuthSource: Sendable, Hashable, CustomStringConvertible {
    /// `OS_*` environment variables, as `openstack` reads them.
    case environment
    /// A named cloud in `clouds.yaml` (OpenStack search path; `$CREDENTIALS_DIRECTORY` first).
    case cloudsYAML(cloud: String)
    /// `$CREDENTIALS_DIRECTORY` (systemd `LoadCredential=`): one file per `OS_*` variable.
    case credentialsDirectory

    /// Parses the schedule spelling: `env`, `credentials`, `clouds.yaml:NAME`.
    public init(parsing text: String) throws(ClientConfigurationError) {
        switch text {
        case "env", "environment": self = .environment
        case "credentials": self = .credentialsDirectory
        default:
            let prefix = "clouds.yaml:"
            guard text.hasPrefix(prefix), text.count > prefix.count else {
                throw ClientConfigurationError(
                    "auth '\(text)' is not known; use \"env\", \"credentials\" or \"clouds.yaml:CLOUD\"")
            }
            self = .cloudsYAML(cloud: String(text.dropFirst(prefix.count)))
        }
    }

    public var description: String {
        switch self {
        case .environment: "env"
        case .cloudsYAML(let cloud): "clouds.yaml:\(cloud)"
        case .credentialsDirectory: "credentials"
        }
    }
}

/// Settings that win over whatever the credential source says (schedule file or command line).
public struct ProfileOverrides: Sendable, Hashable {
    public var region: String?
    public var projectID: String?
    public var projectName: String?
    public var authURL: String?
    public var endpoint: String?
    public var caBundlePath: String?

    public init(
        region: String? = nil, projectID: String? = nil, projectName: String? = nil, authURL: String? = nil,
        endpoint: String? = nil, caBundlePath: String? = nil
    ) {
        self.region = region
        self.projectID = projectID
        self.projectName = projectName
        self.authURL = authURL
        self.endpoint = endpoint
        self.caBundlePath = caBundlePath
    }
}

/// Builds a `CloudProfile` from the OpenStack conventions OTC users already have.
///
/// Errors name the missing variable or key, never a secret's value.
public struct CredentialLoader: Sendable {
    public var environment: [String: String]
    /// Home directory, for `~/.config/openstack/clouds.yaml`.
    public var homeDirectory: String?
    public var currentDirectory: String

    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        homeDirectory: String? = ProcessInfo.processInfo.environment["HOME"],
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) {
        self.environment = environment
        self.homeDirectory = homeDirectory
        self.currentDirectory = currentDirectory
    }

    /// Loads the profile for `source`, then applies `overrides`.
    public func load(_ source: AuthSource, overrides: ProfileOverrides = .init()) throws(ClientConfigurationError)
        -> CloudProfile
    {
        let settings: Settings
        switch source {
        case .environment:
            settings = Settings(variables: environment, origin: "environment")
        case .credentialsDirectory:
            settings = Settings(variables: try credentialsDirectoryVariables(), origin: "credentials directory")
        case .cloudsYAML(let cloud):
            settings = try cloudsYAMLSettings(cloud: cloud)
        }
        return try settings.profile(overrides: overrides)
    }

    // MARK: - Sources

    /// `OS_*` variables of the process environment, overlaid with one file per variable from
    /// `$CREDENTIALS_DIRECTORY` (file name = variable name; a trailing newline is dropped).
    func credentialsDirectoryVariables() throws(ClientConfigurationError) -> [String: String] {
        guard let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty else {
            throw ClientConfigurationError(
                "auth \"credentials\" needs $CREDENTIALS_DIRECTORY (set by systemd's LoadCredential=); it is not set")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw ClientConfigurationError("cannot read the credentials directory \(directory): \(error.localizedDescription)")
        }
        var variables = environment
        for name in names where name.hasPrefix("OS_") {
            let path = directory + "/" + name
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
            else {
                throw ClientConfigurationError("cannot read credential \(name) in \(directory) as UTF-8 text")
            }
            variables[name] = text.hasSuffix("\r\n") ? String(text.dropLast(2)) : text.hasSuffix("\n") ? String(text.dropLast()) : text
        }
        return variables
    }

    /// The clouds.yaml search path: `$OS_CLIENT_CONFIG_FILE`, `$CREDENTIALS_DIRECTORY`, the current
    /// directory, `~/.config/openstack`, `/etc/openstack` — first file found wins.
    public func cloudsYAMLCandidates() -> [String] {
        var paths: [String] = []
        if let file = environment["OS_CLIENT_CONFIG_FILE"], !file.isEmpty { paths.append(file) }
        if let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty {
            paths.append(directory + "/clouds.yaml")
        }
        paths.append(currentDirectory + "/clouds.yaml")
        let configHome = environment["XDG_CONFIG_HOME"] ?? homeDirectory.map { $0 + "/.config" }
        if let configHome { paths.append(configHome + "/openstack/clouds.yaml") }
        paths.append("/etc/openstack/clouds.yaml")
        return paths
    }

    func cloudsYAMLSettings(cloud: String) throws(ClientConfigurationError) -> Settings {
        let candidates = cloudsYAMLCandidates()
        guard let path = candidates.first(where: { FileManager.default.isReadableFile(atPath: $0) }) else {
            throw ClientConfigurationError(
                "no clouds.yaml found for cloud '\(cloud)'; looked in: \(candidates.joined(separator: ", "))")
        }
        var cloudObject = try Self.cloud(named: cloud, inFile: path, required: true) ?? [:]
        // secure.yaml beside it holds the secrets, merged over clouds.yaml (OpenStack convention).
        let securePath = (path as NSString).deletingLastPathComponent + "/secure.yaml"
        if FileManager.default.isReadableFile(atPath: securePath),
            let secure = try Self.cloud(named: cloud, inFile: securePath, required: false)
        {
            cloudObject = Self.merge(cloudObject, secure)
        }
        let auth = cloudObject["auth"] as? [String: Any] ?? [:]
        func value(_ key: String, in object: [String: Any]) -> String? {
            switch object[key] {
            case let text as String: return text.isEmpty ? nil : text
            case let number as Int: return String(number)
            default: return nil
            }
        }
        var variables: [String: String] = [:]
        let authKeys: [(String, String)] = [
            ("auth_url", "OS_AUTH_URL"), ("username", "OS_USERNAME"), ("password", "OS_PASSWORD"),
            ("user_domain_name", "OS_USER_DOMAIN_NAME"), ("user_domain_id", "OS_USER_DOMAIN_ID"),
            ("domain_name", "OS_DOMAIN_NAME"), ("domain_id", "OS_DOMAIN_ID"),
            ("project_id", "OS_PROJECT_ID"), ("tenant_id", "OS_TENANT_ID"),
            ("project_name", "OS_PROJECT_NAME"), ("tenant_name", "OS_TENANT_NAME"),
            ("ak", "OS_ACCESS_KEY"), ("access_key", "OS_ACCESS_KEY"),
            ("sk", "OS_SECRET_KEY"), ("secret_key", "OS_SECRET_KEY"),
            ("security_token", "OS_SECURITY_TOKEN"),
        ]
        for (key, variable) in authKeys {
            if let found = value(key, in: auth) ?? value(key, in: cloudObject) { variables[variable] = found }
        }
        if let region = value("region_name", in: cloudObject) { variables["OS_REGION_NAME"] = region }
        if let cacert = value("cacert", in: cloudObject) { variables["OS_CACERT"] = cacert }
        if let endpoint = value("rds_endpoint_override", in: cloudObject) { variables["RDS_ENDPOINT"] = endpoint }
        return Settings(variables: variables, origin: "clouds.yaml cloud '\(cloud)' (\(path))")
    }

    static func cloud(named cloud: String, inFile path: String, required: Bool) throws(ClientConfigurationError)
        -> [String: Any]?
    {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ClientConfigurationError("cannot read \(path): \(error.localizedDescription)")
        }
        let root: Any?
        do {
            root = try Yams.load(yaml: text)
        } catch {
            // Yams' message quotes the offending line, which may hold a password: say only where.
            let location = (error as? YamlError).map(Self.location) ?? ""
            throw ClientConfigurationError("\(path)\(location): not valid YAML")
        }
        guard let clouds = (root as? [String: Any])?["clouds"] as? [String: Any] else {
            if required { throw ClientConfigurationError("\(path) has no top-level 'clouds:' map") }
            return nil
        }
        guard let object = clouds[cloud] as? [String: Any] else {
            if required {
                let known = clouds.keys.sorted().joined(separator: ", ")
                throw ClientConfigurationError("\(path) has no cloud '\(cloud)'; it has: \(known.isEmpty ? "none" : known)")
            }
            return nil
        }
        return object
    }

    static func location(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return ":\(mark.line):\(mark.column)"
        default:
            return ""
        }
    }

    static func merge(_ base: [String: Any], _ overlay: [String: Any]) -> [String: Any] {
        var result = base
        for (key, value) in overlay {
            if let inner = value as? [String: Any], let existing = result[key] as? [String: Any] {
                result[key] = merge(existing, inner)
            } else {
                result[key] = value
            }
        }
        return result
    }

    // MARK: - Variables to profile

    struct Settings {
        var variables: [String: String]
        var origin: String

        func get(_ names: String...) -> String? {
            for name in names {
                if let value = variables[name], !value.isEmpty { return value }
            }
            return nil
        }

        func profile(overrides: ProfileOverrides) throws(ClientConfigurationError) -> CloudProfile {
            guard let region = overrides.region ?? get("OS_REGION_NAME") else {
                throw ClientConfigurationError("\(origin): no region; set OS_REGION_NAME (clouds.yaml: region_name) or the schedule's region")
            }
            let credentials: Credentials
            if let accessKey = get("OS_ACCESS_KEY", "OS_AK") {
                guard let secretKey = get("OS_SECRET_KEY", "OS_SK") else {
                    throw ClientConfigurationError("\(origin): OS_ACCESS_KEY is set but OS_SECRET_KEY is missing")
                }
                credentials = .accessKey(
                    AccessKeyCredentials(
                        accessKey: accessKey, secretKey: Secret(secretKey),
                        securityToken: get("OS_SECURITY_TOKEN").map(Secret.init)))
            } else if let username = get("OS_USERNAME") {
                guard let password = get("OS_PASSWORD") else {
                    throw ClientConfigurationError("\(origin): OS_USERNAME is set but OS_PASSWORD is missing")
                }
                let domainName = get("OS_USER_DOMAIN_NAME", "OS_DOMAIN_NAME", "OS_PROJECT_DOMAIN_NAME")
                let domainID = get("OS_USER_DOMAIN_ID", "OS_DOMAIN_ID")
                guard domainName != nil || domainID != nil else {
                    throw ClientConfigurationError(
                        "\(origin): password authentication needs the user's domain (account): set OS_USER_DOMAIN_NAME or OS_DOMAIN_NAME (clouds.yaml: user_domain_name)")
                }
                credentials = .password(
                    PasswordCredentials(
                        username: username, password: Secret(password), userDomainName: domainName,
                        userDomainID: domainID))
            } else {
                throw ClientConfigurationError(
                    "\(origin): no credentials; set OS_USERNAME and OS_PASSWORD (with OS_USER_DOMAIN_NAME), or OS_ACCESS_KEY and OS_SECRET_KEY")
            }
            let projectID = overrides.projectID ?? get("OS_PROJECT_ID", "OS_TENANT_ID")
            let projectName = overrides.projectName ?? get("OS_PROJECT_NAME", "OS_TENANT_NAME")
            guard projectID != nil || projectName != nil else {
                throw ClientConfigurationError("\(origin): no project; set OS_PROJECT_ID or OS_PROJECT_NAME, or the schedule's project_id")
            }
            if case .accessKey = credentials, projectID == nil {
                throw ClientConfigurationError("\(origin): access-key signing needs the project id (OS_PROJECT_ID), not only its name")
            }
            return CloudProfile(
                region: region, projectID: projectID, projectName: projectID == nil ? projectName : nil,
                authURL: overrides.authURL ?? get("OS_AUTH_URL"),
                endpoint: overrides.endpoint ?? get("RDS_ENDPOINT"),
                credentials: credentials,
                caBundlePath: overrides.caBundlePath ?? get("OS_CACERT"))
        }
    }
}
