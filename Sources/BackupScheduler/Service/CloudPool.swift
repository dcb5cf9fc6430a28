import Foundation
import Logging
import RDSClient

/// One connection (client and transport, opened by `CloudConnection.open`) and one `APIGate` per
/// cloud of the schedule: the slots, retention and the selection refresh of a cloud share its
/// concurrency cap and rate limit. Used by `run`, `backup-now` and `prune`.
public final class CloudPool: @unchecked Sendable {
    private struct Built {
        var settings: CloudSettings
        var connection: CloudConnection
        var gate: APIGate
    }

    private let lock = NSLock()
    private var built: [String: Built] = [:]
    /// Connections replaced by a reload: slots in flight may still use them, so they are shut
    /// down with the pool.
    private var retired: [CloudConnection] = []
    private let environment: [String: String]
    private let simulatedProfile: CloudProfile?
    private let clock: any ServiceClock
    private let logger: Logger

    /// `simulatedProfile`: every cloud reaches this profile (`--simulate`), in its own region.
    public init(environment: [String: String], simulatedProfile: CloudProfile? = nil, clock: any ServiceClock, logger: Logger) {
        self.environment = environment
        self.simulatedProfile = simulatedProfile
        self.clock = clock
        self.logger = logger
    }

    /// Opens (or keeps) the connection of every cloud the schedule uses; throws on missing
    /// credentials. Sends nothing. At start and on every reload: a reload also lets credentials
    /// IAM refused be tried once more (the operator says "try again"; see `CredentialGate`).
    public func prepare(_ schedule: Schedule) async throws {
        for name in Set(schedule.entries.map(\.cloudName)).sorted() {
            guard let settings = schedule.clouds[name] else { continue }
            _ = try await cloud(for: settings)
            lock.withLock { built[name]?.connection.client }?.credentialsReloaded()
        }
    }

    /// The cloud behind its gate, opened when these settings are new or changed.
    public func cloud(for settings: CloudSettings) async throws -> GatedCloud {
        if let existing = lock.withLock({ built[settings.name] }), existing.settings == settings {
            return GatedCloud(existing.connection.client, gate: existing.gate)
        }
        let profile: CloudProfile
        if var simulated = simulatedProfile {
            simulated.region = settings.region
            profile = simulated
        } else {
            profile = try settings.loadProfile(environment: environment)
        }
        let connection = try await CloudConnection.open(profile: profile, environment: environment, logger: logger)
        let gate = APIGate(maxConcurrent: settings.maxConcurrent, requestsPerSecond: settings.requestsPerSecond, clock: clock)
        lock.withLock {
            if let old = built[settings.name] { retired.append(old.connection) }
            built[settings.name] = Built(settings: settings, connection: connection, gate: gate)
        }
        return GatedCloud(connection.client, gate: gate)
    }

    /// The cloud of `entry` (behind its gate) as `prepare` opened it.
    public func cloud(of entry: BackupEntry) throws -> GatedCloud {
        guard let built = lock.withLock({ built[entry.cloudName] }) else {
            throw ClientConfigurationError("entry \(entry.alias) names cloud '\(entry.cloudName)', which the schedule does not define")
        }
        return GatedCloud(built.connection.client, gate: built.gate)
    }

    /// The runner of `entry` on its cloud as `prepare` opened it.
    public func runner(
        for entry: BackupEntry, store: StateStore, pollInterval: Duration,
        checkpoint: @escaping @Sendable (SlotCheckpoint) async -> Void = { _ in }
    ) throws -> SlotRunner {
        SlotRunner(
            cloud: try cloud(of: entry), store: store, clock: clock, logger: logger, pollInterval: pollInterval,
            checkpoint: checkpoint)
    }

    /// The copy runner of `entry` (its cloud behind the gate, and the connection's transport for
    /// the downloads) as `prepare` opened it.
    public func copyRunner(for entry: BackupEntry, store: StateStore, commandRunner: FailureCommandRunner) throws -> CopyRunner {
        guard let built = lock.withLock({ built[entry.cloudName] }) else {
            throw ClientConfigurationError("entry \(entry.alias) names cloud '\(entry.cloudName)', which the schedule does not define")
        }
        return CopyRunner(
            cloud: GatedCloud(built.connection.client, gate: built.gate), transport: built.connection.transport, store: store,
            clock: clock, logger: logger, commandRunner: commandRunner)
    }

    /// Shuts every connection down, the retired ones too; in-flight requests fail.
    public func shutdown() async {
        let connections = lock.withLock { built.values.map(\.connection) + retired }
        for connection in connections { await connection.shutdown() }
    }
}
