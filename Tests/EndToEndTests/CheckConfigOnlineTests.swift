import Foundation
import RDSSimulator
import RDSTestSupport
import Testing

/// `check-config --online` as a built binary against an in-process simulator.
@Suite struct CheckConfigOnlineTests {
    func withSimulator(_ body: (RDSSimulator, [String: String]) async throws -> Void) async throws {
        let simulator = RDSSimulator(configuration: .demo, clock: .wall())
        try await simulator.start()
        let configuration = simulator.configuration
        let environment = [
            "OS_USERNAME": configuration.users[0].name, "OS_PASSWORD": configuration.users[0].password.reveal(),
            "OS_USER_DOMAIN_NAME": configuration.domainName,
        ]
        do { try await body(simulator, environment) } catch {
            try? await simulator.shutdown()
            throw error
        }
        try await simulator.shutdown()
    }

    func schedule(_ simulator: RDSSimulator, _ entries: String) throws -> String {
        let directory = TestScratch.path("rds-online")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/schedule.yaml"
        try """
            cloud: { region: eu-de, project_id: 0483b6b16e954cb88930a360d2c4e663, auth: env, auth_url: "\(simulator.iamURL)" }
            defaults: { timezone: Europe/Berlin, name: "{instance_name}-{engine}-{slot:%Y%m%d-%H%M}" }
            backups:
            \(entries)
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func healthyInstancesPassAndNamesUseTheRealInstance() async throws {
        try await withSimulator { simulator, environment in
            let path = try schedule(simulator, """
                  - { alias: orders, instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01, cron: "0 2 * * *" }
                  - { alias: payroll, instance_id: 5e1c0c8f1d4a4b7e9b6a0f1e2d3c4b5ain04, cron: "0 3 * * *", databases: [hr] }
                """)
            let output = try await BinaryRunner.run(["check-config", path, "--online", "--from", "2026-01-10T00:00:00Z"], environment: environment)
            #expect(output.status == 0, "\(output.stderr)")
            #expect(output.stderr.contains("orders: instance 'orders' (MySQL 8.0, Ha, ACTIVE): ok"))
            #expect(output.stderr.contains("payroll: instance 'payroll' (SQLServer 2017_SE, Single, ACTIVE): ok"))
            #expect(output.stdout.contains("orders-mysql-20260110-0200"))
            #expect(output.stdout.contains("payroll-sqlserver-20260110-0300"))
            #expect(!output.stdout.contains("note: offline"))
        }
    }

    @Test func replicaWrongEngineAndMissingInstancesFail() async throws {
        try await withSimulator { simulator, environment in
            simulator.updateInstance(id: "d8e6ca5a624745bcb546a227aa3ae1cfin01") { $0.status = "REBOOTING" }
            let path = try schedule(simulator, """
                  - { alias: orders, instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01, cron: "0 2 * * *" }
                  - { alias: replica, instance_id: c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8in01, cron: "0 3 * * *" }
                  - { alias: inventory, instance_id: 7a0e5f3c2b1d4e6f8a9b0c1d2e3f4a5bin03, cron: "0 4 * * *", databases: [a] }
                  - { alias: ghost, instance_id: 00000000000000000000000000000000in01, cron: "0 5 * * *" }
                """)
            let output = try await BinaryRunner.run(["check-config", path, "--online"], environment: environment)
            #expect(output.status == 1)
            #expect(output.stderr.contains("orders: instance 'orders' (MySQL 8.0, Ha, REBOOTING): warning: status REBOOTING"))
            #expect(output.stderr.contains("replica: instance 'orders-replica'") && output.stderr.contains("read replica"))
            #expect(output.stderr.contains("inventory:") && output.stderr.contains("partial backups are SQL Server only"))
            #expect(output.stderr.contains("ghost: instance 00000000000000000000000000000000in01 does not exist"))
        }
    }

    @Test func missingCredentialsExit2AndWrongPasswordFails() async throws {
        try await withSimulator { simulator, environment in
            let path = try schedule(simulator, """
                  - { alias: orders, instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01, cron: "0 2 * * *" }
                """)
            let none = try await BinaryRunner.run(["check-config", path, "--online"], environment: [:])
            #expect(none.status == 2)
            #expect(none.stderr.contains("OS_USERNAME"))
            var wrong = environment
            wrong["OS_PASSWORD"] = "Not-The-Password-1"
            let refused = try await BinaryRunner.run(["check-config", path, "--online"], environment: wrong)
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("cannot check instance"))
            #expect(!refused.stderr.contains("Not-The-Password-1"))
            #expect(simulator.requests().allSatisfy { $0.path.hasSuffix("/auth/tokens") || $0.path.hasSuffix("/instances") })
        }
    }

    /// A region outside the built-in table, without `auth_url`, is refused before anything starts:
    /// `check-config --online` and `run` exit 2 naming the region (this once trapped in AsyncHTTPClient's
    /// "not shut down" check, since the refused client's transport was dropped while running).
    @Test func unknownRegionWithoutAuthURLIsRefusedCleanly() async throws {
        let directory = TestScratch.path("rds-online")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/schedule.yaml"
        try """
            cloud: { region: xx-north-9, project_id: 0483b6b16e954cb88930a360d2c4e663, auth: env }
            backups:
              - { alias: orders, instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01, cron: "0 2 * * *" }
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let environment = ["OS_USERNAME": "u", "OS_PASSWORD": "Fake-Password-42", "OS_USER_DOMAIN_NAME": "d"]
        let checked = try await BinaryRunner.run(["check-config", path, "--online"], environment: environment)
        #expect(checked.status == 2, "\(checked.stderr)")
        #expect(checked.stderr.contains("region 'xx-north-9' is not in the built-in table"), "\(checked.stderr)")
        let ran = try await BinaryRunner.run(
            ["run", "--schedule", path, "--state-dir", directory + "/state", "--log-target", "stderr"], environment: environment)
        #expect(ran.status == 2, "\(ran.stderr)")
        #expect(ran.stderr.contains("region 'xx-north-9' is not in the built-in table"), "\(ran.stderr)")
        #expect(!(checked.stderr + ran.stderr).contains("Fake-Password-42"))
    }
}
