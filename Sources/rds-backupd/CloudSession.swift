import Foundation
import Logging
import RDSClient

/// A client and its transport for one command run, optionally against an embedded simulator.
struct CloudSession {
    let connection: CloudConnection
    let simulated: SimulatedCloud?
    var client: RDSAPIClient { connection.client }

    /// Loads credentials (or starts the simulator) and builds the client. Sends nothing yet.
    static func open(
        options: ClientOptions, simulate: Bool, simulatedInstances: [String], logger: Logger,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> CloudSession {
        var simulated: SimulatedCloud?
        let profile: CloudProfile
        if simulate {
            let cloud = try await SimulatedCloud.start(instanceIDs: simulatedInstances, logger: logger)
            simulated = cloud
            profile = cloud.profile
        } else {
            profile = try CredentialLoader(environment: environment).load(
                options.authSource(environment: environment), overrides: options.overrides)
        }
        do {
            let connection = try await CloudConnection.open(profile: profile, environment: environment, logger: logger)
            return CloudSession(connection: connection, simulated: simulated)
        } catch {
            await simulated?.stop()
            throw error
        }
    }

    func close() async {
        await connection.shutdown()
        await simulated?.stop()
    }
}
