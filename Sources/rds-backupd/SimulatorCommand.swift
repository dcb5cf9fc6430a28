import ArgumentParser
import Foundation
import Logging
import RDSClient
import RDSSimulator
import ServiceLifecycle

/// `rds-backupd simulator`: the embedded IAM + RDS v3 simulator, served standalone on loopback.
struct SimulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulator",
        abstract: "Serve the embedded RDS v3 + IAM simulator on a loopback port, for trying the tools without a cloud.",
        discussion: """
            It knows the demo instances (orders, payroll, inventory, orders-replica), one password user \
            and one access key, follows the wall clock, and prints the settings a client needs. \
            Stop it with Ctrl-C or SIGTERM.

            Examples:
              rds-backupd simulator                             # on 127.0.0.1:8980, config/demo.yaml's endpoints
              rds-backupd simulator --port 0 --backup-duration 5s
            """)

    @Option(help: "Loopback address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port).")
    var port = 8980

    @Option(name: .customLong("backup-duration"), help: "How long a backup stays BUILDING.")
    var backupDuration = DurationArgument(.seconds(60))

    func validate() throws {
        guard EndpointURL.isLoopback(host) else {
            throw ValidationError("--host must be a loopback address (127.0.0.0/8, ::1, localhost): the simulator accepts fake credentials")
        }
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
    }

    func run() async throws {
        var configuration = SimulatorConfiguration.demo
        configuration.backupDuration = backupDuration.duration.timeInterval
        var logger = Logger(label: "rds-backupd.simulator") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .info
        let simulator = RDSSimulator(configuration: configuration, clock: .wall(), logger: logger)
        try await simulator.start(host: host, port: port)
        let user = configuration.users[0]
        let key = configuration.accessKeys[0]
        // Written unbuffered, so a script reading the pipe sees it at once.
        FileHandle.standardOutput.write(Data("""
            simulator listening on \(simulator.endpoint)
            # password token (endpoint from the catalog):
            export OS_AUTH_URL=\(simulator.iamURL) OS_REGION_NAME=\(configuration.region) OS_PROJECT_ID=\(configuration.projectID)
            export OS_USERNAME=\(user.name) OS_PASSWORD=\(user.password.reveal()) OS_USER_DOMAIN_NAME=\(configuration.domainName)
            # or access keys: OS_ACCESS_KEY=\(key.accessKey) OS_SECRET_KEY=\(key.secretKey.reveal()) with --endpoint \(simulator.endpoint)
            # instances: \(configuration.instances.map { "\($0.name)=\($0.id)" }.joined(separator: " "))

            """.utf8))
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: RunningSimulator(simulator: simulator), successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// Keeps an already started simulator serving until the group shuts down, then stops it.
struct RunningSimulator: Service {
    let simulator: RDSSimulator

    func run() async throws {
        try? await gracefulShutdown()
        try await simulator.shutdown()
    }
}
