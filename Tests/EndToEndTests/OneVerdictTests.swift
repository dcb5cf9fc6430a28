import Foundation
import RDSTestSupport
import Testing

/// `check-config` refuses what `run` refuses (exit 2, the unit's RestartPreventExitStatus=), finds
/// the service's credentials the way the unit hands them over, and every command names its files
/// the same way and shows examples in its help.
@Suite struct OneVerdictTests {
    static let orders = "d8e6ca5a624745bcb546a227aa3ae1cfin01"
    static let fixture = BinaryRunner.packageRoot.appendingPathComponent("Tests/Fixtures/otc-clouds.yaml").path

    static func schedule(cloud: String) throws -> String {
        try ScheduleCommandsTests.scheduleFile("""
            cloud: { \(cloud) }
            backups:
              - { alias: orders, instance_id: \(orders), cron: "0 2 * * *" }
            """).path
    }

    /// `check-config` and `run` of the same file, with the same environment.
    static func both(_ file: String, environment: [String: String] = [:]) throws -> (check: BinaryRunner.Output, run: BinaryRunner.Output) {
        let check = try ScheduleCommandsTests.run(["check-config", file], environment: environment)
        let state = TestScratch.path("one-verdict-state")
        let run = try ScheduleCommandsTests.run(["run", "--schedule", file, "--state-dir", state, "--log-target", "stderr"], environment: environment)
        return (check, run)
    }

    @Test func aZoneInPlaceOfARegionIsAnErrorNamingTheRegion() throws {
        let file = try Self.schedule(cloud: "region: eu-de-01, project_id: 0483b6b16e954cb88930a360d2c4e663, auth: env")
        let (check, run) = try Self.both(file)
        #expect(check.status == 1)
        #expect(check.stderr.contains("\(file):1:18: cloud.region: 'eu-de-01' is an availability zone, not a region; write its region: `region: eu-de`"), "\(check.stderr)")
        #expect(run.status == 2, "\(run.stderr)")
        let swiss = try ScheduleCommandsTests.run(["check-config", try Self.schedule(cloud: "region: eu-ch2a, project_id: 0483b6b16e954cb88930a360d2c4e663, auth: env")])
        #expect(swiss.stderr.contains("'eu-ch2a' is an availability zone, not a region; write its region: `region: eu-ch2`"), "\(swiss.stderr)")
    }

    @Test func anUnknownRegionFailsCheckAndRunAlike() throws {
        let file = try Self.schedule(cloud: "region: eu-west-1, project_id: 0483b6b16e954cb88930a360d2c4e663, auth: env")
        let (check, run) = try Self.both(file)
        #expect(check.status == 2, "\(check.stdout)\(check.stderr)")
        #expect(check.stderr.contains("error: cloud default (auth: env): region 'eu-west-1' is not in the built-in table (eu-ch2, eu-de, eu-nl); set auth_url (OS_AUTH_URL) explicitly"), "\(check.stderr)")
        #expect(check.stderr.contains("the service would refuse to start with this configuration (exit 2)"))
        #expect(check.stdout.isEmpty, "no \"valid\" verdict")
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("region 'eu-west-1' is not in the built-in table"), "\(run.stderr)")
    }

    @Test func aMissingCredentialSourceFailsCheckAndRunAlike() throws {
        let file = try Self.schedule(cloud: "region: eu-de, project_id: 0483b6b16e954cb88930a360d2c4e663, auth: \"clouds.yaml:otc\"")
        let (check, run) = try Self.both(file)
        #expect(check.status == 2, "\(check.stderr)")
        #expect(check.stderr.contains("error: cloud default (auth: clouds.yaml:otc): no clouds.yaml found for cloud 'otc'; looked in: "), "\(check.stderr)")
        #expect(!check.stderr.contains("//clouds.yaml"), "a path with a doubled slash: \(check.stderr)")
        #expect(run.status == 2)
        let directory = try Self.schedule(cloud: "region: eu-de, project_id: 0483b6b16e954cb88930a360d2c4e663, auth: credentials")
        let unreadable = try ScheduleCommandsTests.run(["check-config", directory], environment: ["CREDENTIALS_DIRECTORY": "/nonexistent/creds"])
        #expect(unreadable.status == 2)
        #expect(unreadable.stderr.contains("cannot read the credentials directory /nonexistent/creds"), "\(unreadable.stderr)")
        // --simulate checks as `run --simulate` would: no credentials needed.
        let simulated = try ScheduleCommandsTests.run(["check-config", "--simulate", file])
        #expect(simulated.status == 0, "\(simulated.stderr)")
    }

    @Test func theServicesCredentialDirectoryAndOSCloudAreFound() throws {
        // The service's directory (as root: /etc/rds-backupd/credentials) holds its clouds.yaml.
        let service = TestScratch.path("service-credentials")
        try FileManager.default.createDirectory(atPath: service, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.fixture, toPath: service + "/clouds.yaml")
        let file = try Self.schedule(cloud: "region: eu-de, project_id: 0483b6b16e954cb88930a360d2c4e663, auth: \"clouds.yaml:otc\"")
        let found = try ScheduleCommandsTests.run(["check-config", file], environment: ["RDS_BACKUPD_SERVICE_CREDENTIALS": service])
        #expect(found.status == 0, "\(found.stderr)")
        #expect(found.stdout.contains("valid, 1 entry"))
        // --os-cloud replaces the schedule's auth: for every command that signs in.
        let env = try Self.schedule(cloud: "region: eu-de, project_id: 0483b6b16e954cb88930a360d2c4e663, auth: env")
        let named = try ScheduleCommandsTests.run(
            ["check-config", env, "--os-cloud", "otc"], environment: ["OS_USERNAME": "", "OS_PASSWORD": "", "OS_CLIENT_CONFIG_FILE": Self.fixture])
        #expect(named.status == 0, "\(named.stderr)")
        let unnamed = try ScheduleCommandsTests.run(["check-config", env], environment: ["OS_USERNAME": "", "OS_PASSWORD": "", "OS_CLIENT_CONFIG_FILE": Self.fixture])
        #expect(unnamed.status == 2, "\(unnamed.stderr)")
        for command in ["next-runs", "backup-now", "prune", "create-backup"] {
            let help = try ScheduleCommandsTests.run([command, "--help"])
            #expect(help.stdout.contains("--os-cloud"), "\(command) has no --os-cloud")
        }
    }

    @Test func aUserWhoCannotReadTheServicesCredentialsIsToldWhereTheyAreAndWhatToPass() throws {
        let service = TestScratch.path("unreadable-credentials")
        try FileManager.default.createDirectory(atPath: service, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.fixture, toPath: service + "/clouds.yaml")
        let file = try Self.schedule(cloud: "region: eu-de, project_id: 0483b6b16e954cb88930a360d2c4e663, auth: \"clouds.yaml:otc\"")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        let environment = ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "RDS_BACKUPD_SERVICE_CREDENTIALS": service]
        let output: BinaryRunner.Output
        if getuid() == 0 {
            // Root reads anything: run as nobody, with the directory root's alone (0700), as installed.
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: service)
            output = try BinaryRunner.runBlocking(
                executable: URL(fileURLWithPath: "/usr/bin/setpriv"),
                arguments: ["--reuid=65534", "--regid=65534", "--clear-groups", BinaryRunner.binary.path, "check-config", file],
                environment: environment, timeout: .seconds(60), currentDirectory: URL(fileURLWithPath: "/"))
        } else {
            try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: service)
            defer { try? FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: service) }
            output = try BinaryRunner.runBlocking(
                executable: BinaryRunner.binary, arguments: ["check-config", file], environment: environment, timeout: .seconds(60),
                currentDirectory: URL(fileURLWithPath: "/"))
        }
        #expect(output.status == 2, "\(output.stdout)\(output.stderr)")
        #expect(output.stderr.contains("no clouds.yaml found for cloud 'otc'; looked in: /clouds.yaml, "), "\(output.stderr)")
        #expect(output.stderr.contains("hint: the service's credentials in \(service) cannot be read by this user: run the command as root (sudo), or give the credentials yourself (CREDENTIALS_DIRECTORY=DIR, OS_CLIENT_CONFIG_FILE=FILE, or OS_* variables)"), "\(output.stderr)")
    }

    @Test func theScheduleFileIsNamedTheSameWayEverywhere() throws {
        let file = try ScheduleCommandsTests.scheduleFile(ScheduleCommandsTests.valid).path
        let positional = try ScheduleCommandsTests.run(["check-config", file, "--from", "2025-06-01T00:00:00Z"])
        let option = try ScheduleCommandsTests.run(["check-config", "--schedule", file, "--from", "2025-06-01T00:00:00Z"])
        #expect(positional.status == 0 && option.status == 0, "\(positional.stderr)\(option.stderr)")
        #expect(positional.stdout == option.stdout)
        let twice = try ScheduleCommandsTests.run(["check-config", file, "--schedule", "/other.yaml"])
        #expect(twice.status == 2)
        #expect(twice.stderr.contains("the schedule file is given twice"))
        for command in ["run", "check-config", "next-runs", "status", "history", "backup-now", "prune"] {
            let help = try ScheduleCommandsTests.run([command, "--help"]).stdout
            #expect(help.contains("--schedule <schedule>") && help.contains("[<file>]") && help.contains("--state-dir <state-dir>"), "\(command): \(help)")
        }
        // status and history take the file positionally too (they were refused before).
        let state = TestScratch.path("same-way-state")
        let status = try ScheduleCommandsTests.run(["status", file, "--state-dir", state])
        #expect(!status.stderr.contains("Unexpected argument"), "\(status.stderr)")
    }

    /// The subcommands the root help lists.
    static func subcommands() throws -> [String] {
        let help = try ScheduleCommandsTests.run(["--help"]).stdout
        let section = try #require(help.range(of: "SUBCOMMANDS:"))
        // A command's line starts two spaces in; its wrapped abstract further in.
        return help[section.upperBound...].split(separator: "\n", omittingEmptySubsequences: false).dropFirst()
            .prefix { !$0.isEmpty }
            .filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
            .compactMap { $0.split(separator: " ").first.map(String.init) }
    }

    @Test func everyCommandsHelpHasExamplesAndNoTestSwitches() throws {
        let commands = try Self.subcommands()
        #expect(commands.count >= 9, "\(commands)")
        for command in [[]] + commands.map { [$0] } {
            let help = try ScheduleCommandsTests.run(command + ["--help"])
            #expect(help.status == 0)
            let text = help.stdout
            let examples = try #require(text.range(of: "Examples:"), "\(command) --help has no Examples section")
            let lines = text[examples.upperBound...].split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                .prefix { $0.hasPrefix("rds-backupd") || $0.hasPrefix("sudo rds-backupd") }
            #expect(!lines.isEmpty, "\(command): no example line")
            for line in lines {
                let words = line.split(separator: " ").map(String.init).drop { $0 == "sudo" }
                #expect(command.isEmpty || words.dropFirst().first == command.first, "\(command): \(line)")
            }
            #expect(!text.contains("RDS_BACKUPD_TEST"), "\(command) --help lists a test-only switch")
        }
    }
}
