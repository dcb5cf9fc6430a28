import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// A local stand-in for OTC IAM + RDS v3 on a real loopback socket, with fault injection.
///
/// Serves `POST /v3/auth/tokens` and the RDS routes `POST|GET /v3/{project_id}/backups`,
/// `DELETE /v3/{project_id}/backups/{id}`, `GET /v3/{project_id}/instances`,
/// `GET /v3/{project_id}/backup-files` on one port (the files' object storage on another), as
/// docs/rds-api.md describes them. Time (backup completion, deletion, token expiry) follows the
/// injected `SimulatorClock`; only injected delays use the wall clock.
public final class RDSSimulator: Service, Sendable {
    private struct Server: Sendable {
        var group: MultiThreadedEventLoopGroup?
        var channel: Channel?
        var host = "127.0.0.1"
        var port = 0
    }

    /// The clock backups and tokens age on; tests advance it.
    public let clock: SimulatorClock
    private let core: SimulatorCore
    private let server = Locked(Server())

    /// A simulator; nothing listens until `start` (or `run`).
    public init(
        configuration: SimulatorConfiguration = .init(), clock: SimulatorClock = SimulatorClock(),
        logger: Logger = Logger(label: "rds-simulator", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.clock = clock
        self.core = SimulatorCore(configuration: configuration, clock: clock, logger: logger)
    }

    // MARK: - Serving

    /// Binds and starts serving; port 0 picks a free ephemeral port (read it from `port`).
    public func start(host: String = "127.0.0.1", port: Int = 0) async throws {
        guard server.withLock({ $0.group == nil }) else { throw SimulatorError.alreadyStarted }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let core = self.core
        let channel: Channel
        do {
            channel = try await HTTPServerBinding.bind(
                host: host, port: port, group: group, backlog: 256, handler: { HTTPServerHandler(core: core) })
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        let boundPort = channel.localAddress?.port ?? port
        do {
            try await core.objectStorage.start(host: host, group: group)
        } catch {
            try? await channel.close()
            try? await group.shutdownGracefully()
            throw error
        }
        let advertised = HTTPServerBinding.advertised(host)
        server.withLock {
            $0.group = group
            $0.channel = channel
            $0.host = advertised
            $0.port = boundPort
        }
        core.baseURL.withLock { $0 = "http://\(advertised):\(boundPort)" }
        core.logger.info("simulator listening", metadata: ["endpoint": "http://\(advertised):\(boundPort)"])
    }

    /// The object storage the `backup-files` download links point at (same host, its own port):
    /// its faults, settings and served bytes.
    public var objectStorage: SimulatedObjectStorage { core.objectStorage }

    /// The bound port (0 before `start`).
    public var port: Int { server.withLock { $0.port } }

    /// RDS base URL `http://127.0.0.1:PORT`; a client appends `/v3/{project_id}`.
    public var endpoint: String { server.withLock { "http://\($0.host):\($0.port)" } }

    /// IAM URL `http://127.0.0.1:PORT/v3` (tokens at `/auth/tokens` below it).
    public var iamURL: String { endpoint + "/v3" }

    /// Stops listening, drops open connections and pending delays. Safe to call twice.
    public func shutdown() async throws {
        let (group, channel) = server.withLock { state -> (MultiThreadedEventLoopGroup?, Channel?) in
            defer {
                state.group = nil
                state.channel = nil
            }
            return (state.group, state.channel)
        }
        try? await channel?.close()
        try? await core.objectStorage.shutdown()
        try await group?.shutdownGracefully()
    }

    /// Serves (binding `configuration.host`/`port` unless already started) until graceful shutdown or cancellation.
    public func run() async throws {
        if server.withLock({ $0.group == nil }) {
            let (host, port) = core.state.withLock { ($0.configuration.host, $0.configuration.port) }
            try await start(host: host, port: port)
        }
        try? await gracefulShutdown()
        try await shutdown()
    }

    // MARK: - Instances

    /// Adds an instance, or replaces the one with the same id.
    public func addInstance(_ instance: SimulatedInstance) {
        core.state.withLock { state in
            if let index = state.instances.firstIndex(where: { $0.id == instance.id }) {
                state.instances[index] = instance
            } else {
                state.instances.append(instance)
            }
        }
    }

    /// Changes an instance in place (e.g. its status); false when there is no such instance.
    @discardableResult
    public func updateInstance(id: String, _ change: (inout SimulatedInstance) -> Void) -> Bool {
        core.state.withLock { state in
            guard let index = state.instances.firstIndex(where: { $0.id == id }) else { return false }
            change(&state.instances[index])
            return true
        }
    }

    /// Removes an instance (its backups stay, as manual backups outlive their instance).
    public func removeInstance(id: String) {
        core.state.withLock { $0.instances.removeAll { $0.id == id } }
    }

    /// The instances as configured (status as set, not the derived `BACKING UP`).
    public func instances() -> [SimulatedInstance] {
        core.state.withLock { $0.instances }
    }

    // MARK: - Faults and settings

    /// Makes the next `count` requests on `route` show `fault` (queued after faults injected before).
    public func inject(_ fault: SimulatedFault, on route: SimulatedRoute, count: Int = 1) {
        guard count > 0 else { return }
        core.state.withLock { $0.faults[route, default: []].append((fault: fault, remaining: count)) }
    }

    /// Gives a random share of all requests a random fault from then on (nil stops it).
    public func injectRandomFaults(_ faults: RandomFaults?) {
        core.state.withLock { $0.randomFaults = faults }
    }

    /// Drops every queued fault.
    public func clearFaults() {
        core.state.withLock { $0.faults = [:] }
    }

    /// Faults still queued for a route.
    public func pendingFaults(on route: SimulatedRoute) -> Int {
        core.state.withLock { $0.faults[route, default: []].reduce(0) { $0 + $1.remaining } }
    }

    /// Revokes every token issued so far (they answer 401 APIG.0307 "The token must be updated").
    public func expireAllTokens() {
        core.state.withLock { state in
            for key in state.tokens.keys { state.tokens[key]?.revoked = true }
        }
    }

    /// Changes settings while running (durations, uniqueness, quota, keys...). Instances in it are ignored.
    public func configure(_ change: (inout SimulatorConfiguration) -> Void) {
        core.state.withLock { change(&$0.configuration) }
    }

    /// The current settings.
    public var configuration: SimulatorConfiguration {
        core.state.withLock { $0.configuration }
    }

    // MARK: - Observed state

    /// Every backup ever created, oldest first, with its status now (deleted ones as `.deleted`).
    public func backups() -> [SimulatedBackup] {
        let now = clock.now()
        return core.state.withLock { $0.backups.map { $0.snapshot(at: now) } }
    }

    /// One backup by id.
    public func backup(id: String) -> SimulatedBackup? {
        backups().first { $0.id == id }
    }

    /// Puts a backup in place as if it had been made earlier (e.g. an `auto` one, or an old manual one);
    /// a `.building` one finishes after `backupDuration`, a `.deleting` one disappears after `deleteDuration`.
    public func addBackup(_ backup: SimulatedBackup) {
        let now = clock.now()
        core.state.withLock { state in
            let instance = state.instance(backup.instanceID)
            let config = state.configuration
            let finishes: Date =
                switch backup.status {
                case .building: now.addingTimeInterval(config.backupDuration)
                default: backup.endTime ?? backup.beginTime
                }
            state.backups.append(
                BackupRecord(
                    id: backup.id, instanceID: backup.instanceID, name: backup.name, description: backup.description,
                    databases: backup.databases, type: backup.type, engine: instance?.engine ?? .mysql,
                    version: instance?.version ?? "8.0", beginTime: backup.beginTime, finishesAt: finishes,
                    fails: backup.status == .failed, sizeKB: backup.sizeKB,
                    deleteRequestedAt: backup.status == .deleting || backup.status == .deleted
                        ? (backup.status == .deleted ? now.addingTimeInterval(-config.deleteDuration) : now) : nil,
                    deleteDuration: config.deleteDuration))
        }
    }

    /// Every request received, in order. Holds no header, body, token or password.
    public func requests() -> [RecordedRequest] {
        core.state.withLock { $0.requests }
    }

    /// Counts for assertions.
    public func counters() -> SimulatorCounters {
        core.state.withLock { state in
            SimulatorCounters(
                requests: state.requests.count, tokensIssued: state.tokensIssued, backupsCreated: state.backupsCreated,
                faultsApplied: state.requests.filter { $0.fault != nil }.count)
        }
    }
}

/// Totals since start.
public struct SimulatorCounters: Sendable, Equatable {
    public var requests: Int
    public var tokensIssued: Int
    /// Backups created through the API (not `addBackup`).
    public var backupsCreated: Int
    public var faultsApplied: Int
}
