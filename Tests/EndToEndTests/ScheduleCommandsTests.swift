import Foundation
import RDSClient
import RDSTestSupport
import Testing

/// `check-config` and `next-runs` as an operator runs them: the built binary, real files.
struct ScheduleCommandsTests {
    /// Runs the binary with password credentials in OS_* (the files' `auth: env`; check-config reads
    /// the credentials as `run` does) and no credential directory of this machine.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> BinaryRunner.Output {
        var env = ProcessInfo.processInfo.environment
        for name in ["CONFIGURATION_DIRECTORY", "CREDENTIALS_DIRECTORY", "OS_CLOUD", "OS_CLIENT_CONFIG_FILE"] {
            env.removeValue(forKey: name)
        }
        env.merge(credentials) { $1 }
        env.merge(environment) { $1 }
        // Both pipes drained on their own threads; the child killed (and the test failed) after 60 s.
        return try BinaryRunner.runBlocking(executable: BinaryRunner.binary, arguments: arguments, environment: env, timeout: .seconds(60))
    }

    static let credentials = [
        "OS_USERNAME": "checker", "OS_PASSWORD": "not-sent-anywhere", "OS_USER_DOMAIN_NAME": "OTC00000000001000000001",
        "RDS_BACKUPD_SERVICE_CREDENTIALS": "/nonexistent/rds-backupd-credentials",
    ]

    /// A fresh directory with `schedule.yaml` holding `yaml`.
    static func scheduleFile(_ yaml: String) throws -> URL {
        let directory = URL(fileURLWithPath: TestScratch.path("rds-backupd-e2e"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("schedule.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    static let valid = """
        cloud: { region: eu-de, project_id: 0483b6b16e954cb88930a360d2c4e663, auth: env }
        defaults: { timezone: Europe/Berlin }
        backups:
          - alias: orders
            instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01
            cron: "30 2 * * *"
          - alias: reports
            instance_id: 5e1c0c8f1d4a4b7e9b6a0f1e2d3c4b5ain04
            cron: "@hourly"
            timezone: America/New_York
            name: "{alias}-{engine}-{slot_utc:%Y%m%dT%H%MZ}"
        """

    @Test func checkConfigOfAValidFileExitsZeroAndShowsSlotsAndNames() throws {
        let file = try Self.scheduleFile(Self.valid)
        let result = try Self.run(["check-config", file.path, "--from", "2025-03-29T12:00:00Z"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("valid, 2 entries"))
        #expect(result.stdout.contains("orders: instance d8e6ca5a624745bcb546a227aa3ae1cfin01, cloud default, cron \"30 2 * * *\", zone Europe/Berlin"))
        // The spring-forward slot runs at 03:00 CEST and is named for that instant.
        #expect(result.stdout.contains("2025-03-30T03:00:00+02:00  2025-03-30T01:00:00Z  orders-20250330-0300"))
        #expect(result.stdout.contains("2025-03-31T02:30:00+02:00  2025-03-31T00:30:00Z  orders-20250331-0230"))
        #expect(result.stdout.contains("reports-db-20250329T1300Z"))
        #expect(result.stdout.contains("note: offline, {instance_name} renders as the instance id and {engine} as \"db\""))
    }

    @Test func checkConfigAcceptsAStepWiderThanItsRangeAndWarnsThatItSelectsOneValue() throws {
        let file = try Self.scheduleFile("""
            cloud: { region: eu-de, project_id: 0483b6b16e954cb88930a360d2c4e663, auth: env }
            backups:
              - alias: orders
                instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01
                cron: "50-53/4 9-10/5 * * *"
            """)
        let result = try Self.run(["check-config", file.path, "--from", "2025-06-01T00:00:00Z"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("valid, 1 entry"))
        #expect(result.stdout.contains("2025-06-01T09:50:00Z"), "\(result.stdout)")
        let warnings = result.stderr.split(separator: "\n").map(String.init)
        #expect(warnings.contains("warning: \(file.path):5:11: backups[0].cron: minute '50-53/4' selects only 50: the step /4 is wider than the range 50-53, so cron takes the range's first value; write 50 if that is meant"), "\(warnings)")
        #expect(warnings.contains { $0.hasPrefix("warning: \(file.path):5:11: backups[0].cron: hour '9-10/5' selects only 9") }, "\(warnings)")
    }

    @Test func versionAndQuietCheck() throws {
        let version = try Self.run(["--version"])
        #expect(version.status == 0, "\(version.stderr)")
        #expect(version.stdout == RDSClientVersion.current + "\n")
        // check-config --quiet (the unit's ExecReload=): silent when valid, the errors when not.
        let valid = try Self.run(["check-config", "--quiet", try Self.scheduleFile(Self.valid).path])
        #expect(valid.status == 0 && valid.stdout.isEmpty && valid.stderr.isEmpty, "\(valid.stdout)\(valid.stderr)")
        let broken = try Self.scheduleFile(Self.valid.replacingOccurrences(of: "30 2 * * *", with: "30 25 * * *"))
        let invalid = try Self.run(["check-config", "--quiet", broken.path])
        #expect(invalid.status == 1 && invalid.stdout.isEmpty)
        #expect(invalid.stderr.contains("\(broken.path):6:11: backups[0].cron: '30 25 * * *' hour 25 is out of range"), "\(invalid.stderr)")
    }

    @Test func checkConfigListsEveryErrorWithPositionAndExitsOne() throws {
        let file = try Self.scheduleFile("""
            cloud: { region: eu-de, project_id: 0483b6b16e954cb88930a360d2c4e663, auth: env }
            backups:
              - alias: orders
                instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01
                cron: "0 0 2 * * *"
                timezone: Europe/Berln
                password: hunter2
            """)
        let result = try Self.run(["check-config", file.path])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("\(file.path):5:11: backups[0].cron: '0 0 2 * * *' has 6 fields") })
        #expect(lines.contains { $0.hasPrefix("\(file.path):6:15: backups[0].timezone: unknown time zone 'Europe/Berln' (did you mean Europe/Berlin?)") })
        #expect(lines.contains { $0.hasPrefix("\(file.path):7:5: backups[0].password: secrets never live in the schedule file") })
        #expect(lines.last == "\(file.path): 3 errors; the file is rejected")
        #expect(!result.stderr.contains("hunter2"))
    }

    @Test func checkConfigOfAMissingFileExitsTwo() throws {
        let result = try Self.run(["check-config", "/nonexistent/schedule.yaml"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("/nonexistent/schedule.yaml: cannot read the schedule file: no such file"))
    }

    @Test func checkConfigReadsTheConfigurationDirectoryByDefault() throws {
        let file = try Self.scheduleFile(Self.valid)
        let result = try Self.run(
            ["check-config", "--from", "2025-06-01T00:00:00Z"],
            environment: ["CONFIGURATION_DIRECTORY": file.deletingLastPathComponent().path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("\(file.path): valid"))
    }

    @Test func nextRunsMergesEntriesInTimeOrder() throws {
        let file = try Self.scheduleFile(Self.valid)
        let result = try Self.run(["next-runs", file.path, "--count", "4", "--from", "2025-05-31T23:59:00Z"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 5)
        #expect(lines[0].hasPrefix("ENTRY"))
        // 00:30Z orders (02:30 Berlin) falls between the hourly New York slots at 00:00Z and 01:00Z.
        #expect(lines[1].hasPrefix("reports") && lines[1].contains("2025-05-31T20:00:00-04:00") && lines[1].contains("2025-06-01T00:00:00Z"))
        #expect(lines[2].hasPrefix("orders") && lines[2].contains("2025-06-01T02:30:00+02:00") && lines[2].hasSuffix("orders-20250601-0230"))
        #expect(lines[3].hasPrefix("reports") && lines[3].contains("2025-06-01T01:00:00Z"))
        #expect(lines[4].hasPrefix("reports") && lines[4].hasSuffix("reports-db-20250601T0200Z"))
    }

    @Test func nextRunsJSONHasOneObjectPerSlot() throws {
        let file = try Self.scheduleFile(Self.valid)
        let result = try Self.run(["next-runs", file.path, "--json", "--count", "3", "--entry", "orders", "--from", "2025-10-25T00:00:00Z"])
        #expect(result.status == 0, "\(result.stderr)")
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: String]])
        #expect(objects.count == 3)
        #expect(objects.allSatisfy { $0["entry"] == "orders" && $0["instance_id"] == "d8e6ca5a624745bcb546a227aa3ae1cfin01" })
        // Fall back on 26 October: the repeated 02:30 runs once, at its first occurrence (CEST).
        #expect(objects.map { $0["slot_utc"] } == ["2025-10-25T00:30:00Z", "2025-10-26T00:30:00Z", "2025-10-27T01:30:00Z"])
        #expect(objects.map { $0["slot_local"] } == ["2025-10-25T02:30:00+02:00", "2025-10-26T02:30:00+02:00", "2025-10-27T02:30:00+01:00"])
        #expect(objects.map { $0["name"] } == ["orders-20251025-0230", "orders-20251026-0230", "orders-20251027-0230"])
    }

    @Test func checkConfigJSONListsThreeSlotsPerEntry() throws {
        let file = try Self.scheduleFile(Self.valid)
        let result = try Self.run(["check-config", file.path, "--json", "--from", "2025-06-01T00:00:00Z"])
        #expect(result.status == 0, "\(result.stderr)")
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: String]])
        #expect(objects.count == 6)
        #expect(Set(objects.compactMap { $0["entry"] }) == ["orders", "reports"])
        #expect(objects.allSatisfy { Set($0.keys).isSuperset(of: ["entry", "instance_id", "slot_utc", "slot_local", "name"]) })
    }

    @Test func nextRunsRefusesBadArgumentsAndUnknownEntries() throws {
        let file = try Self.scheduleFile(Self.valid)
        let badTime = try Self.run(["next-runs", file.path, "--from", "yesterday"])
        #expect(badTime.status == 2)
        #expect(badTime.stderr.contains("--from 'yesterday' is not an RFC 3339 time"))
        let badCount = try Self.run(["next-runs", file.path, "--count", "0"])
        #expect(badCount.status == 2)
        #expect(badCount.stderr.contains("--count 0 is out of range; give 1 to 10000"))
        let unknown = try Self.run(["next-runs", file.path, "--entry", "nope"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no entry with alias 'nope'"))
    }

    @Test func aRewrittenNameIsShownBeforeAndAfter() throws {
        let file = try Self.scheduleFile("""
            cloud: { region: eu-de, project_id: 0483b6b16e954cb88930a360d2c4e663, auth: env }
            defaults: { timezone: UTC }
            backups:
              - alias: orders
                instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01
                cron: "30 2 * * *"
                name: "{slot:%Y%m%d-%H%M}-{alias}"
              - alias: reports
                instance_id: 5e1c0c8f1d4a4b7e9b6a0f1e2d3c4b5ain04
                cron: "0 3 * * *"
                name: "{alias}-{instance_name}-{instance_id}-{slot:%Y%m%d-%H%M}"
              - alias: plain
                instance_id: 7b2d4f6a8c0e4a1b9d3f5a7c9e1b3d5fin03
                cron: "0 4 * * *"
            """)
        for command in ["check-config", "next-runs"] {
            let result = try Self.run([command, file.path, "--from", "2025-06-01T00:00:00Z"])
            #expect(result.status == 0, "\(result.stderr)")
            let warnings = result.stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix("warning: ") }
            #expect(warnings.contains(
                "warning: \(file.path):7:11: backups[0].name: name template '{slot:%Y%m%d-%H%M}-{alias}' writes '20250601-0230-orders' for the slot 2025-06-01T02:30:00+00:00 of orders; a backup name has a letter first (a 'b' is put before), so the backup is named 'b-20250601-0230-orders'"),
                "\(command): \(warnings)")
            let long = warnings.first { $0.contains("backups[1].name") }
            #expect(long?.contains("at most 64 characters (it has 95; the longest variable parts are shortened)") == true, "\(command): \(warnings)")
            #expect(!warnings.contains { $0.contains("backups[2]") }, "a name the rules keep is not mentioned: \(warnings)")
        }
    }

    @Test func theShippedDemoScheduleIsValid() throws {
        let demo = BinaryRunner.packageRoot.appendingPathComponent("config/demo.yaml").path
        let result = try Self.run(["check-config", "--simulate", demo], environment: ["OS_USERNAME": "", "OS_PASSWORD": ""])
        #expect(result.status == 0, "\(result.stderr)")
        // Outside the demo its `auth: env` has nothing to read, which `run` refuses: so does check-config.
        let real = try Self.run(["check-config", demo], environment: ["OS_USERNAME": "", "OS_PASSWORD": ""])
        #expect(real.status == 2, "\(real.stderr)")
        #expect(real.stderr.contains("error: cloud default (auth: env): environment: no credentials"), "\(real.stderr)")
        // Every option its comments name exists.
        let text = try String(contentsOfFile: demo, encoding: .utf8)
        let help = try Self.run(["run", "--help"]).stdout + (try Self.run(["check-config", "--help"]).stdout)
        for option in text.matches(of: /--[a-z][a-z-]+/).map({ String($0.output) }) {
            #expect(help.contains(option), "config/demo.yaml mentions \(option), which run and check-config do not have")
        }
    }
}
