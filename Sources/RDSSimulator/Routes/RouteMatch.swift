/// Which API operation a request addresses.
enum RouteMatch: Sendable, Equatable {
    case token
    /// `GET /v3`: keystone version discovery (keystoneauth asks before authenticating).
    case identityVersion
    case createBackup(projectID: String)
    case listBackups(projectID: String)
    case deleteBackup(projectID: String, backupID: String)
    case listInstances(projectID: String)
    case instanceTags(projectID: String, instanceID: String)
    /// `GET /v3/projects?name=`: IAM's project list (access-key clients resolve a project name).
    case iamProjects
    /// `GET /v3/auth/catalog`: IAM's catalog for the caller's project (access-key clients).
    case iamCatalog
    /// `GET /openstack/latest/securitykey`: the ECS metadata service's agency keys.
    case metadataSecurityKey
    case backupFiles(projectID: String)
    /// An unknown path or method: the gateway answers APIG.0101.
    case unknown

    init(method: String, segments: [String]) {
        switch (method, segments.count) {
        case ("GET", 1) where segments == ["v3"]:
            self = .identityVersion
        case ("POST", 3) where segments == ["v3", "auth", "tokens"]:
            self = .token
        case ("GET", 2) where segments == ["v3", "projects"]:
            self = .iamProjects
        case ("GET", 3) where segments == ["v3", "auth", "catalog"]:
            self = .iamCatalog
        case ("GET", 3) where segments == ["openstack", "latest", "securitykey"]:
            self = .metadataSecurityKey
        case ("POST", 3) where segments[0] == "v3" && segments[2] == "backups":
            self = .createBackup(projectID: segments[1])
        case ("GET", 3) where segments[0] == "v3" && segments[2] == "backups":
            self = .listBackups(projectID: segments[1])
        case ("DELETE", 4) where segments[0] == "v3" && segments[2] == "backups":
            self = .deleteBackup(projectID: segments[1], backupID: segments[3])
        case ("GET", 3) where segments[0] == "v3" && segments[2] == "backup-files":
            self = .backupFiles(projectID: segments[1])
        case ("GET", 3) where segments[0] == "v3" && segments[2] == "instances":
            self = .listInstances(projectID: segments[1])
        case ("GET", 5) where segments[0] == "v3" && segments[2] == "instances" && segments[4] == "tags":
            self = .instanceTags(projectID: segments[1], instanceID: segments[3])
        default:
            self = .unknown
        }
    }

    /// The route name faults are injected on.
    var route: SimulatedRoute? {
        switch self {
        case .token: .token
        case .identityVersion: nil  // only `any` faults: clients that skip discovery must not shift a token fault
        case .createBackup: .createBackup
        case .listBackups: .listBackups
        case .deleteBackup: .deleteBackup
        case .listInstances: .listInstances
        case .instanceTags: .instanceTags
        case .iamProjects, .iamCatalog: .iam
        case .metadataSecurityKey: .metadata
        case .backupFiles: .backupFiles
        case .unknown: nil
        }
    }
}
