import Foundation
import Logging
import RDSClient
import RDSSimulator

/// The embedded simulator for `--simulate`: a real loopback server the client reaches exactly as it
/// reaches the cloud (IAM password token, endpoint from the token's catalog).
struct SimulatedCloud {
    /// The simulator this process serves; nil when it uses the one a running demo serves.
    let simulator: RDSSimulator?
    let profile: CloudProfile

    /// Starts the demo simulator (wall clock, backups complete after `backupDuration`), adding any
    /// of `instanceIDs` it does not know as MySQL instances, and the tagged demo fleet
    /// (`SimulatedInstance.demoFleet`) that a schedule's `select:` entries can match. Each completed
    /// backup's files hold `backupBytes` bytes.
    static func start(
        instanceIDs: [String], backupDuration: TimeInterval = 3, backupBytes: Int64 = 1_048_576, logger: Logger
    ) async throws -> SimulatedCloud {
        var configuration = SimulatorConfiguration.demo
        configuration.backupDuration = backupDuration
        configuration.deleteDuration = 1
        configuration.instances += SimulatedInstance.demoFleet
        let simulator = RDSSimulator(configuration: configuration, clock: .wall())
        let known = Set(configuration.instances.map(\.id))
        // A `select:` entry has no instance id (empty): it selects among the instances here.
        for (index, id) in instanceIDs.enumerated() where !known.contains(id) && !id.isEmpty {
            simulator.addInstance(SimulatedInstance(id: id, name: "simulated-\(index + 1)", engine: .mysql, version: "8.0"))
        }
        // What a completed backup's files hold for offsite copies (`copy:`): small, so a demo copies at once.
        simulator.objectStorage.backupBytes = backupBytes
        try await simulator.start(host: "127.0.0.1", port: 0)
        logger.info("embedded simulator listening", metadata: ["endpoint": "\(simulator.endpoint)"])
        return SimulatedCloud(simulator: simulator, profile: demoProfile(iamURL: simulator.iamURL))
    }

    /// The simulator a running `run --simulate` with this state directory serves (so a one-shot
    /// command sees the demo's instances and backups, and the demo sees what it does), else one
    /// of this process's own, started as `start` does.
    static func attach(
        stateDirectory: String, instanceIDs: [String], backupDuration: TimeInterval = 3, logger: Logger
    ) async throws -> SimulatedCloud {
        if let recorded = DemoSimulatorRecord.read(stateDirectory: stateDirectory) {
            logger.debug("using the demo's simulator", metadata: ["iam": "\(recorded.iamURL)", "pid": "\(recorded.pid)"])
            return SimulatedCloud(simulator: nil, profile: demoProfile(iamURL: recorded.iamURL))
        }
        return try await start(instanceIDs: instanceIDs, backupDuration: backupDuration, logger: logger)
    }

    /// The demo user's password profile for a simulator at `iamURL` (the simulator's built-in
    /// demo account, not a secret of anyone's).
    static func demoProfile(iamURL: String) -> CloudProfile {
        let configuration = SimulatorConfiguration.demo
        let user = configuration.users[0]
        var profile = CloudProfile(
            region: configuration.region, projectID: configuration.projectID, authURL: iamURL,
            credentials: .password(
                PasswordCredentials(username: user.name, password: user.password, userDomainName: configuration.domainName)))
        profile.origin = ProfileOrigin(source: "the simulator's demo account", authURLFrom: "simulator")
        return profile
    }

    func stop() async {
        try? await simulator?.shutdown()
    }
}

/// `STATE_DIR/simulator.json`, written by `run --simulate` while it serves its simulator: the IAM
/// URL and the process id, nothing secret. Removed when the demo stops; a record whose process is
/// gone is ignored.
struct DemoSimulatorRecord: Codable, Equatable {
    static let fileName = "simulator.json"

    var iamURL: String
    var pid: Int32

    enum CodingKeys: String, CodingKey {
        case iamURL = "iam_url"
        case pid
    }

    static func path(stateDirectory: String) -> String {
        (stateDirectory as NSString).appendingPathComponent(fileName)
    }

    func write(stateDirectory: String) throws {
        let data = try JSONEncoder().encode(self)
        try data.write(to: URL(fileURLWithPath: Self.path(stateDirectory: stateDirectory)), options: .atomic)
    }

    static func remove(stateDirectory: String) {
        try? FileManager.default.removeItem(atPath: path(stateDirectory: stateDirectory))
    }

    /// The record, when there is one and its process still runs.
    static func read(stateDirectory: String) -> DemoSimulatorRecord? {
        guard let data = FileManager.default.contents(atPath: path(stateDirectory: stateDirectory)),
            let record = try? JSONDecoder().decode(DemoSimulatorRecord.self, from: data),
            record.pid > 0, kill(record.pid, 0) == 0 || errno == EPERM
        else { return nil }
        return record
    }
}
