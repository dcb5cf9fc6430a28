import Foundation
import Logging
import RDSClient
import RDSSimulator
import Synchronization

/// Log lines captured in memory, to assert on what the client logs (and what it never logs).
public final class CapturedLogs: Sendable {
    private let lines = Mutex<[String]>([])
    public init() {}
    /// Every line so far, in order.
    public var all: [String] { lines.withLock { $0 } }
    public func append(_ line: String) { lines.withLock { $0.append(line) } }

    /// A logger whose lines land here.
    public func logger(level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: "test") { _ in CapturingHandler(sink: self) }
        logger.logLevel = level
        return logger
    }

    struct CapturingHandler: LogHandler {
        let sink: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            sink.append("\(event.level) \(event.message) \(merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        }
    }
}

/// A simulator on a loopback port with a manual clock, and a client for it.
public struct SimulatorFixture: Sendable {
    public static let orders = "d8e6ca5a624745bcb546a227aa3ae1cfin01"
    public static let payroll = "5e1c0c8f1d4a4b7e9b6a0f1e2d3c4b5ain04"
    public static let replica = "c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8in01"

    public let simulator: RDSSimulator
    public let transport: HTTPTransport
    public let logs = CapturedLogs()

    public var configuration: SimulatorConfiguration { simulator.configuration }

    /// Runs `body` with a started simulator; always shuts both down.
    public static func with<T>(
        configure: (inout SimulatorConfiguration) -> Void = { _ in },
        transport transportConfiguration: HTTPTransport.Configuration = .init(),
        _ body: (SimulatorFixture) async throws -> T
    ) async throws -> T {
        var configuration = SimulatorConfiguration.demo
        configure(&configuration)
        let simulator = RDSSimulator(configuration: configuration, clock: SimulatorClock(start: Date(timeIntervalSince1970: 1_800_000_000)))
        try await simulator.start()
        let transport = try HTTPTransport(configuration: transportConfiguration, environment: [:])
        let fixture = SimulatorFixture(simulator: simulator, transport: transport)
        do {
            let result = try await body(fixture)
            try await transport.shutdown()
            try await simulator.shutdown()
            return result
        } catch {
            try? await transport.shutdown()
            try? await simulator.shutdown()
            throw error
        }
    }

    /// Password credentials; the endpoint comes from the token catalog.
    public var passwordProfile: CloudProfile {
        let user = configuration.users[0]
        return CloudProfile(
            region: configuration.region, projectID: configuration.projectID, authURL: simulator.iamURL,
            credentials: .password(PasswordCredentials(username: user.name, password: user.password, userDomainName: configuration.domainName)))
    }

    /// AK/SK credentials with an explicit endpoint.
    public var accessKeyProfile: CloudProfile {
        let key = configuration.accessKeys[0]
        return CloudProfile(
            region: configuration.region, projectID: configuration.projectID, endpoint: simulator.endpoint,
            credentials: .accessKey(AccessKeyCredentials(accessKey: key.accessKey, secretKey: key.secretKey)))
    }

    /// A client on the simulator's clock, logging into `logs`.
    public func client(_ profile: CloudProfile? = nil) throws -> RDSAPIClient {
        let clock = simulator.clock
        return try RDSAPIClient(profile: profile ?? passwordProfile, transport: transport, logger: logs.logger(), now: { clock.now() })
    }
}
