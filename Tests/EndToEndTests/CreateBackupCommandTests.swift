import Foundation
import RDSClient
import RDSSimulator
import RDSTestSupport
import Testing

/// `rds-backupd create-backup` as a built binary, against a simulator served from the test process.
@Suite struct CreateBackupCommandTests {
    static let orders = "d8e6ca5a624745bcb546a227aa3ae1cfin01"
    static let password = "simulator-password"

    /// A wall-clock simulator (the binary polls in real time) whose backups finish at once.
    func withSimulator(_ body: (RDSSimulator, [String: String]) async throws -> Void) async throws {
        var configuration = SimulatorConfiguration.demo
        configuration.backupDuration = 0
        let simulator = RDSSimulator(configuration: configuration, clock: .wall())
        try await simulator.start()
        let environment = [
            "OS_AUTH_URL": simulator.iamURL, "OS_USERNAME": configuration.users[0].name, "OS_PASSWORD": Self.password,
            "OS_USER_DOMAIN_NAME": configuration.domainName, "OS_PROJECT_ID": configuration.projectID,
            "OS_REGION_NAME": configuration.region,
        ]
        do {
            try await body(simulator, environment)
        } catch {
            try? await simulator.shutdown()
            throw error
        }
        try await simulator.shutdown()
    }

    @Test func createsWaitsAndPrintsJSON() async throws {
        try await withSimulator { simulator, environment in
            let output = try await BinaryRunner.run(
                ["create-backup", "--instance", Self.orders, "--name", "orders-e2e-0001", "--description", "from the test",
                 "--wait", "--poll-interval", "1s", "--json"], environment: environment)
            #expect(output.status == 0, "\(output.stderr)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
            #expect(json["name"] as? String == "orders-e2e-0001")
            #expect(json["status"] as? String == "COMPLETED")
            #expect(json["instance_id"] as? String == Self.orders)
            #expect(simulator.backups().map(\.name) == ["orders-e2e-0001"])
            #expect(simulator.backups().first?.description == "from the test")
        }
    }

    @Test func invalidInputExits2AndSendsNothing() async throws {
        try await withSimulator { simulator, environment in
            for arguments in [
                ["--name", "1-starts-with-digit"], ["--name", "ab"], ["--name", "has space"],
                ["--name", "good-name", "--description", "no <tags>"], ["--name", "good-name", "--retry-attempts", "0"],
            ] {
                let output = try await BinaryRunner.run(["create-backup", "--instance", Self.orders] + arguments, environment: environment)
                #expect(output.status == 2, "\(arguments): \(output.stderr)")
                #expect(output.stderr.contains("Error:"))
            }
            let missing = try await BinaryRunner.run(["create-backup", "--instance", Self.orders, "--name", "good-name"], environment: [:])
            #expect(missing.status == 2, "no credentials is invalid input")
            #expect(missing.stderr.contains("OS_REGION_NAME"))
            #expect(simulator.requests().isEmpty, "nothing was sent")
        }
    }

    @Test func apiRefusalExits3WithCodeMessageAndRequestID() async throws {
        try await withSimulator { simulator, environment in
            let output = try await BinaryRunner.run(
                ["create-backup", "--instance", "00000000000000000000000000000000in01", "--name", "nobody-home"], environment: environment)
            #expect(output.status == 3)
            #expect(output.stderr.contains("DBS."))
            #expect(output.stderr.contains("[request "))
        }
    }

    @Test func transientFailuresAreRetriedThenExit4() async throws {
        try await withSimulator { simulator, environment in
            simulator.inject(.serverError(status: 503), on: .createBackup, count: 2)
            let recovered = try await BinaryRunner.run(
                ["create-backup", "--instance", Self.orders, "--name", "retried-0001", "--retry-initial", "1s", "--retry-max", "1s"],
                environment: environment)
            #expect(recovered.status == 0, "\(recovered.stderr)")
            // One line per retry, saying how long the failed attempt ran and when the next comes.
            let retries = recovered.stderr.split(separator: "\n").filter { $0.contains(" failed after ") }
            #expect(retries.count == 2, "\(recovered.stderr)")
            #expect(retries.first?.hasPrefix("attempt 1 failed after ") == true, "\(recovered.stderr)")
            #expect(retries.last?.contains("; attempt 3 ") == true, "\(recovered.stderr)")
            #expect(simulator.backups().filter { $0.name == "retried-0001" }.count == 1)

            simulator.inject(.serverError(status: 503), on: .createBackup, count: 3)
            let exhausted = try await BinaryRunner.run(
                ["create-backup", "--instance", Self.orders, "--name", "exhausted-0001", "--retry-attempts", "2",
                 "--retry-initial", "1s", "--retry-max", "1s"], environment: environment)
            #expect(exhausted.status == 4)
            #expect(exhausted.stderr.contains("gave up after 2 attempts"))
        }
    }

    @Test func lostAnswerIsAdoptedNotDuplicated() async throws {
        try await withSimulator { simulator, environment in
            simulator.inject(.resetAfterHandling, on: .createBackup)
            let output = try await BinaryRunner.run(
                ["create-backup", "--instance", Self.orders, "--name", "adopted-0001", "--retry-initial", "1s", "--retry-max", "1s"],
                environment: environment)
            #expect(output.status == 0, "\(output.stderr)")
            #expect(simulator.backups().filter { $0.name == "adopted-0001" }.count == 1)
        }
    }

    @Test func noSecretInAnyOutput() async throws {
        try await withSimulator { simulator, environment in
            simulator.inject(.expireAllTokens, on: .listBackups)
            var wrong = environment
            wrong["OS_PASSWORD"] = "Wrong-Password-4711"
            let outputs = [
                try await BinaryRunner.run(["create-backup", "--instance", Self.orders, "--name", "secret-0001", "--wait", "--poll-interval", "1s", "-v"], environment: environment),
                try await BinaryRunner.run(["create-backup", "--instance", Self.orders, "--name", "secret-0002", "-v"], environment: wrong),
            ]
            #expect(outputs[0].status == 0)
            #expect(outputs[1].status == 3)
            for output in outputs {
                for secret in [Self.password, "Wrong-Password-4711", "X-Auth-Token"] {
                    #expect(!output.stdout.contains(secret))
                    #expect(!output.stderr.contains(secret))
                }
            }
            #expect(outputs[0].stderr.contains("request answered"), "verbose logging ran")
        }
    }

    @Test func simulateFlagNeedsNoAccount() async throws {
        let output = try await BinaryRunner.run(
            ["create-backup", "--simulate", "--instance", Self.orders, "--name", "simulated-0001", "--json"], environment: [:])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("\"status\":\"BUILDING\""))
    }

    /// Nothing listens: one clean sentence with the endpoint (no NIO internals, no errno), and
    /// retry lines that say how long the failed attempt took; exit 4 (retries exhausted).
    @Test func aRefusedConnectionIsOneSentenceWithTheEndpoint() async throws {
        var configuration = SimulatorConfiguration.demo
        configuration.backupDuration = 0
        let simulator = RDSSimulator(configuration: configuration, clock: .wall())
        try await simulator.start()
        let closed = simulator.endpoint
        try await simulator.shutdown()
        let endpoint = try #require(URLComponents(string: closed))
        let environment = [
            "OS_AUTH_URL": closed + "/v3", "OS_USERNAME": configuration.users[0].name, "OS_PASSWORD": Self.password,
            "OS_USER_DOMAIN_NAME": configuration.domainName, "OS_PROJECT_ID": configuration.projectID,
            "OS_REGION_NAME": configuration.region,
        ]
        let output = try await BinaryRunner.run(
            ["create-backup", "--instance", Self.orders, "--name", "refused-0001", "--retry-attempts", "2",
             "--retry-initial", "1s", "--retry-max", "1s"], environment: environment)
        #expect(output.status == 4, "\(output.stderr)")
        let hostPort = "\(endpoint.host ?? "?"):\(endpoint.port ?? 0)"
        #expect(output.stderr.contains("could not connect to \(hostPort): connection refused"), "\(output.stderr)")
        #expect(output.stderr.contains("attempt 1 failed after "), "\(output.stderr)")
        #expect(output.stderr.contains("; attempt 2 "), "\(output.stderr)")
        for noise in ["errno", "(error set)", "NIOConnectionError", "connect(descriptor"] {
            #expect(!output.stderr.contains(noise), "\(noise) in \(output.stderr)")
        }
    }
}
