import Foundation
import RDSClient
import RDSSimulator
import RDSTestSupport
import Testing

/// Issue 15 through the built binary: the clouds.yaml OTC users have, check-config --online's
/// report, and no secret of the new sources (agency keys, temporary keys, proxy password) in any
/// output.
@Suite struct CredentialSourcesEndToEndTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/otc-clouds.yaml").path
    static let orders = SimulatorFixture.orders

    func withSimulator(
        _ configure: (inout SimulatorConfiguration) -> Void = { _ in }, _ body: (RDSSimulator) async throws -> Void
    ) async throws {
        var configuration = SimulatorConfiguration.demo
        configuration.backupDuration = 0
        configure(&configuration)
        let simulator = RDSSimulator(configuration: configuration, clock: .wall())
        try await simulator.start()
        do { try await body(simulator) } catch {
            try? await simulator.shutdown()
            throw error
        }
        try await simulator.shutdown()
    }

    @Test func theOTCExtensionsSampleCloudsYAMLCreatesABackupUnchanged() async throws {
        try await withSimulator { simulator in
            let output = try await BinaryRunner.run(
                ["create-backup", "--os-cloud", "otc", "--auth-url", simulator.iamURL, "--instance", Self.orders, "--name", "otc-sample-0001"],
                environment: ["OS_CLIENT_CONFIG_FILE": Self.fixture], timeout: .seconds(60))
            #expect(output.status == 0, "\(output.stderr)")
            #expect(simulator.backups().contains { $0.name == "otc-sample-0001" })
            #expect(!simulator.requests().contains { $0.auth == .akSk }, "the ak/sk kept for OBS are not used")
        }
    }

    @Test func checkConfigOnlineSaysWhatWasChosen() async throws {
        try await withSimulator { simulator in
            let directory = TestScratch.path("rds-creds-report")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let path = directory + "/schedule.yaml"
            try """
                cloud: { auth: "clouds.yaml:otc", auth_url: "\(simulator.iamURL)", project_name: eu-de, region: eu-de }
                backups:
                  - { alias: orders, instance_id: \(Self.orders), cron: "0 2 * * *" }
                """.write(toFile: path, atomically: true, encoding: .utf8)
            let output = try await BinaryRunner.run(
                ["check-config", path, "--online", "--json"], environment: ["OS_CLIENT_CONFIG_FILE": Self.fixture])
            #expect(output.status == 0, "\(output.stderr)")
            #expect(output.stderr.contains("credentials: password from clouds.yaml cloud 'otc'"), "\(output.stderr)")
            #expect(output.stderr.contains("project: eu-de (\(simulator.configuration.projectID))"))
            #expect(output.stderr.contains("RDS: \(simulator.endpoint) (from catalog)"))
            #expect(output.stderr.contains("IAM: \(simulator.iamURL) (from setting)"))
            #expect(output.stderr.contains("note: access keys (ak/sk) present but not used"))
            let line = try #require(output.stderr.split(separator: "\n").first { $0.hasPrefix("{\"cloud\"") })
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let connection = try #require(object["connection"] as? [String: Any])
            #expect(connection["method"] as? String == "password")
            #expect(connection["project_id"] as? String == simulator.configuration.projectID)
            #expect(connection["rds_endpoint_from"] as? String == "catalog")
            #expect(!output.stderr.contains("simulator-password"))
        }
    }

    @Test func agencyTemporaryKeysAndAProxyPasswordNeverReachAnOutput() async throws {
        let canary = "Leak-Canary-Proxy-Pw-31c7"
        try await withSimulator({ configuration in
            configuration.accessKeys.append(
                .init(accessKey: "LEAKTEMPAK0000000001", secretKey: Secret("Leak-Canary-TempSK-88a1"),
                      securityToken: Secret("Leak-Canary-TempToken-77b2"), expiresAt: Date(timeIntervalSince1970: 1_000_000)))
        }) { simulator in
            var outputs: [(String, BinaryRunner.Output)] = []
            let project = simulator.configuration.projectID
            // Agency keys (their secret and security token start with the simulator's token prefix).
            let agency = [
                "RDS_BACKUPD_METADATA_URL": simulator.endpoint + "/openstack/latest/securitykey", "OS_REGION_NAME": "eu-de",
                "OS_PROJECT_ID": project, "OS_AUTH_URL": simulator.iamURL,
            ]
            let directory = TestScratch.path("rds-creds-leak")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let schedule = directory + "/schedule.yaml"
            try """
                cloud: { auth: agency, region: eu-de, project_id: \(project) }
                backups:
                  - { alias: orders, instance_id: \(Self.orders), cron: "0 2 * * *" }
                """.write(toFile: schedule, atomically: true, encoding: .utf8)
            let agencyRun = try await BinaryRunner.run(["check-config", schedule, "--online", "--json"], environment: agency)
            #expect(agencyRun.status == 0, "\(agencyRun.stderr)")
            #expect(agencyRun.stderr.contains("credentials: agency"), "\(agencyRun.stderr)")
            outputs.append(("agency", agencyRun))
            // Expired temporary keys from OS_* variables.
            let temporary = [
                "OS_ACCESS_KEY": "LEAKTEMPAK0000000001", "OS_SECRET_KEY": "Leak-Canary-TempSK-88a1",
                "OS_SECURITY_TOKEN": "Leak-Canary-TempToken-77b2", "OS_PROJECT_ID": project, "OS_REGION_NAME": "eu-de",
            ]
            let expired = try await BinaryRunner.run(
                ["create-backup", "--instance", Self.orders, "--name", "leak-temp-0001", "--endpoint", simulator.endpoint, "-v"],
                environment: temporary, timeout: .seconds(60))
            #expect(expired.status != 0)
            #expect(expired.stderr.contains("temporary access keys expired"), "\(expired.stderr)")
            outputs.append(("expired temporary keys", expired))
            // A proxy with a password in its URL (the simulator plays a proxy that opens no tunnel).
            let proxied = try await BinaryRunner.run(
                ["create-backup", "--instance", Self.orders, "--name", "leak-proxy-0001", "--endpoint", "https://rds.example.invalid",
                 "--retry-attempts", "1", "-v"],
                environment: temporary.merging(["HTTPS_PROXY": "http://backup:\(canary)@127.0.0.1:\(simulator.port)"]) { $1 },
                timeout: .seconds(60))
            #expect(proxied.status != 0)
            #expect(proxied.stderr.contains("proxy 127.0.0.1:\(simulator.port)"), "\(proxied.stderr)")
            outputs.append(("proxy", proxied))
            for (label, output) in outputs {
                for needle in ["Leak-Canary", "MIIsim"] {
                    #expect(!output.stdout.contains(needle) && !output.stderr.contains(needle), "\(needle) in \(label): \(output.stderr)")
                }
            }
        }
    }
}
