import Foundation
import Logging
import RDSClient
import RDSSimulator
import RDSTestSupport

@testable import BackupScheduler

/// A simulator over loopback, a service clock that drives the simulator's clock, a state store in
/// a temporary directory, and slot runners wired to them.
struct ServiceHarness: Sendable {
    static let projectID = "0483b6b16e954cb88930a360d2c4e663"
    let fixture: SimulatorFixture
    let clock: ManualServiceClock
    let store: StateStore
    let stateDirectory: String
    let client: RDSAPIClient
    let gate: APIGate

    var simulator: RDSSimulator { fixture.simulator }
    var logs: CapturedLogs { fixture.logs }

    /// Runs `body` with a started simulator (demo instances) and a fresh state directory.
    static func with<T>(
        configure: (inout SimulatorConfiguration) -> Void = { _ in },
        requestTimeout: Duration = .seconds(1),
        _ body: (ServiceHarness) async throws -> T
    ) async throws -> T {
        var transport = HTTPTransport.Configuration()
        transport.requestTimeout = requestTimeout
        transport.connectTimeout = .seconds(1)
        return try await SimulatorFixture.with(configure: configure, transport: transport) { fixture in
            let simulatorClock = fixture.simulator.clock
            let clock = ManualServiceClock(start: simulatorClock.now()) { simulatorClock.set($0) }
            let directory = TestScratch.path("rds-backupd-service")
            let store = try StateStore(directory: directory)
            let client = try RDSAPIClient(
                profile: fixture.passwordProfile, transport: fixture.transport, logger: fixture.logs.logger(),
                now: { clock.now() })
            let gate = APIGate(maxConcurrent: 4, requestsPerSecond: 1000, clock: clock)
            let harness = ServiceHarness(
                fixture: fixture, clock: clock, store: store, stateDirectory: directory, client: client, gate: gate)
            return try await body(harness)
        }
    }

    func runner(pollInterval: Duration = .seconds(10), checkpoint: @escaping @Sendable (SlotCheckpoint) async -> Void = { _ in }) -> SlotRunner {
        SlotRunner(
            client: client, store: store, gate: gate, clock: clock, logger: logs.logger(), pollInterval: pollInterval,
            random: { 0.5 }, checkpoint: checkpoint)
    }

    /// A schedule against this simulator; `backups` is the YAML list under `backups:`.
    func schedule(defaults: String = "", backups: String) throws -> Schedule {
        try Schedule.parse(yaml: Self.yaml(iamURL: simulator.iamURL, defaults: defaults, backups: backups), fileName: "schedule.yaml", now: clock.now())
    }

    static func yaml(iamURL: String, defaults: String = "", backups: String) -> String {
        """
        cloud:
          region: eu-de
          project_id: \(projectID)
          auth: env
          auth_url: \(iamURL)
        defaults:
          timezone: UTC
          name: "{alias}-{slot:%Y%m%d-%H%M}"
          start_window: 1h
          completion_window: 4h
          retry: { attempts: 8, initial: 10s, max: 10m }
        \(defaults.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        backups:
        \(backups)
        """
    }

    /// The entry `orders` (the simulator's HA MySQL instance), with optional extra YAML keys.
    func ordersEntry(_ extra: String = "", instance: String = SimulatorFixture.orders) throws -> BackupEntry {
        var text = """
              - alias: orders
                instance_id: \(instance)
                cron: "0 2 * * *"
            """
        if !extra.isEmpty { text += "\n" + extra.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") }
        return try schedule(backups: text).entries[0]
    }

    /// A pending row for `entry` whose slot is `slotAt` (default: now), claimed in the store.
    func claim(_ entry: BackupEntry, slotAt: Date? = nil) throws -> SlotRecord {
        let slot = slotAt ?? clock.now()
        return try store.claim(SlotRecord(entry: entry.alias, instanceID: entry.instanceID, slotAt: slot, runAt: entry.runTime(of: slot), now: clock.now())).record
    }

    /// Live (not deleted) backups of an instance with a name.
    func backups(instance: String = SimulatorFixture.orders, named name: String? = nil) -> [SimulatedBackup] {
        simulator.backups().filter { $0.instanceID == instance && $0.status != .deleted && (name == nil || $0.name == name) }
    }

    /// Creates requests the simulator answered or handled.
    func createRequests() -> Int {
        simulator.requests().filter { $0.route == .createBackup }.count
    }
}

extension ServiceHarness {
    /// A manual clock that moves only when told (not auto-advancing) and mirrors the time that
    /// passes onto the simulator's clock: a wall step is not mirrored, the cloud keeps true time.
    func manualClock() -> ManualServiceClock {
        let simulatorClock = simulator.clock
        return ManualServiceClock(start: simulatorClock.now(), autoAdvance: false) { simulatorClock.set($0) }
    }

    /// Runs `body` with a simulator whose backups take `backupDuration` seconds and a started
    /// service on a manual clock (`manualClock()`) for the YAML list `backups` (the clock-step
    /// tests: step the wall clock with `driver.clock.stepWall`, let time pass with `driver.run`).
    /// `gate` builds the service's API gate on the clock (default: no rate limit to speak of).
    static func withServiceOnManualClock<T>(
        backupDuration: TimeInterval = 30, backups: String, configuration: BackupService.Configuration = .init(),
        gate: ((ManualServiceClock) -> APIGate)? = nil, cloud: ((ServiceHarness) -> any CloudAPI)? = nil,
        pings: LockedBox<Int>? = nil,
        _ body: (ServiceHarness, ServiceDriver) async throws -> T
    ) async throws -> T {
        try await with(configure: { $0.backupDuration = backupDuration }) { h in
            let clock = h.manualClock()
            let driver = try await ServiceDriver.start(
                h, clock: clock, schedule: try h.schedule(backups: backups), configuration: configuration,
                gate: gate?(clock), pings: pings, cloud: cloud?(h))
            return try await body(h, driver)
        }
    }
}
