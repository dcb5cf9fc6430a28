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
    /// Temporary keys of the host's IAM agency from the ECS metadata service: no secret on disk.
    case agency

    /// Parses the schedule spelling: `env`, `credentials`, `agency`, `clouds.yaml:NAME`.
    public init(parsing text: String) throws(ClientConfigurationError) {
        switch text {
        case "env", "environment": self = .environment
        case "credentials": self = .credentialsDirectory
        case "agency": self = .agency
        default:
            let prefix = "clouds.yaml:"
            guard text.hasPrefix(prefix), text.count > prefix.count else {
                throw ClientConfigurationError(
                    "auth '\(text)' is not known; use \"env\", \"credentials\", \"agency\" or \"clouds.yaml:CLOUD\"")
            }
            self = .cloudsYAML(cloud: String(text.dropFirst(prefix.count)))
        }
    }

    public var description: String {
        switch self {
        case .environment: "env"
        case .cloudsYAML(let cloud): "clouds.yaml:\(cloud)"
        case .credentialsDirectory: "credentials"
        case .agency: "agency"
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
    /// How long refused credentials rest before one more attempt (at least 15 minutes).
    public var refusalCooldown: Duration?

    public init(
        region: String? = nil, projectID: String? = nil, projectName: String? = nil, authURL: String? = nil,
        endpoint: String? = nil, caBundlePath: String? = nil, refusalCooldown: Duration? = nil
    ) {
        self.refusalCooldown = refusalCooldown
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
        var settings: Settings
        switch source {
        case .environment:
            settings = Settings(variables: environment, origin: "environment")
        case .credentialsDirectory:
            settings = Settings(variables: try credentialsDirectoryVariables(), origin: "credentials directory")
        case .cloudsYAML(let cloud):
            settings = try cloudsYAMLSettings(cloud: cloud)
        case .agency:
            settings = Settings(variables: environment, origin: "agency (ECS metadata)")
            settings.agencyURL = environment["RDS_BACKUPD_METADATA_URL"].flatMap { $0.isEmpty ? nil : $0 }
                ?? AgencyCredentials.defaultMetadataURL
        }
        var profile = try settings.profile(overrides: overrides)
        if source != .environment {
            // The process environment cannot change; files (and the metadata service) can.
            profile.origin.reread = CredentialReread(
                source: source, overrides: overrides, environment: environment, homeDirectory: homeDirectory,
                currentDirectory: currentDirectory)
        }
        if let cooldown = overrides.refusalCooldown ?? environment["RDS_BACKUPD_REFUSAL_COOLDOWN"].flatMap(RefusalCooldown.parse) {
            guard cooldown >= RefusalCooldown.minimum else {
                throw ClientConfigurationError(
                    "the cool-down after refused credentials must be at least 15 minutes (OTC locks a user after 5 failed logins in 15 minutes)")
            }
            profile.refusalCooldown = cooldown
        }
        return profile
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
            paths.append(Self.file("clouds.yaml", in: directory))
        }
        paths.append(Self.file("clouds.yaml", in: currentDirectory))
        let configHome = environment["XDG_CONFIG_HOME"] ?? homeDirectory.map { $0 + "/.config" }
        if let configHome { paths.append(configHome + "/openstack/clouds.yaml") }
        paths.append("/etc/openstack/clouds.yaml")
        return paths
    }

    /// `directory/name` without a doubled slash (the root directory is `/`, not `//`).
    static func file(_ name: String, in directory: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
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
            // Temporary keys: the spellings of OTC's IAM answer and of the SDKs; `token` only
            // counts next to access keys (alone it is a keystone token, which is not supported).
            ("security_token", "OS_SECURITY_TOKEN"), ("securitytoken", "OS_SECURITY_TOKEN"),
            ("token", "OS_SECURITY_TOKEN"),
        ]
        for (key, variable) in authKeys where variables[variable] == nil {
            if let found = value(key, in: auth) ?? value(key, in: cloudObject) { variables[variable] = found }
        }
        if let region = value("region_name", in: cloudObject) { variables["OS_REGION_NAME"] = region }
        if let cacert = value("cacert", in: cloudObject) { variables["OS_CACERT"] = cacert }
        if let endpoint = value("rds_endpoint_override", in: cloudObject) { variables["RDS_ENDPOINT"] = endpoint }
        if let authType = value("auth_type", in: cloudObject) { variables["OS_AUTH_TYPE"] = authType }
        var settings = Settings(variables: variables, origin: "clouds.yaml cloud '\(cloud)' (\(path))")
        if let vendor = value("profile", in: cloudObject) {
            guard let known = VendorProfile.named(vendor) else {
                throw ClientConfigurationError(
                    "\(path): cloud '\(cloud)' names profile '\(vendor)', which is not known; known: \(VendorProfile.all.map(\.name).joined(separator: ", "))")
            }
            settings.vendor = known
        }
        return settings
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
        /// The clouds.yaml `profile:` (vendor defaults), if any.
        var vendor: VendorProfile?
        /// Set for the `agency` source: where the keys come from.
        var agencyURL: String?

        func get(_ names: String...) -> String? {
            for name in names {
                if let value = variables[name], !value.isEmpty { return value }
            }
            return nil
        }

        func profile(overrides: ProfileOverrides) throws(ClientConfigurationError) -> CloudProfile {
            let projectID = overrides.projectID ?? get("OS_PROJECT_ID", "OS_TENANT_ID")
            let projectName = overrides.projectName ?? get("OS_PROJECT_NAME", "OS_TENANT_NAME")
            var notes: [String] = []

            // Region: the setting, else the project name's region part (OTC project names are the
            // region or `region_subproject`), else the vendor profile's.
            let region: String
            let regionFrom: String
            if let set = overrides.region ?? get("OS_REGION_NAME") {
                (region, regionFrom) = (set, "setting")
            } else if let name = projectName, let fromName = VendorProfile.region(ofProjectName: name) {
                (region, regionFrom) = (fromName, "project name")
            } else if let vendor {
                (region, regionFrom) = (vendor.defaultRegion, "profile \(vendor.name)")
            } else {
                throw ClientConfigurationError("\(origin): no region; set OS_REGION_NAME (clouds.yaml: region_name or profile: otc) or the schedule's region")
            }

            let credentials = try credentials(notes: &notes)
            guard projectID != nil || projectName != nil else {
                throw ClientConfigurationError("\(origin): no project; set OS_PROJECT_ID or OS_PROJECT_NAME, or the schedule's project_id")
            }

            var authURL = overrides.authURL ?? get("OS_AUTH_URL")
            var authURLFrom = authURL == nil ? "region table" : "setting"
            if authURL == nil, let vendor {
                authURL = vendor.authURL(region: region)
                authURLFrom = "profile \(vendor.name)"
            }
            var profile = CloudProfile(
                region: region, projectID: projectID, projectName: projectID == nil ? projectName : nil,
                authURL: authURL, endpoint: overrides.endpoint ?? get("RDS_ENDPOINT"), credentials: credentials,
                caBundlePath: overrides.caBundlePath ?? get("OS_CACERT"))
            profile.origin = ProfileOrigin(source: origin, authURLFrom: authURLFrom, regionFrom: regionFrom, notes: notes)
            return profile
        }

        /// Password wins over access keys when both are there (as openstacksdk, which ignores
        /// `ak`/`sk`: OTC's own sample keeps them "for OBS"); `auth_type: aksk` (OS_AUTH_TYPE)
        /// chooses the keys, `auth_type: password` insists on the password.
        func credentials(notes: inout [String]) throws(ClientConfigurationError) -> Credentials {
            if let agencyURL { return .agency(AgencyCredentials(metadataURL: agencyURL)) }
            let authType = get("OS_AUTH_TYPE")?.lowercased()
            let keys = get("OS_ACCESS_KEY", "OS_AK")
            let username = get("OS_USERNAME")
            let wantsKeys: Bool
            switch authType {
            case nil: wantsKeys = username == nil && keys != nil
            case "aksk", "ak/sk", "access_key", "accesskey", "access-key": wantsKeys = true
            case "password", "v3password": wantsKeys = false
            case let other?:
                throw ClientConfigurationError(
                    "\(origin): auth_type '\(other)' is not supported; use password (the default) or aksk")
            }
            if wantsKeys {
                guard let accessKey = keys else {
                    throw ClientConfigurationError("\(origin): auth_type aksk but no access key; set ak (OS_ACCESS_KEY) and sk (OS_SECRET_KEY)")
                }
                guard let secretKey = get("OS_SECRET_KEY", "OS_SK") else {
                    throw ClientConfigurationError("\(origin): OS_ACCESS_KEY is set but OS_SECRET_KEY is missing")
                }
                return .accessKey(
                    AccessKeyCredentials(
                        accessKey: accessKey, secretKey: Secret(secretKey),
                        securityToken: get("OS_SECURITY_TOKEN").map(Secret.init)))
            }
            guard let username else {
                throw ClientConfigurationError(
                    "\(origin): no credentials; set OS_USERNAME and OS_PASSWORD (with OS_USER_DOMAIN_NAME), or OS_ACCESS_KEY and OS_SECRET_KEY")
            }
            guard let password = get("OS_PASSWORD") else {
                throw ClientConfigurationError("\(origin): OS_USERNAME is set but OS_PASSWORD is missing")
            }
            let domainName = get("OS_USER_DOMAIN_NAME", "OS_DOMAIN_NAME", "OS_PROJECT_DOMAIN_NAME")
            let domainID = get("OS_USER_DOMAIN_ID", "OS_DOMAIN_ID")
            guard domainName != nil || domainID != nil else {
                throw ClientConfigurationError(
                    "\(origin): password authentication needs the user's domain (account): set OS_USER_DOMAIN_NAME or OS_DOMAIN_NAME (clouds.yaml: user_domain_name)")
            }
            if keys != nil {
                notes.append("access keys (ak/sk) present but not used: the password is preferred; auth_type: aksk (OS_AUTH_TYPE=aksk) selects the keys")
            }
            return .password(
                PasswordCredentials(
                    username: username, password: Secret(password), userDomainName: domainName, userDomainID: domainID))
        }
    }
}
