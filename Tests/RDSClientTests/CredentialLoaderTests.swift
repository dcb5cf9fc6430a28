import Foundation
import RDSTestSupport
import Testing

@testable import RDSClient

/// A temporary directory removed when the test ends.
final class TemporaryDirectory {
    let path: String
    init() throws {
        path = TestScratch.path("rds-backupd-test")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func write(_ name: String, _ text: String) throws {
        let full = path + "/" + name
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

@Suite struct CredentialLoaderTests {
    let password = "pw-Secret-4711"

    func loader(_ environment: [String: String], home: String? = nil, cwd: String = "/nonexistent") -> CredentialLoader {
        CredentialLoader(environment: environment, homeDirectory: home, currentDirectory: cwd)
    }

    @Test func environmentPasswordCredentials() throws {
        let profile = try loader([
            "OS_AUTH_URL": "https://iam.eu-de.otc.t-systems.com/v3", "OS_USERNAME": "alice", "OS_PASSWORD": password,
            "OS_USER_DOMAIN_NAME": "OTC00000000001000000001", "OS_PROJECT_NAME": "eu-de_sub", "OS_REGION_NAME": "eu-de",
        ]).load(.environment)
        #expect(profile.region == "eu-de")
        #expect(profile.projectName == "eu-de_sub")
        #expect(profile.authURL == "https://iam.eu-de.otc.t-systems.com/v3")
        guard case .password(let credentials) = profile.credentials else { Issue.record("not password"); return }
        #expect(credentials.username == "alice")
        #expect(credentials.password.reveal() == password)
        #expect(credentials.userDomainName == "OTC00000000001000000001")
    }

    @Test func environmentAccessKeysWithAProjectNameOrID() throws {
        let base = ["OS_ACCESS_KEY": "AKEXAMPLE", "OS_SECRET_KEY": password, "OS_REGION_NAME": "eu-nl"]
        // A name is looked up through IAM with the keys (OTCCredentialsTests), so it loads.
        let byName = try loader(base.merging(["OS_PROJECT_NAME": "eu-nl"]) { $1 }).load(.environment)
        #expect(byName.projectID == nil && byName.projectName == "eu-nl")
        let profile = try loader(base.merging(["OS_PROJECT_ID": "p1", "OS_SECURITY_TOKEN": "tok"]) { $1 }).load(.environment)
        guard case .accessKey(let keys) = profile.credentials else { Issue.record("not AK/SK"); return }
        #expect(keys.accessKey == "AKEXAMPLE")
        #expect(keys.securityToken?.reveal() == "tok")
    }

    @Test func missingPiecesAreNamedAndNoSecretIsQuoted() {
        let cases: [([String: String], String)] = [
            (["OS_USERNAME": "a", "OS_PASSWORD": password, "OS_PROJECT_ID": "p"], "OS_REGION_NAME"),
            (["OS_USERNAME": "a", "OS_REGION_NAME": "eu-de", "OS_PROJECT_ID": "p"], "OS_PASSWORD"),
            (["OS_USERNAME": "a", "OS_PASSWORD": password, "OS_REGION_NAME": "eu-de", "OS_PROJECT_ID": "p"], "OS_USER_DOMAIN_NAME"),
            (["OS_USERNAME": "a", "OS_PASSWORD": password, "OS_USER_DOMAIN_NAME": "d", "OS_REGION_NAME": "eu-de"], "OS_PROJECT_ID"),
            (["OS_REGION_NAME": "eu-de", "OS_PROJECT_ID": "p"], "OS_USERNAME"),
            (["OS_ACCESS_KEY": "AK", "OS_REGION_NAME": "eu-de", "OS_PROJECT_ID": "p"], "OS_SECRET_KEY"),
        ]
        for (environment, mentioned) in cases {
            do {
                _ = try loader(environment).load(.environment)
                Issue.record("accepted \(environment.keys.sorted())")
            } catch {
                #expect(error.description.contains(mentioned), "\(error.description)")
                #expect(!error.description.contains(password))
            }
        }
    }

    @Test func cloudsYAMLWithSecureYAMLAndSearchPath() throws {
        let home = try TemporaryDirectory()
        try home.write(".config/openstack/clouds.yaml", """
            clouds:
              otc:
                auth:
                  auth_url: https://iam.eu-de.otc.t-systems.com:443/v3
                  username: bob
                  user_domain_name: OTC00000000001000000002
                  project_id: 0483b6b16e954cb88930a360d2c4e663
                region_name: eu-de
                identity_api_version: 3
              other:
                region_name: eu-nl
            """)
        try home.write(".config/openstack/secure.yaml", """
            clouds:
              otc:
                auth:
                  password: \(password)
            """)
        let profile = try loader([:], home: home.path).load(.cloudsYAML(cloud: "otc"), overrides: ProfileOverrides(endpoint: "http://127.0.0.1:1"))
        #expect(profile.projectID == "0483b6b16e954cb88930a360d2c4e663")
        #expect(profile.endpoint == "http://127.0.0.1:1")
        guard case .password(let credentials) = profile.credentials else { Issue.record("not password"); return }
        #expect(credentials.password.reveal() == password, "secure.yaml supplies the password")

        do {
            _ = try loader([:], home: home.path).load(.cloudsYAML(cloud: "nope"))
            Issue.record("unknown cloud accepted")
        } catch {
            #expect(error.description.contains("has no cloud 'nope'; it has: otc, other"))
        }
        let explicit = try loader(["OS_CLIENT_CONFIG_FILE": home.path + "/.config/openstack/clouds.yaml"]).cloudsYAMLCandidates()
        #expect(explicit.first == home.path + "/.config/openstack/clouds.yaml")
    }

    @Test func brokenCloudsYAMLSaysWhereWithoutQuotingIt() throws {
        let directory = try TemporaryDirectory()
        try directory.write("clouds.yaml", "clouds:\n  otc:\n    auth: {password: \(password)\n")
        do {
            _ = try loader([:], cwd: directory.path).load(.cloudsYAML(cloud: "otc"))
            Issue.record("broken YAML accepted")
        } catch {
            #expect(error.description.contains("clouds.yaml:"))
            #expect(error.description.contains("not valid YAML"))
            #expect(!error.description.contains(password))
        }
    }

    @Test func credentialsDirectoryFilesOverrideTheEnvironment() throws {
        let directory = try TemporaryDirectory()
        try directory.write("OS_PASSWORD", password + "\n")
        try directory.write("OS_USERNAME", "carol\n")
        let environment = [
            "CREDENTIALS_DIRECTORY": directory.path, "OS_USERNAME": "ignored", "OS_USER_DOMAIN_NAME": "d",
            "OS_PROJECT_ID": "p", "OS_REGION_NAME": "eu-de",
        ]
        let profile = try loader(environment).load(.credentialsDirectory)
        guard case .password(let credentials) = profile.credentials else { Issue.record("not password"); return }
        #expect(credentials.username == "carol")
        #expect(credentials.password.reveal() == password, "the trailing newline is dropped")
        #expect(throws: ClientConfigurationError.self) { try loader([:]).load(.credentialsDirectory) }
    }

    @Test func authSourceSpellings() throws {
        #expect(try AuthSource(parsing: "env") == .environment)
        #expect(try AuthSource(parsing: "credentials") == .credentialsDirectory)
        #expect(try AuthSource(parsing: "clouds.yaml:otc") == .cloudsYAML(cloud: "otc"))
        #expect(throws: ClientConfigurationError.self) { try AuthSource(parsing: "clouds.yaml:") }
        #expect(throws: ClientConfigurationError.self) { try AuthSource(parsing: "vault") }
    }
}
