import Foundation
import Logging
import RDSSimulator
import RDSTestSupport
import Synchronization
import Testing

@testable import RDSClient

/// Every client operation and error class, over real HTTP on loopback against the simulator.
@Suite struct ClientAgainstSimulatorTests {
    let orders = SimulatorFixture.orders

    func name(_ text: String) throws -> BackupName { try BackupName(text) }

    @Test func createFollowAndListABackupThroughTheCatalogEndpoint() async throws {
        try await SimulatorFixture.with { fixture in
            let client = try fixture.client()
            let created = try await client.createBackup(
                CreateBackupRequest(instanceID: orders, name: try name("orders-20261129-0200"), description: try BackupDescription("nightly")))
            #expect(created.status == .building)
            #expect(created.type == .manual)
            #expect(created.name == "orders-20261129-0200")
            #expect(try await client.serviceRoot().description == fixture.simulator.endpoint + "/v3/" + fixture.configuration.projectID)

            fixture.simulator.clock.advance(by: fixture.configuration.backupDuration + 1)
            let followed = try #require(try await client.backup(id: created.id, instanceID: orders))
            #expect(followed.status == .completed)
            #expect((followed.sizeKB ?? 0) > 0)
            #expect(followed.endTime != nil)
            // OTC's listing (and so following, which lists by id) carries no description.
            #expect(followed.description == nil)

            let listed = try await client.listBackups(BackupQuery(instanceID: orders, type: .manual))
            #expect(listed.map(\.id) == [created.id])
            #expect(fixture.simulator.counters().tokensIssued == 1, "one token serves every call")
        }
    }

    @Test func sqlServerPartialBackupCarriesItsDatabases() async throws {
        try await SimulatorFixture.with { fixture in
            let created = try await fixture.client().createBackup(
                CreateBackupRequest(instanceID: SimulatorFixture.payroll, name: try name("payroll-partial"), databases: ["hr", "payroll"]))
            #expect(created.databases == ["hr", "payroll"])
            #expect(fixture.simulator.backups().first?.databases == ["hr", "payroll"])
        }
    }

    @Test func listingFollowsOffsetAndLimitToTheEnd() async throws {
        try await SimulatorFixture.with { fixture in
            let client = try fixture.client()
            for index in 0..<230 {
                _ = try await client.createBackup(CreateBackupRequest(instanceID: orders, name: try name("page-\(index)")))
                fixture.simulator.clock.advance(by: fixture.configuration.backupDuration + 1)
            }
            let all = try await client.listBackups(BackupQuery(instanceID: orders))
            #expect(all.count == 230)
            #expect(Set(all.map(\.name)).count == 230)
            let offsets = fixture.simulator.requests().filter { $0.route == .listBackups }.compactMap { $0.queryValue("offset") }
            #expect(offsets == ["0", "100", "200"])
        }
    }

    @Test func timeWindowIsSentEncodedAndFilters() async throws {
        try await SimulatorFixture.with { fixture in
            let client = try fixture.client()
            let start = fixture.simulator.clock.now()
            _ = try await client.createBackup(CreateBackupRequest(instanceID: orders, name: try name("early-one")))
            fixture.simulator.clock.advance(by: 7200)
            _ = try await client.createBackup(CreateBackupRequest(instanceID: orders, name: try name("later-one")))
            let window = start.addingTimeInterval(3600)...start.addingTimeInterval(10_800)
            let found = try await client.listBackups(BackupQuery(instanceID: orders, window: window))
            #expect(found.map(\.name) == ["later-one"])
            let request = try #require(fixture.simulator.requests().last { $0.route == .listBackups })
            #expect(request.queryValue("begin_time") == APITime.formatQuery(window.lowerBound))
            #expect(request.queryValue("begin_time")?.hasSuffix("+0000") == true)
        }
    }

    @Test func deleteGoesThroughDeletingToGone() async throws {
        try await SimulatorFixture.with { fixture in
            let client = try fixture.client()
            let created = try await client.createBackup(CreateBackupRequest(instanceID: orders, name: try name("to-delete")))
            fixture.simulator.clock.advance(by: fixture.configuration.backupDuration + 1)
            #expect(try await client.deleteBackup(id: created.id))
            #expect(try await client.backup(id: created.id, instanceID: orders)?.status == .deleting)
            fixture.simulator.clock.advance(by: fixture.configuration.deleteDuration + 1)
            #expect(try await client.backup(id: created.id, instanceID: orders) == nil, "gone: empty list or 'does not exist'")
            #expect(try await client.deleteBackup(id: created.id) == false, "deleting a gone backup is not an error")
        }
    }

    @Test func instancesByIDAndByName() async throws {
        try await SimulatorFixture.with { fixture in
            let client = try fixture.client()
            let instance = try #require(try await client.instance(id: orders))
            #expect(instance.name == "orders")
            #expect(instance.isActive)
            #expect(!instance.isReplica)
            #expect(instance.engine == "mysql")
            #expect(try await client.instance(id: SimulatorFixture.replica)?.isReplica == true)
            #expect(try await client.instance(id: SimulatorFixture.payroll)?.isSQLServer == true)
            #expect(try await client.instance(id: "00000000000000000000000000000000in01") == nil)
            #expect(try await client.listInstances(InstanceQuery(name: "orders")).map(\.id) == [orders])
            #expect(try await client.listInstances().count == fixture.configuration.instances.count)
        }
    }

    // MARK: - Error classes

    func failure(_ operation: () async throws -> Void) async -> RDSError? {
        do {
            try await operation()
            return nil
        } catch let error as RDSError {
            return error
        } catch {
            Issue.record("not an RDSError: \(error)")
            return nil
        }
    }

    @Test(arguments: [500, 502, 503])
    func serverErrorsAreTransient(status: Int) async throws {
        try await SimulatorFixture.with { fixture in
            fixture.simulator.inject(.serverError(status: status), on: .listBackups)
            let error = try #require(await failure { _ = try await fixture.client().listBackups(BackupQuery(instanceID: orders)) })
            #expect(error.errorClass == .transient)
            #expect(error.status == status)
            #expect(!error.message.isEmpty)
        }
    }

    @Test func throttlingIsTransientAndCarriesRetryAfter() async throws {
        try await SimulatorFixture.with { fixture in
            fixture.simulator.inject(.throttled(retryAfter: 7), on: .createBackup)
            let error = try #require(await failure {
                _ = try await fixture.client().createBackup(CreateBackupRequest(instanceID: orders, name: try name("throttled")))
            })
            #expect(error.errorClass == .transient)
            #expect(error.status == 429)
            #expect(error.code == "APIG.0308")
            #expect(error.retryAfter == .seconds(7))
            #expect(error.requestID != nil)
            #expect(fixture.simulator.backups().isEmpty)
        }
    }

    @Test func aSecondBackupWhileOneBuildsIsBusy() async throws {
        try await SimulatorFixture.with { fixture in
            let client = try fixture.client()
            _ = try await client.createBackup(CreateBackupRequest(instanceID: orders, name: try name("first-one")))
            let error = try #require(await failure {
                _ = try await client.createBackup(CreateBackupRequest(instanceID: orders, name: try name("second-one")))
            })
            #expect(error.errorClass == .busy)
            #expect(error.code == "DBS.201205")
        }
    }

    @Test func aTakenNameIsAlreadyExists() async throws {
        try await SimulatorFixture.with { fixture in
            let client = try fixture.client()
            _ = try await client.createBackup(CreateBackupRequest(instanceID: orders, name: try name("taken-name")))
            fixture.simulator.clock.advance(by: fixture.configuration.backupDuration + 1)
            let error = try #require(await failure {
                _ = try await client.createBackup(CreateBackupRequest(instanceID: orders, name: try name("taken-name")))
            })
            #expect(error.errorClass == .alreadyExists)
            #expect(error.status == 409)
        }
    }

    @Test func unknownInstanceAndReplicaArePermanent() async throws {
        try await SimulatorFixture.with { fixture in
            let client = try fixture.client()
            let unknown = try #require(await failure {
                _ = try await client.createBackup(CreateBackupRequest(instanceID: "00000000000000000000000000000000in01", name: try name("nobody-home")))
            })
            #expect(unknown.errorClass == .permanent)
            #expect(unknown.isInstanceNotFound)
            let replica = try #require(await failure {
                _ = try await client.createBackup(CreateBackupRequest(instanceID: SimulatorFixture.replica, name: try name("replica-bk")))
            })
            #expect(replica.errorClass == .permanent)
            #expect(fixture.simulator.backups().isEmpty)
        }
    }

    @Test func quotaIsPermanentAndSaysSo() async throws {
        try await SimulatorFixture.with(configure: { $0.manualBackupQuota = 1 }) { fixture in
            let client = try fixture.client()
            _ = try await client.createBackup(CreateBackupRequest(instanceID: orders, name: try name("quota-1")))
            fixture.simulator.clock.advance(by: fixture.configuration.backupDuration + 1)
            let error = try #require(await failure {
                _ = try await client.createBackup(CreateBackupRequest(instanceID: orders, name: try name("quota-2")))
            })
            #expect(error.errorClass == .permanent)
            #expect(error.isQuotaExceeded)
            // What frees room is the caller's to say (the slot runner runs the entry's retention first).
            #expect(error.description.hasSuffix("— the manual backup quota is reached"))
        }
    }

    @Test func malformedAnswerToCreateIsTransientAndMayHaveTakenEffect() async throws {
        try await SimulatorFixture.with { fixture in
            fixture.simulator.inject(.malformedJSON, on: .createBackup)
            let error = try #require(await failure {
                _ = try await fixture.client().createBackup(CreateBackupRequest(instanceID: orders, name: try name("garbled")))
            })
            #expect(error.errorClass == .transient)
            #expect(error.mayHaveTakenEffect)
            #expect(fixture.simulator.backups().count == 1, "the simulator did create it")
        }
    }

    @Test func malformedListAnswerIsTransient() async throws {
        try await SimulatorFixture.with { fixture in
            fixture.simulator.inject(.malformedJSON, on: .listInstances)
            let error = try #require(await failure { _ = try await fixture.client().listInstances() })
            #expect(error.errorClass == .transient)
        }
    }

    @Test func resetsAreTransientAndCreateMayHaveTakenEffect() async throws {
        try await SimulatorFixture.with { fixture in
            let client = try fixture.client()
            fixture.simulator.inject(.resetBeforeHandling, on: .createBackup)
            let before = try #require(await failure {
                _ = try await client.createBackup(CreateBackupRequest(instanceID: orders, name: try name("reset-before")))
            })
            #expect(before.errorClass == .transient)
            #expect(before.mayHaveTakenEffect, "the client cannot know the server did nothing")
            #expect(fixture.simulator.backups().isEmpty)

            fixture.simulator.inject(.resetAfterHandling, on: .createBackup)
            let after = try #require(await failure {
                _ = try await client.createBackup(CreateBackupRequest(instanceID: orders, name: try name("reset-after")))
            })
            #expect(after.errorClass == .transient)
            #expect(after.mayHaveTakenEffect)
            #expect(fixture.simulator.backups().map(\.name) == ["reset-after"])
        }
    }

    @Test func aSlowServerTimesOutAsTransient() async throws {
        var transport = HTTPTransport.Configuration()
        // Generous enough for the token request on a loaded machine; the injected delay is longer.
        transport.requestTimeout = .seconds(1)
        try await SimulatorFixture.with(transport: transport) { fixture in
            let client = try fixture.client()
            _ = try await client.listInstances()  // token first, so the delay hits the create
            fixture.simulator.inject(.delayAfterHandling(seconds: 3), on: .createBackup)
            let error = try #require(await failure {
                _ = try await client.createBackup(CreateBackupRequest(instanceID: orders, name: try name("slow-one")))
            })
            #expect(error.errorClass == .transient)
            #expect(error.mayHaveTakenEffect)
        }
    }

    @Test func refusedConnectionIsTransientAndCertainlyNotSent() async throws {
        // AsyncHTTPClient retries a refused connect until the connect timeout: keep it short here.
        var transport = HTTPTransport.Configuration()
        transport.connectTimeout = .milliseconds(500)
        try await SimulatorFixture.with(transport: transport) { fixture in
            let client = try fixture.client()
            try await fixture.simulator.shutdown()
            let error = try #require(await failure {
                _ = try await client.createBackup(CreateBackupRequest(instanceID: orders, name: try name("nobody-listens")))
            })
            #expect(error.errorClass == .transient)
            #expect(!error.mayHaveTakenEffect, "\(error)")
        }
    }

    // MARK: - Authentication

    @Test func revokedTokenIsRenewedOnceTransparently() async throws {
        try await SimulatorFixture.with { fixture in
            let client = try fixture.client()
            _ = try await client.listInstances()
            fixture.simulator.expireAllTokens()
            #expect(try await client.listInstances().count > 0)
            #expect(fixture.simulator.counters().tokensIssued == 2)
        }
    }

    @Test func tokenIsRefreshedBeforeItExpires() async throws {
        try await SimulatorFixture.with { fixture in
            let client = try fixture.client()
            _ = try await client.listInstances()
            fixture.simulator.clock.advance(by: fixture.configuration.tokenLifetime - 60)
            _ = try await client.listInstances()
            #expect(fixture.simulator.counters().tokensIssued == 2)
            #expect(!fixture.simulator.requests().contains { $0.status == 401 }, "refreshed before, not after, a 401")
        }
    }

    @Test func concurrentCallersShareOneTokenRequest() async throws {
        try await SimulatorFixture.with { fixture in
            let client = try fixture.client()
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<12 { group.addTask { try await client.listInstances().count } }
                for try await count in group { #expect(count > 0) }
            }
            #expect(fixture.simulator.counters().tokensIssued == 1)
        }
    }

    @Test func wrongPasswordIsAnAuthErrorWithoutTheSecret() async throws {
        try await SimulatorFixture.with { fixture in
            var profile = fixture.passwordProfile
            profile.credentials = .password(PasswordCredentials(username: "backup-operator", password: Secret("Wrong-Pw-123"), userDomainName: fixture.configuration.domainName))
            let error = try #require(await failure { _ = try await fixture.client(profile).listInstances() })
            #expect(error.errorClass == .auth)
            #expect(error.status == 401)
            #expect(!error.description.contains("Wrong-Pw-123"))
        }
    }

    @Test func scopingByProjectNameLearnsTheProjectID() async throws {
        try await SimulatorFixture.with { fixture in
            var profile = fixture.passwordProfile
            profile.projectID = nil
            profile.projectName = fixture.configuration.projectName
            let client = try fixture.client(profile)
            #expect(try await client.serviceRoot().projectID == fixture.configuration.projectID)
        }
    }

    @Test func accessKeySigningIsAccepted() async throws {
        try await SimulatorFixture.with { fixture in
            let client = try fixture.client(fixture.accessKeyProfile)
            let created = try await client.createBackup(CreateBackupRequest(instanceID: orders, name: try name("signed-one")))
            #expect(try await client.listBackups(BackupQuery(instanceID: orders, backupID: created.id, window: Date(timeIntervalSince1970: 1_799_000_000)...Date(timeIntervalSince1970: 1_801_000_000))).count == 1)
            let kinds = Set(fixture.simulator.requests().map(\.auth))
            #expect(kinds == [.akSk])
            #expect(fixture.simulator.counters().tokensIssued == 0)
        }
    }

    @Test func wrongSecretKeyIsAnAuthError() async throws {
        try await SimulatorFixture.with { fixture in
            var profile = fixture.accessKeyProfile
            profile.credentials = .accessKey(AccessKeyCredentials(accessKey: fixture.configuration.accessKeys[0].accessKey, secretKey: Secret("not-the-secret-key")))
            let error = try #require(await failure { _ = try await fixture.client(profile).listInstances() })
            #expect(error.errorClass == .auth)
            #expect(!error.description.contains("not-the-secret-key"))
        }
    }

    // MARK: - Secrets

    @Test func noSecretReachesAnyLogLineOrError() async throws {
        let password = "simulator-password"
        try await SimulatorFixture.with { fixture in
            let client = try fixture.client()
            var texts: [String] = []
            _ = try await client.createBackup(CreateBackupRequest(instanceID: orders, name: try name("secret-scan")))
            fixture.simulator.expireAllTokens()
            fixture.simulator.inject(.serverError(status: 500), on: .listBackups)
            if let error = await failure({ _ = try await client.listBackups(BackupQuery(instanceID: orders)) }) { texts.append(error.description) }
            _ = try await client.listBackups(BackupQuery(instanceID: orders))
            let aksk = try fixture.client(fixture.accessKeyProfile)
            _ = try await aksk.listInstances()
            texts += fixture.logs.all
            #expect(fixture.logs.all.count > 5, "the scan looked at real log lines")
            let secrets = [password, fixture.configuration.accessKeys[0].secretKey.reveal(), "MII"]
            for text in texts {
                for secret in secrets { #expect(!text.contains(secret), "\(text)") }
            }
        }
    }
}
