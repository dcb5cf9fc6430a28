import Foundation
import RDSSimulator
import RDSTestSupport
import Testing

@testable import RDSClient

/// Credentials as OTC users have them (issue 15), against the simulator on loopback.
@Suite struct OTCCredentialsTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/otc-clouds.yaml").path

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

    func client(_ fixture: SimulatorFixture, _ profile: CloudProfile) throws -> RDSAPIClient {
        let clock = fixture.simulator.clock
        return try RDSAPIClient(profile: profile, transport: fixture.transport, logger: fixture.logs.logger(), now: { clock.now() })
    }

    // MARK: - clouds.yaml

    @Test func theOTCExtensionsSampleCloudsYAMLWorksUnchanged() async throws {
        try await SimulatorFixture.with { fixture in
            let loader = CredentialLoader(environment: ["OS_CLIENT_CONFIG_FILE": Self.fixture], homeDirectory: nil, currentDirectory: "/nonexistent")
            let profile = try loader.load(.cloudsYAML(cloud: "otc"), overrides: ProfileOverrides(authURL: fixture.simulator.iamURL))
            #expect(profile.region == "eu-de")
            #expect(profile.origin.regionFrom == "project name")
            guard case .password(let password) = profile.credentials else {
                Issue.record("the password must win over the ak/sk kept for OBS: \(profile.credentials)")
                return
            }
            #expect(password.username == "backup-operator")
            #expect(profile.origin.notes.contains { $0.contains("auth_type: aksk") })
            let client = try client(fixture, profile)
            let instances = try await client.listInstances()
            #expect(instances.contains { $0.id == SimulatorFixture.orders })
            #expect(!fixture.simulator.requests().contains { $0.auth == .akSk }, "the OBS keys are never used for RDS")
            let report = try await client.describeConnection()
            #expect(report.method == "password")
            #expect(report.projectName == "eu-de")
            #expect(report.projectID == fixture.configuration.projectID)
            #expect(report.rdsEndpointFrom == "catalog")
            #expect(report.iamEndpointFrom == "setting")
            #expect(report.source.contains("clouds.yaml cloud 'otc'"))
        }
    }

    @Test func profileOTCSuppliesRegionAndIAMURL() throws {
        let directory = try TemporaryDirectory()
        try directory.write("clouds.yaml", """
            clouds:
              otc:
                profile: otc
                auth:
                  username: u
                  password: p
                  user_domain_name: OTC00000000001000000001
                  project_id: 0483b6b16e954cb88930a360d2c4e663
            """)
        let profile = try CredentialLoader(environment: ["OS_CLIENT_CONFIG_FILE": directory.path + "/clouds.yaml"], homeDirectory: nil, currentDirectory: "/nonexistent")
            .load(.cloudsYAML(cloud: "otc"))
        #expect(profile.region == "eu-de")
        #expect(profile.origin.regionFrom == "profile otc")
        #expect(profile.authURL == "https://iam.eu-de.otc.t-systems.com/v3")
        #expect(profile.origin.authURLFrom == "profile otc")
    }

    @Test func aSubprojectNameGivesItsRegion() throws {
        let profile = try CredentialLoader(environment: [
            "OS_USERNAME": "u", "OS_PASSWORD": "p", "OS_USER_DOMAIN_NAME": "d", "OS_PROJECT_NAME": "eu-nl_backups",
        ]).load(.environment)
        #expect(profile.region == "eu-nl")
        #expect(profile.projectName == "eu-nl_backups")
    }

    @Test func authTypeAkskChoosesTheKeysAndTheCatalogGivesTheEndpoint() async throws {
        try await SimulatorFixture.with { fixture in
            let key = fixture.configuration.accessKeys[0]
            let directory = try TemporaryDirectory()
            try directory.write("clouds.yaml", """
                clouds:
                  otc:
                    profile: otc
                    auth_type: aksk
                    auth:
                      username: backup-operator
                      project_name: eu-de
                      user_domain_name: OTC00000000001000000001
                    ak: \(key.accessKey)
                    region_name: eu-de
                """)
            try directory.write("secure.yaml", """
                clouds:
                  otc:
                    auth:
                      password: simulator-password
                    sk: \(key.secretKey.reveal())
                """)
            let profile = try CredentialLoader(environment: ["OS_CLIENT_CONFIG_FILE": directory.path + "/clouds.yaml"])
                .load(.cloudsYAML(cloud: "otc"), overrides: ProfileOverrides(authURL: fixture.simulator.iamURL))
            guard case .accessKey = profile.credentials else {
                Issue.record("auth_type aksk must choose the keys")
                return
            }
            #expect(profile.projectID == nil)
            let client = try client(fixture, profile)
            #expect(try await client.listInstances().contains { $0.id == SimulatorFixture.orders })
            let routes = fixture.simulator.requests().map(\.path)
            #expect(routes.contains("/v3/projects"), "the project name is resolved through IAM: \(routes)")
            #expect(routes.contains("/v3/auth/catalog"), "the endpoint comes from IAM's catalog: \(routes)")
            #expect(fixture.simulator.counters().tokensIssued == 0)
            let report = try await client.describeConnection()
            #expect(report.method == "access keys")
            #expect(report.projectID == fixture.configuration.projectID)
            #expect(report.rdsEndpointFrom == "catalog")
            #expect(report.rdsEndpoint == fixture.simulator.endpoint)
        }
    }

    @Test func temporaryKeySpellings() throws {
        for spelling in ["security_token", "securitytoken", "token"] {
            let directory = try TemporaryDirectory()
            try directory.write("clouds.yaml", """
                clouds:
                  otc:
                    auth:
                      ak: AKTEMP
                      sk: SKTEMP
                      \(spelling): TOKEN-VALUE
                      project_id: p1
                    region_name: eu-de
                """)
            let profile = try CredentialLoader(environment: ["OS_CLIENT_CONFIG_FILE": directory.path + "/clouds.yaml"])
                .load(.cloudsYAML(cloud: "otc"))
            guard case .accessKey(let keys) = profile.credentials else {
                Issue.record("\(spelling): not keys")
                continue
            }
            #expect(keys.securityToken?.reveal() == "TOKEN-VALUE", "\(spelling)")
            #expect(profile.credentials.method == "temporary keys")
        }
    }

    @Test func anUnknownProfileOrAuthTypeIsNamed() throws {
        let directory = try TemporaryDirectory()
        try directory.write("clouds.yaml", "clouds:\n  a:\n    profile: nosuchcloud\n    auth: {username: u, password: p}\n  b:\n    auth_type: v3oidc\n    auth: {username: u, password: p, project_id: x}\n    region_name: eu-de\n")
        let loader = CredentialLoader(environment: ["OS_CLIENT_CONFIG_FILE": directory.path + "/clouds.yaml"])
        #expect { try loader.load(.cloudsYAML(cloud: "a")) } throws: { "\($0)".contains("profile 'nosuchcloud'") }
        #expect { try loader.load(.cloudsYAML(cloud: "b")) } throws: { "\($0)".contains("auth_type 'v3oidc'") }
    }

    // MARK: - Never lock the user

    /// Three entries, every minute, for 20 simulated minutes, with a wrong password: IAM sees one
    /// password post; a corrected credential file makes the next call succeed.
    @Test func aRefusedPasswordIsPostedOnceIn20MinutesAndACorrectedFileIsUsed() async throws {
        try await SimulatorFixture.with { fixture in
            let directory = try TemporaryDirectory()
            let config = fixture.configuration
            try directory.write("OS_USERNAME", config.users[0].name + "\n")
            try directory.write("OS_PASSWORD", "Rotated-Away-Pw-1\n")
            try directory.write("OS_USER_DOMAIN_NAME", config.domainName)
            try directory.write("OS_PROJECT_ID", config.projectID)
            let environment = ["CREDENTIALS_DIRECTORY": directory.path, "OS_REGION_NAME": "eu-de"]
            let profile = try CredentialLoader(environment: environment)
                .load(.credentialsDirectory, overrides: ProfileOverrides(authURL: fixture.simulator.iamURL))
            let client = try client(fixture, profile)
            var errors: [RDSError] = []
            for _ in 0..<20 {
                for _ in 0..<3 {
                    if let error = await failure({ _ = try await client.listInstances() }) { errors.append(error) }
                }
                fixture.simulator.clock.advance(by: 60)
            }
            let posts = fixture.simulator.requests().filter { $0.route == .token }
            #expect(posts.count == 1, "IAM saw \(posts.count) password posts")
            #expect(errors.count == 60)
            #expect(errors.allSatisfy { $0.errorClass == .auth && !$0.errorClass.isRetryable })
            #expect(errors.dropFirst().allSatisfy { $0.credentialsRefusedAt != nil })
            #expect(errors[1].description.contains("credentials refused at"), "\(errors[1])")
            #expect(errors.allSatisfy { !$0.description.contains("Rotated-Away-Pw-1") })

            try directory.write("OS_PASSWORD", config.users[0].password.reveal())
            #expect(try await client.listInstances().count > 0)
            #expect(fixture.simulator.requests().filter { $0.route == .token }.count == 2)
        }
    }

    @Test func afterTheCooldownOneMoreAttemptAndAReloadOpensTheGate() async throws {
        try await SimulatorFixture.with { fixture in
            var profile = fixture.passwordProfile
            profile.credentials = .password(PasswordCredentials(username: "backup-operator", password: Secret("Wrong-Pw-9"), userDomainName: fixture.configuration.domainName))
            profile.refusalCooldown = .seconds(15 * 60)
            let client = try client(fixture, profile)
            func posts() -> Int { fixture.simulator.requests().filter { $0.route == .token }.count }
            _ = await failure { _ = try await client.listInstances() }
            fixture.simulator.clock.advance(by: 14 * 60)
            _ = await failure { _ = try await client.listInstances() }
            #expect(posts() == 1)
            fixture.simulator.clock.advance(by: 61)
            _ = await failure { _ = try await client.listInstances() }
            _ = await failure { _ = try await client.listInstances() }
            #expect(posts() == 2, "one attempt after the cool-down")
            client.credentialsReloaded()
            _ = await failure { _ = try await client.listInstances() }
            #expect(posts() == 3, "a reload lets one attempt through")
        }
    }

    @Test func aCooldownShorterThanOTCsLockoutWindowIsRefused() {
        #expect(throws: ClientConfigurationError.self) {
            try CredentialLoader(environment: [
                "OS_USERNAME": "u", "OS_PASSWORD": "p", "OS_USER_DOMAIN_NAME": "d", "OS_PROJECT_ID": "x",
                "OS_REGION_NAME": "eu-de", "RDS_BACKUPD_REFUSAL_COOLDOWN": "5m",
            ]).load(.environment)
        }
    }

    // MARK: - Temporary keys and agency

    @Test func expiredTemporaryKeysAreReadAgainFromTheirFiles() async throws {
        try await SimulatorFixture.with(configure: { config in
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            config.accessKeys.append(.init(accessKey: "TEMPAK1", secretKey: Secret("temp-secret-1"), securityToken: Secret("temp-token-1"), expiresAt: start.addingTimeInterval(900)))
            config.accessKeys.append(.init(accessKey: "TEMPAK2", secretKey: Secret("temp-secret-2"), securityToken: Secret("temp-token-2"), expiresAt: start.addingTimeInterval(7200)))
        }) { fixture in
            let directory = try TemporaryDirectory()
            try directory.write("OS_ACCESS_KEY", "TEMPAK1")
            try directory.write("OS_SECRET_KEY", "temp-secret-1")
            try directory.write("OS_SECURITY_TOKEN", "temp-token-1")
            try directory.write("OS_PROJECT_ID", fixture.configuration.projectID)
            let profile = try CredentialLoader(environment: ["CREDENTIALS_DIRECTORY": directory.path, "OS_REGION_NAME": "eu-de"])
                .load(.credentialsDirectory, overrides: ProfileOverrides(endpoint: fixture.simulator.endpoint))
            let client = try client(fixture, profile)
            #expect(try await client.listInstances().count > 0)
            fixture.simulator.clock.advance(by: 1000)
            let expired = try #require(await failure { _ = try await client.listInstances() })
            #expect(expired.errorClass == .auth)
            #expect(expired.description.contains("temporary access keys expired"), "\(expired)")
            #expect(expired.description.contains("unchanged"))
            #expect(!expired.description.contains("temp-secret-1") && !expired.description.contains("temp-token-1"))

            // An external rotator replaces the files: the next call reads them.
            try directory.write("OS_ACCESS_KEY", "TEMPAK2")
            try directory.write("OS_SECRET_KEY", "temp-secret-2")
            try directory.write("OS_SECURITY_TOKEN", "temp-token-2")
            #expect(try await client.listInstances().count > 0)
        }
    }

    @Test func agencyKeysAreRenewedBeforeTheyExpireAcrossHours() async throws {
        try await SimulatorFixture.with { fixture in
            let environment = [
                "RDS_BACKUPD_METADATA_URL": fixture.simulator.endpoint + "/openstack/latest/securitykey",
                "OS_REGION_NAME": "eu-de", "OS_PROJECT_ID": fixture.configuration.projectID, "OS_AUTH_URL": fixture.simulator.iamURL,
            ]
            let profile = try CredentialLoader(environment: environment).load(.agency)
            guard case .agency = profile.credentials else {
                Issue.record("not agency")
                return
            }
            let client = try client(fixture, profile)
            for _ in 0..<(6 * 12) {
                #expect(try await client.listInstances().count > 0)
                fixture.simulator.clock.advance(by: 5 * 60)
            }
            let requests = fixture.simulator.requests()
            #expect(!requests.contains { $0.status == 401 }, "no call was refused")
            let fetches = requests.filter { $0.route == .metadata }.count
            #expect(fetches >= 6 && fetches <= 20, "fetched \(fetches) times in 6 hours")
            #expect(Set(requests.filter { $0.route == .listInstances }.map(\.auth)) == [.akSk])
            let report = try await client.describeConnection()
            #expect(report.method == "agency")
            #expect(report.rdsEndpointFrom == "catalog")
        }
    }

    @Test func aHostWithoutAgencySaysSo() async throws {
        try await SimulatorFixture.with(configure: { $0.agency = nil }) { fixture in
            let profile = try CredentialLoader(environment: [
                "RDS_BACKUPD_METADATA_URL": fixture.simulator.endpoint + "/openstack/latest/securitykey",
                "OS_REGION_NAME": "eu-de", "OS_PROJECT_ID": fixture.configuration.projectID,
            ]).load(.agency)
            let error = try #require(await failure { _ = try await client(fixture, profile).listInstances() })
            #expect(error.description.contains("IAM agency"), "\(error)")
        }
    }

    // MARK: - Errors the real API returns

    @Test func instanceStatusRefusalIsBusyAndTheRetryMakesOneBackup() async throws {
        try await SimulatorFixture.with { fixture in
            let client = try fixture.client()
            fixture.simulator.inject(
                .apiError(status: 400, code: "DBS.200086", message: "This operation is not allowed by the DB instance status."),
                on: .createBackup)
            let request = CreateBackupRequest(instanceID: SimulatorFixture.orders, name: try BackupName("busy-once"))
            let busy = try #require(await failure { _ = try await client.createBackup(request) })
            #expect(busy.errorClass == .busy)
            _ = try await client.createBackup(request)
            #expect(fixture.simulator.backups().filter { $0.instanceID == SimulatorFixture.orders }.count == 1)
        }
    }

    @Test func dbs201014IsBusyUnlessTheInstanceIsAReplica() async throws {
        try await SimulatorFixture.with { fixture in
            let client = try fixture.client()
            let replica = try #require(await failure {
                _ = try await client.createBackup(CreateBackupRequest(instanceID: SimulatorFixture.replica, name: try BackupName("of-replica")))
            })
            #expect(replica.code == "DBS.201014")
            #expect(replica.errorClass == .permanent)
            #expect(replica.description.contains("read replica"))
            fixture.simulator.inject(.apiError(status: 400, code: "DBS.201014", message: "This operation is not allowed for the DB instance."), on: .createBackup)
            let busy = try #require(await failure {
                _ = try await client.createBackup(CreateBackupRequest(instanceID: SimulatorFixture.orders, name: try BackupName("status-says-no")))
            })
            #expect(busy.errorClass == .busy)
        }
    }

    // MARK: - Proxy credentials

    @Test func proxyCredentialsAreSentAndA407IsAPermanentErrorNamingTheProxyOnly() async throws {
        try await ScriptedHTTPServer.with(script: { _ in .http(status: 407, headers: [("Proxy-Authenticate", "Basic realm=\"corp\"")], body: []) }) { proxy in
            let transport = try HTTPTransport(environment: ["HTTPS_PROXY": "http://backup:Proxy-Pw%40123@127.0.0.1:\(proxy.port)"])
            defer { Task { try? await transport.shutdown() } }
            let profile = CloudProfile(
                region: "eu-de", projectID: "0483b6b16e954cb88930a360d2c4e663", endpoint: "https://rds.example.invalid",
                credentials: .accessKey(AccessKeyCredentials(accessKey: "AK", secretKey: Secret("sk"))))
            let client = try RDSAPIClient(profile: profile, transport: transport)
            let error = try #require(await failure { _ = try await client.listInstances() })
            try await transport.shutdown()
            #expect(error.errorClass == .permanent)
            #expect(error.description.contains("127.0.0.1:\(proxy.port)"), "\(error)")
            #expect(error.description.contains("407"))
            #expect(!error.description.contains("Proxy-Pw"))
            let seen = try #require(proxy.requests.first)
            #expect(seen.method == "CONNECT")
            let expected = "Basic " + Data("backup:Proxy-Pw@123".utf8).base64EncodedString()
            #expect(seen.headers["proxy-authorization"] == expected)
        }
    }
}
