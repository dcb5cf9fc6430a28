import Foundation
import Logging
import RDSClient

/// A client and its transport for one command run, optionally against an embedded simulator.
struct CloudSession {
    let client: RDSAPIClient
    let transport: HTTPTransport
    let simulated: SimulatedCloud?

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
            try RDSAPIClient.check(profile)
        } catch {
            await simulated?.stop()
            throw error
        }
        var configuration = HTTPTransport.Configuration()
        configuration.caBundlePath = profile.caBundlePath
        let transport: HTTPTransport
        do {
            transport = try HTTPTransport(configuration: configuration, environment: environment)
        } catch {
            await simulated?.stop()
            throw error
        }
        do {
            let client = try RDSAPIClient(profile: profile, transport: transport, logger: logger)
            return CloudSession(client: client, transport: transport, simulated: simulated)
        } catch {
            try? await transport.shutdown()
            await simulated?.stop()
            throw error
        }
    }

    func close() async {
        try? await transport.shutdown()
        await simulated?.stop()
    }
}
