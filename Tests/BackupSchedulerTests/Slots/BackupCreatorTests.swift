import Foundation
import RDSSimulator
import RDSTestSupport
import Testing

@testable import BackupScheduler
@testable import RDSClient

/// `BackupCreator` against the simulator over loopback: one backup per name, whatever the network does.
@Suite struct BackupCreatorTests {
    let orders = SimulatorFixture.orders

    func name(_ text: String) throws -> BackupName { try BackupName(text) }

    @Test(arguments: [
        SimulatedFault.serverError(status: 503), .serverError(status: 502), .throttled(retryAfter: 1),
        .resetBeforeHandling, .resetAfterHandling, .malformedJSON, .expireAllTokens,
    ])
    func exactlyOneBackupUnderEachFault(fault: SimulatedFault) async throws {
        try await SimulatorFixture.with { fixture in
            let retrier = Retrier(policy: RetryPolicy(attempts: 5, initial: .seconds(1), max: .seconds(2)), clock: ManualServiceClock(start: fixture.simulator.clock.now()))
            let creator = BackupCreator(client: try fixture.client(), retrier: retrier, logger: fixture.logs.logger())
            // A revoked token is renewed once per call; two revocations in a row are an auth failure (pinned below).
            fixture.simulator.inject(fault, on: .createBackup, count: fault == .expireAllTokens ? 1 : 2)
            let outcome = try await creator.create(CreateBackupRequest(instanceID: orders, name: try name("exactly-once")))
            #expect(outcome.backup.name == "exactly-once")
            #expect(fixture.simulator.backups().count == 1, "\(fault): \(fixture.simulator.backups().map(\.id))")
        }
    }

    @Test func aNameTakenBeforeTheCallIsNotAdopted() async throws {
        try await SimulatorFixture.with { fixture in
            let client = try fixture.client()
            _ = try await client.createBackup(CreateBackupRequest(instanceID: orders, name: try name("foreign-name")))
            fixture.simulator.clock.advance(by: fixture.configuration.backupDuration + 1)
            let retrier = Retrier(policy: RetryPolicy(attempts: 3), clock: ManualServiceClock(start: fixture.simulator.clock.now()))
            let creator = BackupCreator(client: client, retrier: retrier, logger: fixture.logs.logger())
            await #expect(throws: RDSError.self) {
                _ = try await creator.create(CreateBackupRequest(instanceID: orders, name: try name("foreign-name")))
            }
            #expect(fixture.simulator.backups().count == 1)
        }
    }

    @Test func tokensRevokedTwiceInARowFailAsAuthWithoutRetrying() async throws {
        try await SimulatorFixture.with { fixture in
            let retrier = Retrier(policy: RetryPolicy(attempts: 5), clock: ManualServiceClock(start: fixture.simulator.clock.now()))
            let creator = BackupCreator(client: try fixture.client(), retrier: retrier, logger: fixture.logs.logger())
            fixture.simulator.inject(.expireAllTokens, on: .createBackup, count: 2)
            do {
                _ = try await creator.create(CreateBackupRequest(instanceID: orders, name: try name("revoked-twice")))
                Issue.record("created despite revoked tokens")
            } catch let error as RDSError {
                #expect(error.errorClass == .auth)
                #expect(error.code == "APIG.0307")
            }
            #expect(fixture.simulator.counters().tokensIssued == 2, "exactly one re-authentication")
        }
    }
}
