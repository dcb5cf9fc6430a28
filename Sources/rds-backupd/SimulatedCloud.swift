import Foundation
import Logging
import RDSClient
import RDSSimulator

/// The embedded simulator for `--simulate`: a real loopback server the client reaches exactly as it
/// reaches the cloud (IAM password token, endpoint from the token's catalog).
struct SimulatedCloud {
    let simulator: RDSSimulator
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
        let user = configuration.users[0]
        let profile = CloudProfile(
            region: configuration.region, projectID: configuration.projectID, authURL: simulator.iamURL,
            credentials: .password(
                PasswordCredentials(username: user.name, password: user.password, userDomainName: configuration.domainName)))
        return SimulatedCloud(simulator: simulator, profile: profile)
    }

    func stop() async {
        try? await simulator.shutdown()
    }
}
