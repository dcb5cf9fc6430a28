import Foundation
import RDSClient

/// Everything that shapes one simulated project; every field has a documented default.
public struct SimulatorConfiguration: Sendable {
    /// An IAM user that may get a token by password.
    public struct User: Sendable {
        public var name: String
        public var password: Secret
        public init(name: String, password: Secret) {
            self.name = name
            self.password = password
        }
    }

    /// An access key pair; `securityToken` set means a temporary key that needs `X-Security-Token`.
    /// A temporary key (with `securityToken`) stops working at `expiresAt` on the simulator clock:
    /// the gateway then answers 401 APIG.0301 "... security token expired".
    public struct AccessKey: Sendable {
        public var accessKey: String
        public var secretKey: Secret
        public var securityToken: Secret?
        public var expiresAt: Date?
        public init(accessKey: String, secretKey: Secret, securityToken: Secret? = nil, expiresAt: Date? = nil) {
            self.accessKey = accessKey
            self.secretKey = secretKey
            self.securityToken = securityToken
            self.expiresAt = expiresAt
        }
    }

    /// The ECS metadata service of a host with an IAM agency (`GET /openstack/latest/securitykey`):
    /// temporary keys valid `lifetime`, a new pair issued `renewAhead` before the current one
    /// expires (OTC: one hour, 10 minutes), on the simulator clock.
    public struct Agency: Sendable {
        public var lifetime: TimeInterval = 3600
        public var renewAhead: TimeInterval = 600
        public init(lifetime: TimeInterval = 3600, renewAhead: TimeInterval = 600) {
            self.lifetime = lifetime
            self.renewAhead = renewAhead
        }
    }

    /// Scope of the "backup name must be unique" rule (the docs do not say; docs/rds-api.md §10.1).
    public enum NameUniqueness: Sendable {
        case perInstance
        case perProject
        /// Any number of backups may share a name (a cloud that does not enforce it): a second
        /// create of the same name is then refused only while the first is BUILDING ("backup in progress").
        case notEnforced
    }

    /// The project id in every RDS path and in the token scope.
    public var projectID = "0483b6b16e954cb88930a360d2c4e663"
    /// The project name (OTC project names look like the region).
    public var projectName = "eu-de"
    /// Region reported in the catalog and on instances.
    public var region = "eu-de"
    /// The account (domain) name users authenticate in.
    public var domainName = "OTC00000000001000000001"
    public var domainID = "a3f1c9e2b7d84e60b1c2d3e4f5a6b7c8"
    /// Users that may get a token; default `backup-operator` / `simulator-password`.
    public var users: [User] = [User(name: "backup-operator", password: Secret("simulator-password"))]
    /// Access keys for AK/SK signing; default `SIMULATORAK000000000` / `simulator-secret-key-0000000000000000000`.
    public var accessKeys: [AccessKey] = [
        AccessKey(accessKey: "SIMULATORAK000000000", secretKey: Secret("simulator-secret-key-0000000000000000000"))
    ]
    /// The metadata service's agency keys; nil: the route answers 404 (a host without an agency).
    public var agency: Agency? = Agency()
    /// IAM locks a user after this many refused passwords within `lockoutWindow` (OTC's default
    /// login policy: 5 in 15 minutes); while locked even the right password gets 401 IAM.0061.
    public var lockoutThreshold = 5
    public var lockoutWindow: TimeInterval = 15 * 60
    /// Token lifetime on the simulator clock (the real one is 24 h).
    public var tokenLifetime: TimeInterval = 24 * 3600
    /// How long a backup stays BUILDING on the simulator clock.
    public var backupDuration: TimeInterval = 60
    /// How long a deleted backup stays DELETING before it is gone.
    public var deleteDuration: TimeInterval = 10
    /// Scope of backup name uniqueness; per project by default (the stricter guess).
    public var nameUniqueness: NameUniqueness = .perProject
    /// Whether the backup listing carries each backup's `description`. OTC's reference (and
    /// Huawei's ListBackups schema) list no such field, so by default it does not; the create
    /// answer carries it either way.
    public var listsBackupDescriptions = false
    /// Maximum number of manual backups in the project (not deleted); nil = unlimited.
    public var manualBackupQuota: Int?
    /// Accepted distance between `X-Sdk-Date` and the simulator clock (APIG: 15 min).
    public var maxClockSkew: TimeInterval = 15 * 60
    /// Instances that exist from the start.
    public var instances: [SimulatedInstance] = []
    /// UTC offset (seconds) of the RDS time strings in answers: 0 gives `+0000`, 28800 `+0800`.
    public var responseUTCOffset = 0
    /// When true an instance with a BUILDING backup reports status `BACKING UP` (as the console shows).
    public var reportBackingUpStatus = true
    /// Injected delays are capped at this many seconds, so a test can never hang on one.
    public var maxInjectedDelay: TimeInterval = 120
    /// Wall-clock time added before every answer, as the round trip to a far-away API takes (0: none).
    /// For load benchmarks; capped by `maxInjectedDelay` like the injected delays.
    public var responseLatency: TimeInterval = 0
    /// The API gateway's throttling of RDS requests (IAM's token routes are not limited); nil: unlimited.
    public var rateLimit: RateLimit?
    /// What the instance list does with its `tags=key=value,…` query parameter, which OTC shows only
    /// in an example (docs/api-notes.md); `.applied` filters (every pair must match).
    public var instanceTagsFilter: InstanceTagsFilter = .applied
    /// When false the instance list leaves out each instance's `tags` (as OTC's "query all" example
    /// does); a client then has to ask `GET …/instances/{id}/tags`.
    public var instanceListReportsTags = true
    /// Address and port `run()` binds to (port 0 = ephemeral).
    public var host = "127.0.0.1"
    public var port = 0

    /// A token bucket on the simulator clock: `burst` requests at once, refilled at `requestsPerSecond`.
    /// A request that finds the bucket empty is answered 429 `APIG.0308` with `Retry-After` (whole
    /// seconds until a token is back, at least 1), without handling, as APIG throttles.
    public struct RateLimit: Sendable, Equatable {
        public var requestsPerSecond: Double
        public var burst: Int
        public init(requestsPerSecond: Double, burst: Int) {
            self.requestsPerSecond = requestsPerSecond
            self.burst = burst
        }
    }

    /// The ways a server may treat the instance list's `tags` parameter.
    public enum InstanceTagsFilter: Sendable, Equatable {
        /// Only instances carrying every `key=value` pair are listed.
        case applied
        /// The parameter is ignored: every instance is listed.
        case ignored
        /// The parameter is refused with 400 `DBS.200001`.
        case refused
    }

    /// The defaults: one user, one access key, no instances.
    public init() {}

    /// The defaults plus `SimulatedInstance.demo`, for `rds-backupd simulator` and `run --simulate`.
    public static var demo: SimulatorConfiguration {
        var configuration = SimulatorConfiguration()
        configuration.instances = SimulatedInstance.demo
        return configuration
    }
}
