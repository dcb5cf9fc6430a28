import BackupScheduler
import Foundation
import RDSClient
import RDSSimulator
import RDSTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Every command and the service, driven through failures with known fake secrets: no password,
/// secret key or token reaches stdout, stderr, the state database or the journal.
///
/// The canaries all start with `Leak-Canary`, so a truncated leak is found too; every token the
/// simulator issues starts with `MIIsim` (RDSSimulator's RandomID), so any token is found without
/// the simulator having to tell the test its values.
@Suite(.serialized) struct SecretLeakTests {
    static let password = "Leak-Canary-Pw-9f3a"
    static let wrongPassword = "Leak-Canary-WrongPw-5b2e"
    static let accessKey = "LEAKCANARYAK00000001"
    static let secretKey = "Leak-Canary-SK-c4e8d1f0a9b7c6e5d4f3a2b1"
    static let wrongSecretKey = "Leak-Canary-WrongSK-7e1d"
    /// What no output may contain: the canaries' common prefix and the simulator's token prefix.
    static let needles = ["Leak-Canary", "MIIsim"]
    static let orders = SimulatorFixture.orders

    /// Texts that were scanned, with where they came from; the scan also checks it saw real output.
    final class Scan: @unchecked Sendable {
        private(set) var sources: [(label: String, bytes: [UInt8])] = []
        func add(_ label: String, _ text: String) { sources.append((label, Array(text.utf8))) }
        func add(_ label: String, bytes: [UInt8]) { sources.append((label, bytes)) }
        func add(_ label: String, _ output: BinaryRunner.Output) {
            add("\(label) stdout", output.stdout)
            add("\(label) stderr", output.stderr)
        }

        /// Records an issue for every needle found, naming the source and showing the context.
        func expectNoSecret(sourceLocation: SourceLocation = #_sourceLocation) {
            for (label, bytes) in sources {
                for needle in SecretLeakTests.needles {
                    guard let range = Self.find(Array(needle.utf8), in: bytes) else { continue }
                    let context = String(decoding: bytes[max(0, range.lowerBound - 120)..<min(bytes.count, range.upperBound + 60)], as: UTF8.self)
                    Issue.record("'\(needle)' appears in \(label): …\(context)…", sourceLocation: sourceLocation)
                }
            }
        }

        static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Range<Int>? {
            guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
            for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
                if haystack[start..<start + needle.count].elementsEqual(needle) { return start..<start + needle.count }
            }
            return nil
        }
    }

    /// A wall-clock simulator whose only user and access key carry the canaries.
    static func simulator(backupDuration: Double = 0) async throws -> RDSSimulator {
        var configuration = SimulatorConfiguration.demo
        configuration.backupDuration = backupDuration
        configuration.users = [.init(name: "backup-operator", password: Secret(password))]
        configuration.accessKeys = [.init(accessKey: accessKey, secretKey: Secret(secretKey))]
        let simulator = RDSSimulator(configuration: configuration, clock: .wall())
        try await simulator.start()
        return simulator
    }

    static func passwordEnvironment(_ simulator: RDSSimulator, password: String = password) -> [String: String] {
        [
            "OS_AUTH_URL": simulator.iamURL, "OS_USERNAME": "backup-operator", "OS_PASSWORD": password,
            "OS_USER_DOMAIN_NAME": simulator.configuration.domainName, "OS_PROJECT_ID": simulator.configuration.projectID,
            "OS_REGION_NAME": simulator.configuration.region,
        ]
    }

    static func accessKeyEnvironment(_ simulator: RDSSimulator, secretKey: String = secretKey) -> [String: String] {
        [
            "OS_ACCESS_KEY": accessKey, "OS_SECRET_KEY": secretKey, "OS_PROJECT_ID": simulator.configuration.projectID,
            "OS_REGION_NAME": simulator.configuration.region,
        ]
    }

    static func temporaryDirectory() throws -> String {
        let path = TestScratch.path("rds-backupd-leak")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A schedule for the simulator (`auth: env`), one entry `orders`, pruned to the last backup.
    static func schedule(_ simulator: RDSSimulator, in directory: String) throws -> String {
        let path = directory + "/schedule.yaml"
        try """
        cloud:
          region: eu-de
          project_id: \(simulator.configuration.projectID)
          auth: env
          auth_url: \(simulator.iamURL)
        defaults:
          timezone: UTC
          name: "{alias}-{slot:%Y%m%d-%H%M%S}"
          start_window: 10m
          completion_window: 5m
          retry: { attempts: 3, initial: 1s, max: 1s }
          retention: { keep_last: 1 }
        backups:
          - alias: orders
            instance_id: \(orders)
            cron: "* * * * *"
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A schedule that tries to hold secrets, at every level a secret could be put.
    static func scheduleWithSecrets(in directory: String) throws -> String {
        let path = directory + "/secrets.yaml"
        try """
        cloud:
          region: eu-de
          project_id: 0483b6b16e954cb88930a360d2c4e663
          auth: env
          password: \(password)
          secret_key: "\(secretKey)"
        defaults:
          timezone: UTC
          token: MIIsimDefaultsToken
        backups:
          - alias: orders
            instance_id: \(orders)
            cron: "0 2 * * *"
            password: '\(password)'
            sk: \(secretKey)
            auth: { password: \(password) }
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Every byte of every file in the state directory (the database, its WAL and shared memory).
    static func addStateFiles(in directory: String, to scan: Scan) throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("state") }
        #expect(files.contains { $0.hasSuffix(".sqlite") }, "a state database was written in \(directory): \(files)")
        for file in files {
            scan.add("state file \(file)", bytes: Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + file))))
        }
    }

    // MARK: - One-shot commands

    @Test func createBackupThroughEveryFailurePrintsNoSecret() async throws {
        let simulator = try await Self.simulator()
        let scan = Scan()
        let retry = ["--retry-attempts", "3", "--retry-initial", "1s", "--retry-max", "1s"]
        func create(_ label: String, _ name: String, _ environment: [String: String], extra: [String] = []) async throws -> Int32 {
            let output = try await BinaryRunner.run(
                ["create-backup", "--instance", Self.orders, "--name", name, "-v"] + retry + extra, environment: environment,
                timeout: .seconds(60))
            scan.add(label, output)
            return output.status
        }
        do {
            let password = Self.passwordEnvironment(simulator)
            #expect(try await create("success", "leak-ok-0001", password, extra: ["--wait", "--poll-interval", "1s", "--json"]) == 0)
            #expect(try await create("wrong password", "leak-pw-0001", Self.passwordEnvironment(simulator, password: Self.wrongPassword)) != 0)
            simulator.inject(.expireAllTokens, on: .createBackup)
            #expect(try await create("revoked token", "leak-revoked-0001", password) == 0)
            simulator.inject(.expireAllTokens, on: .any, count: 20)
            #expect(try await create("token revoked on every call", "leak-revoked-0002", password) != 0)
            simulator.clearFaults()
            simulator.inject(.serverError(status: 500), on: .createBackup, count: 2)
            #expect(try await create("500 then success", "leak-500-0001", password) == 0)
            simulator.inject(.serverError(status: 503), on: .any, count: 20)
            #expect(try await create("503 until retries run out", "leak-503-0001", password) != 0)
            simulator.clearFaults()
            simulator.inject(.malformedJSON, on: .createBackup)
            #expect(try await create("unreadable create answer", "leak-garbled-0001", password) == 0)
            simulator.inject(.resetAfterHandling, on: .createBackup)
            #expect(try await create("reset after create", "leak-reset-0001", password) == 0)
            simulator.inject(.throttled(retryAfter: 1), on: .createBackup)
            #expect(try await create("throttled", "leak-429-0001", password) == 0)

            let keys = Self.accessKeyEnvironment(simulator)
            let endpoint = ["--endpoint", simulator.endpoint]
            #expect(try await create("AK/SK", "leak-aksk-0001", keys, extra: endpoint) == 0)
            #expect(try await create("wrong secret key", "leak-aksk-0002", Self.accessKeyEnvironment(simulator, secretKey: Self.wrongSecretKey), extra: endpoint) != 0)
            simulator.inject(.serverError(status: 502), on: .createBackup)
            #expect(try await create("AK/SK 502", "leak-aksk-0003", keys, extra: endpoint) == 0)
        } catch {
            try? await simulator.shutdown()
            throw error
        }
        try await simulator.shutdown()
        #expect(scan.sources.count == 24)
        scan.expectNoSecret()
    }

    @Test func checkConfigAndNextRunsNeverEchoASecretFromTheFile() async throws {
        let simulator = try await Self.simulator()
        let scan = Scan()
        do {
            let directory = try Self.temporaryDirectory()
            let secrets = try Self.scheduleWithSecrets(in: directory)
            let good = try Self.schedule(simulator, in: directory)
            let rejected = try await BinaryRunner.run(["check-config", secrets])
            #expect(rejected.status != 0)
            #expect(rejected.stdout.contains("secrets never live in the schedule file") || rejected.stderr.contains("secrets never live in the schedule file"))
            scan.add("check-config of a file with secrets", rejected)
            scan.add("check-config --json of a file with secrets", try await BinaryRunner.run(["check-config", "--json", secrets]))
            scan.add("next-runs of a file with secrets", try await BinaryRunner.run(["next-runs", secrets]))
            scan.add("next-runs --json of a file with secrets", try await BinaryRunner.run(["next-runs", "--json", secrets]))
            let online = try await BinaryRunner.run(["check-config", "--online", good], environment: Self.passwordEnvironment(simulator))
            #expect(online.status == 0, "\(online.stderr)")
            scan.add("check-config --online", online)
            let wrong = try await BinaryRunner.run(
                ["check-config", "--online", good], environment: Self.passwordEnvironment(simulator, password: Self.wrongPassword))
            #expect(wrong.status != 0)
            scan.add("check-config --online, wrong password", wrong)
            scan.add("next-runs", try await BinaryRunner.run(["next-runs", "--count", "3", good]))
        } catch {
            try? await simulator.shutdown()
            throw error
        }
        try await simulator.shutdown()
        scan.expectNoSecret()
    }

    // MARK: - The service and the commands that read its state

    @Test func theServiceAndItsStateHoldNoSecretThroughFailures() async throws {
        let simulator = try await Self.simulator(backupDuration: 1)
        let scan = Scan()
        do {
            // A slot due at once (the catch-up of the last minute), met by a 500 and a revoked token.
            let (directory, slot) = try ServiceEndToEndTests.preparedStateDirectory()
            let schedule = try Self.schedule(simulator, in: directory)
            simulator.inject(.serverError(status: 500), on: .createBackup)
            simulator.inject(.expireAllTokens, on: .listBackups)
            let service = try RunningBinary(
                ["run", "--schedule", schedule, "--state-dir", directory, "--poll-interval", "1s", "--log-target", "stderr", "-v"],
                environment: Self.passwordEnvironment(simulator))
            let completed = try await ServiceEndToEndTests.eventually {
                try ServiceEndToEndTests.rows(directory).first { $0.slotAt == slot }?.state == .completed
            }
            service.kill(SIGTERM)
            _ = await service.waitForExit()
            #expect(completed, "the slot completed: \(service.stderr)")
            scan.add("run (500, revoked token)", service.stderr)

            // The same slot on a host whose password is wrong: the failure is recorded in the state.
            let (failing, failingSlot) = try ServiceEndToEndTests.preparedStateDirectory()
            let refused = try RunningBinary(
                ["run", "--schedule", schedule, "--state-dir", failing, "--log-target", "stderr", "-v"],
                environment: Self.passwordEnvironment(simulator, password: Self.wrongPassword))
            let failed = try await ServiceEndToEndTests.eventually {
                let row = try ServiceEndToEndTests.rows(failing).first { $0.slotAt >= failingSlot }
                return row?.state == .failed || row?.errorMessage != nil
            }
            refused.kill(SIGTERM)
            _ = await refused.waitForExit()
            #expect(failed, "the refused slot was recorded: \(refused.stderr)")
            scan.add("run (wrong password)", refused.stderr)

            let common = ["--schedule", schedule, "--state-dir", directory]
            let environment = Self.passwordEnvironment(simulator)
            simulator.inject(.serverError(status: 503), on: .createBackup)
            scan.add("backup-now --wait", try await BinaryRunner.run(["backup-now", "orders", "--wait", "--poll-interval", "1s", "-v"] + common, environment: environment))
            scan.add("backup-now, wrong password", try await BinaryRunner.run(
                ["backup-now", "orders", "-v"] + common, environment: Self.passwordEnvironment(simulator, password: Self.wrongPassword)))
            for arguments in [["status"], ["status", "--json"], ["history"], ["history", "--json"]] {
                scan.add(arguments.joined(separator: " "), try await BinaryRunner.run(arguments + common, environment: environment))
                scan.add(arguments.joined(separator: " ") + " (failing host)", try await BinaryRunner.run(
                    arguments + ["--schedule", schedule, "--state-dir", failing], environment: environment))
            }
            scan.add("prune --dry-run", try await BinaryRunner.run(["prune", "--dry-run", "-v"] + common, environment: environment))
            simulator.inject(.serverError(status: 500), on: .deleteBackup)
            scan.add("prune (a delete fails)", try await BinaryRunner.run(["prune", "-v"] + common, environment: environment))
            scan.add("prune, wrong password", try await BinaryRunner.run(
                ["prune", "-v"] + common, environment: Self.passwordEnvironment(simulator, password: Self.wrongPassword)))

            try Self.addStateFiles(in: directory, to: scan)
            try Self.addStateFiles(in: failing, to: scan)
            let failedRow = try ServiceEndToEndTests.rows(failing).first { $0.errorMessage != nil }
            #expect(failedRow?.errorMessage?.isEmpty == false, "the state holds the error text that was scanned")
        } catch {
            try? await simulator.shutdown()
            throw error
        }
        try await simulator.shutdown()
        scan.expectNoSecret()
    }

    // MARK: - Broken configuration holding secrets

    @Test func configurationErrorsNeverEchoASecretFromAFileOrTheEnvironment() async throws {
        let directory = try Self.temporaryDirectory()
        let instance = ["--instance", Self.orders, "--name", "leak-conf-0001", "--retry-attempts", "1", "-v"]
        /// (what, arguments, environment): each is refused before anything is sent.
        var runs: [(String, [String], [String: String])] = []

        // A schedule whose YAML breaks on the line holding a secret (parsers like to quote the line).
        let broken = directory + "/broken.yaml"
        try """
        cloud:
          region: eu-de
          project_id: 0483b6b16e954cb88930a360d2c4e663
          auth: env
        backups:
          - alias: orders
            instance_id: \(Self.orders)
            cron: "0 2 * * *"
            password: \(Self.password): [unclosed
        """.write(toFile: broken, atomically: true, encoding: .utf8)
        for command in [["check-config"], ["check-config", "--json"], ["next-runs"]] {
            runs.append(("\(command.joined(separator: " ")) of broken YAML on a secret's line", command + [broken], [:]))
        }
        runs.append(("run with broken YAML on a secret's line", ["run", "--schedule", broken, "--state-dir", directory + "/state"], [:]))

        // clouds.yaml: broken YAML, a password of the wrong type, a secret key of the wrong type,
        // credentials inside the auth URL.
        let variants = [
            "broken YAML": "      password: \"\(Self.password)\n      user_domain_name: OTC\n",
            "password as a list": "      password: [\(Self.password)]\n      user_domain_name: OTC\n",
            "secret key as a map": "      ak: LEAKCANARYAK00000001\n      sk: { value: \(Self.secretKey) }\n",
            "credentials in the auth URL":
                "      password: \(Self.password)\n      user_domain_name: OTC\n",
        ]
        for (index, (label, auth)) in variants.sorted(by: { $0.key < $1.key }).enumerated() {
            let clouds = directory + "/clouds-\(index).yaml"
            let authURL = label.hasPrefix("credentials")
                ? "http://backup-operator:\(Self.password)@127.0.0.1:9/v3?token=\(Self.secretKey)" : "http://127.0.0.1:9/v3"
            try """
            clouds:
              otc:
                region_name: eu-de
                auth:
                  auth_url: \(authURL)
                  username: backup-operator
                  project_id: 0483b6b16e954cb88930a360d2c4e663
            \(auth)
            """.write(toFile: clouds, atomically: true, encoding: .utf8)
            runs.append(("create-backup, clouds.yaml with \(label)", ["create-backup", "--os-cloud", "otc"] + instance, ["OS_CLIENT_CONFIG_FILE": clouds]))
        }

        // A proxy URL with credentials that is not a URL (it used to be echoed whole in the error).
        let environment = [
            "OS_AUTH_URL": "https://iam.eu-de.otc.t-systems.com/v3", "OS_USERNAME": "backup-operator", "OS_PASSWORD": Self.password,
            "OS_USER_DOMAIN_NAME": "OTC", "OS_PROJECT_ID": "0483b6b16e954cb88930a360d2c4e663", "OS_REGION_NAME": "eu-de",
            "HTTPS_PROXY": "http://backup-operator:\(Self.password)@[broken",
        ]
        runs.append(("create-backup with an invalid HTTPS_PROXY holding a password", ["create-backup"] + instance, environment))

        let outputs = try await withThrowingTaskGroup(of: (String, BinaryRunner.Output).self) { group in
            for (label, arguments, environment) in runs {
                group.addTask { (label, try await BinaryRunner.run(arguments, environment: environment, timeout: .seconds(30))) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let scan = Scan()
        for (label, output) in outputs.sorted(by: { $0.0 < $1.0 }) {
            #expect(output.status != 0, "\(label) is refused")
            #expect(!output.stderr.isEmpty || !output.stdout.isEmpty, "\(label) says why")
            scan.add(label, output)
        }
        #expect(scan.sources.count == 18)
        scan.expectNoSecret()
    }

    @Test func theServiceWithAccessKeysOrACredentialsDirectoryHoldsNoSecretThroughFailures() async throws {
        let simulator = try await Self.simulator(backupDuration: 1)
        let scan = Scan()
        do {
            let (directory, slot) = try ServiceEndToEndTests.preparedStateDirectory()
            let (refusedDirectory, _) = try ServiceEndToEndTests.preparedStateDirectory()
            let (credentialDirectory, _) = try ServiceEndToEndTests.preparedStateDirectory()
            let schedule = try Self.schedule(simulator, in: directory)
            // Access keys, with the endpoint in the schedule.
            let keySchedule = directory + "/keys.yaml"
            try String(contentsOfFile: schedule, encoding: .utf8)
                .replacingOccurrences(of: "  auth_url: \(simulator.iamURL)", with: "  endpoint: \(simulator.endpoint)")
                .write(toFile: keySchedule, atomically: true, encoding: .utf8)
            // `auth: credentials`: one file per OS_* variable in $CREDENTIALS_DIRECTORY, the password wrong.
            let credentials = try Self.temporaryDirectory()
            let values = [
                "OS_AUTH_URL": simulator.iamURL, "OS_USERNAME": "backup-operator", "OS_PASSWORD": Self.wrongPassword,
                "OS_USER_DOMAIN_NAME": simulator.configuration.domainName,
            ]
            for (name, value) in values { try (value + "\n").write(toFile: credentials + "/" + name, atomically: true, encoding: .utf8) }
            let credentialSchedule = credentialDirectory + "/credentials.yaml"
            try String(contentsOfFile: schedule, encoding: .utf8).replacingOccurrences(of: "auth: env", with: "auth: credentials")
                .write(toFile: credentialSchedule, atomically: true, encoding: .utf8)

            // The good access keys' first create meets a 502 and a reset after handling; the slot completes.
            simulator.inject(.serverError(status: 502), on: .createBackup)
            simulator.inject(.resetAfterHandling, on: .createBackup)
            let common = ["--log-target", "stderr", "-v", "--poll-interval", "1s"]
            let services = [
                ("run with access keys (502, reset)", directory, try RunningBinary(
                    ["run", "--schedule", keySchedule, "--state-dir", directory] + common, environment: Self.accessKeyEnvironment(simulator))),
                ("run with a wrong secret key", refusedDirectory, try RunningBinary(
                    ["run", "--schedule", keySchedule, "--state-dir", refusedDirectory] + common,
                    environment: Self.accessKeyEnvironment(simulator, secretKey: Self.wrongSecretKey))),
                ("run with a wrong password from $CREDENTIALS_DIRECTORY", credentialDirectory, try RunningBinary(
                    ["run", "--schedule", credentialSchedule, "--state-dir", credentialDirectory] + common,
                    environment: ["CREDENTIALS_DIRECTORY": credentials])),
            ]
            let completed = try await ServiceEndToEndTests.eventually(timeout: 20) {
                try ServiceEndToEndTests.rows(directory).first { $0.slotAt == slot }?.state == .completed
            }
            let refused = try await ServiceEndToEndTests.eventually(timeout: 20) {
                try [refusedDirectory, credentialDirectory].allSatisfy { try ServiceEndToEndTests.rows($0).contains { $0.errorMessage != nil } }
            }
            for (_, _, service) in services { service.kill(SIGTERM) }
            for (label, _, service) in services {
                _ = await service.waitForExit(timeout: .seconds(10))
                scan.add(label, service.stderr)
            }
            #expect(completed, "the slot completed: \(services[0].2.stderr)")
            #expect(refused, "the refusals were recorded: \(services[1].2.stderr)\n\(services[2].2.stderr)")

            for arguments in [["status", "--json"], ["history", "--json"]] {
                for (_, state, _) in services {
                    scan.add("\(arguments.joined(separator: " ")) of \(state)", try await BinaryRunner.run(
                        arguments + ["--schedule", keySchedule, "--state-dir", state], timeout: .seconds(30)))
                }
            }
            for (_, state, _) in services { try Self.addStateFiles(in: state, to: scan) }
        } catch {
            try? await simulator.shutdown()
            throw error
        }
        try await simulator.shutdown()
        scan.expectNoSecret()
    }

    // MARK: - The journal

    static func journalAnswers() async -> Bool {
        guard FileManager.default.fileExists(atPath: "/run/systemd/journal/socket"),
            let journalctl = ["/usr/bin/journalctl", "/bin/journalctl"].first(where: FileManager.default.isExecutableFile(atPath:))
        else { return false }
        return (try? await run([journalctl, "--sync"]).status) == 0
    }

    /// Runs a tool (journalctl) off the cooperative pool; killed, and the test failed, after 30 s.
    static func run(_ arguments: [String]) async throws -> (status: Int32, stdout: Data) {
        let output = try await BinaryRunner.runProcess(
            executable: URL(fileURLWithPath: arguments[0]), arguments: Array(arguments.dropFirst()), environment: nil,
            timeout: .seconds(30))
        return (output.status, Data(output.stdout.utf8))
    }

    @Test func theJournalHoldsNoSecretFromTheService() async throws {
        guard await Self.journalAnswers() else {
            try Test.cancel("no journald answers on /run/systemd/journal/socket (scripts/start-journald.sh starts one)")
        }
        let simulator = try await Self.simulator(backupDuration: 1)
        let scan = Scan()
        do {
            let (directory, slot) = try ServiceEndToEndTests.preparedStateDirectory()
            let schedule = try Self.schedule(simulator, in: directory)
            simulator.inject(.serverError(status: 500), on: .createBackup)
            simulator.inject(.expireAllTokens, on: .listBackups)
            let service = try RunningBinary(
                ["run", "--schedule", schedule, "--state-dir", directory, "--poll-interval", "1s", "--log-target", "journal", "-v"],
                environment: Self.passwordEnvironment(simulator))
            let pid = service.pid
            let completed = try await ServiceEndToEndTests.eventually {
                try ServiceEndToEndTests.rows(directory).first { $0.slotAt == slot }?.state == .completed
            }
            service.kill(SIGTERM)
            _ = await service.waitForExit()
            #expect(completed)

            let (failing, _) = try ServiceEndToEndTests.preparedStateDirectory()
            let refused = try RunningBinary(
                ["run", "--schedule", schedule, "--state-dir", failing, "--log-target", "journal", "-v"],
                environment: Self.passwordEnvironment(simulator, password: Self.wrongPassword))
            let refusedPID = refused.pid
            _ = try await ServiceEndToEndTests.eventually { try ServiceEndToEndTests.rows(failing).contains { $0.errorMessage != nil } }
            refused.kill(SIGTERM)
            _ = await refused.waitForExit()

            _ = try await Self.run(["/usr/bin/journalctl", "--sync"])
            // The export format carries every field's bytes as they are (json turns some into number arrays).
            let entries = try await Self.run(["/usr/bin/journalctl", "--no-pager", "-o", "export", "_PID=\(pid)", "+", "_PID=\(refusedPID)"])
            let text = String(decoding: entries.stdout, as: UTF8.self)
            #expect(text.contains("RDS_BACKUP_NAME="), "the journal has the service's entries: \(text.prefix(500))")
            scan.add("journal (export) of pids \(pid), \(refusedPID)", bytes: Array(entries.stdout))
            scan.add("stderr of the journal runs", service.stderr + refused.stderr)
        } catch {
            try? await simulator.shutdown()
            throw error
        }
        try await simulator.shutdown()
        scan.expectNoSecret()
    }
}
