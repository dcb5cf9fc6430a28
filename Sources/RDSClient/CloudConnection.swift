import Foundation
import Logging

/// A client with the transport it owns: the one way to build both.
///
/// Every command and the service open their clients here, so "check the profile, start the
/// transport, shut it down on every failure path" exists once. A started transport that is dropped
/// without `shutdown()` traps, so nothing else may start one for a client.
public struct CloudConnection: Sendable {
    public let client: RDSAPIClient
    public let transport: HTTPTransport

    /// Validates the profile, starts a transport and builds the client on it. Sends nothing.
    /// On any failure nothing is left running.
    public static func open(
        profile: CloudProfile,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger = Logger(label: "rds-backupd.client"),
        now: @escaping @Sendable () -> Date = { Date() }
    ) async throws(ClientConfigurationError) -> CloudConnection {
        // Checked before the transport starts: a refused profile must not leave one running.
        try RDSAPIClient.check(profile)
        var configuration = HTTPTransport.Configuration()
        configuration.caBundlePath = profile.caBundlePath
        let transport = try HTTPTransport(configuration: configuration, environment: environment)
        do {
            let client = try RDSAPIClient(profile: profile, transport: transport, logger: logger, now: now)
            return CloudConnection(client: client, transport: transport)
        } catch {
            try? await transport.shutdown()
            throw error
        }
    }

    /// Stops the transport; in-flight requests fail. Safe to call once per connection.
    public func shutdown() async {
        try? await transport.shutdown()
    }
}
