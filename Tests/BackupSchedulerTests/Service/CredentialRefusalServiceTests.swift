import Foundation
import RDSClient
import RDSSimulator
import RDSTestSupport
import Testing

@testable import BackupScheduler

/// Never lock the IAM user (issue 15): the service with a refused password, on a manual clock.
@Suite struct CredentialRefusalServiceTests {
    /// Three every-minute entries for 20 simulated minutes with a rotated-away password: IAM sees
    /// one password post, the journal one failure above debug, the status line says it; the
    /// corrected credential file makes the next slot succeed.
    @Test func aRefusedPasswordIsPostedOnceAndACorrectedFileMakesTheNextSlotSucceed() async throws {
        try await ServiceHarness.with { h in
            let directory = TestScratch.path("rds-refusal")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let user = h.simulator.configuration.users[0]
            func write(_ name: String, _ value: String) throws {
                try value.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
            }
            try write("OS_USERNAME", user.name)
            try write("OS_PASSWORD", "Rotated-Away-Pw-2")
            try write("OS_USER_DOMAIN_NAME", h.simulator.configuration.domainName)
            try write("OS_PROJECT_ID", ServiceHarness.projectID)
            let profile = try CredentialLoader(environment: ["CREDENTIALS_DIRECTORY": directory, "OS_REGION_NAME": "eu-de"])
                .load(.credentialsDirectory, overrides: ProfileOverrides(authURL: h.simulator.iamURL))
            let clock = ManualServiceClock(start: h.clock.now(), autoAdvance: false) { [simulatorClock = h.simulator.clock] in simulatorClock.set($0) }
            let client = try RDSAPIClient(profile: profile, transport: h.fixture.transport, logger: h.logs.logger(), now: { clock.now() })
            let harness = ServiceHarness(
                fixture: h.fixture, clock: clock, store: h.store, stateDirectory: h.stateDirectory, client: client, gate: h.gate)
            let schedule = try harness.schedule(backups: """
                  - { alias: orders, instance_id: \(SimulatorFixture.orders), cron: "* * * * *", retry: { attempts: 1 } }
                  - { alias: payroll, instance_id: \(SimulatorFixture.payroll), cron: "* * * * *", retry: { attempts: 1 } }
                  - { alias: inventory, instance_id: 7a0e5f3c2b1d4e6f8a9b0c1d2e3f4a5bin03, cron: "* * * * *", retry: { attempts: 1 } }
                """)
            let start = clock.now()
            let driver = try await ServiceDriver.start(harness, clock: clock, schedule: schedule)
            await driver.run(until: start.addingTimeInterval(20 * 60))

            let posts = h.simulator.requests().filter { $0.route == .token }
            #expect(posts.count == 1, "IAM saw \(posts.count) password posts in 20 minutes")
            let failed = try h.store.allSlots().filter { $0.state == .failed }
            #expect(failed.count >= 57, "every slot failed: \(failed.count)")
            #expect(failed.dropFirst(3).allSatisfy { $0.errorCode == RDSError.credentialsRefusedCode })
            let journalled = h.logs.all.filter {
                $0.contains("MESSAGE_ID=\(BackupEvent.backupFailed.messageID)") && !$0.hasPrefix("debug")
            }
            #expect(journalled.count == 1, "one journal entry for the refusal: \(journalled.count)")
            let status = await driver.service.statusLine()
            #expect(status.hasPrefix("credentials refused at "), "\(status)")
            #expect(h.logs.all.allSatisfy { !$0.contains("Rotated-Away-Pw-2") })

            try write("OS_PASSWORD", user.password.reveal())
            await driver.run(until: start.addingTimeInterval(22 * 60))
            try await driver.stop()
            #expect(try h.store.allSlots().contains { $0.state == .completed }, "the corrected file made the next slot succeed")
            #expect(h.simulator.requests().filter { $0.route == .token }.count == 2)
            #expect(!(await driver.service.statusLine()).hasPrefix("credentials refused"))
        }
    }
}
