import Foundation
import RDSTestSupport
import Testing

@testable import BackupScheduler

/// `alert.command`: its environment (allow-list plus RDS_* details), its timeout, its exit.
@Suite struct FailureCommandRunnerTests {
    static let observation: SlotObservation = {
        var record = SlotRecord(
            entry: "orders", instanceID: "d8e6ca5a624745bcb546a227aa3ae1cfin01", slotAt: Date(timeIntervalSince1970: 1_800_000_000),
            runAt: Date(timeIntervalSince1970: 1_800_000_000), now: Date(timeIntervalSince1970: 1_800_000_000))
        record.state = .failed
        record.name = "orders-20270115-0800"
        record.attempts = 8
        record.errorCode = "DBS.201205"
        record.errorMessage = "the instance is busy; it's \"backing up\" $(already)"
        record.requestID = "req-7f3a"
        return SlotObservation(.failed, record: record, alert: nil, at: record.runAt)
    }()

    /// The service's environment as systemd gives it, with credentials a command must never see.
    static let serviceEnvironment = [
        "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/root", "OS_PASSWORD": "canary-password-91",
        "OS_SECRET_KEY": "canary-secret-91", "OS_ACCESS_KEY": "AKCANARY91", "OS_CLOUD": "otc",
        "CREDENTIALS_DIRECTORY": "/run/credentials/rds-backupd.service", "NOTIFY_SOCKET": "/run/systemd/notify",
        "HTTPS_PROXY": "http://proxy.internal:3128",
    ]

    static func temporaryDirectory() throws -> String {
        let directory = TestScratch.path("rds-command")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func theCommandGetsTheDetailsAndTheAllowListButNeverTheCredentials() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let runner = FailureCommandRunner(environment: Self.serviceEnvironment)
        let command = AlertCommand(argv: ["/bin/sh", "-c", "/usr/bin/env > \"$0/env.txt\"", directory])
        let outcome = await runner.run(command, for: Self.observation)
        #expect(outcome == .exited(0))
        let environment = try AlertDispatcherTests.environment(directory + "/env.txt")
        #expect(environment["RDS_EVENT"] == "failed")
        #expect(environment["RDS_ENTRY"] == "orders")
        #expect(environment["RDS_INSTANCE_ID"] == "d8e6ca5a624745bcb546a227aa3ae1cfin01")
        #expect(environment["RDS_SLOT"] == "2027-01-15T08:00:00Z")
        #expect(environment["RDS_BACKUP_NAME"] == "orders-20270115-0800")
        #expect(environment["RDS_ATTEMPT"] == "8")
        #expect(environment["RDS_ERROR_CODE"] == "DBS.201205")
        #expect(environment["RDS_ERROR_MESSAGE"] == "the instance is busy; it's \"backing up\" $(already)")
        #expect(environment["RDS_REQUEST_ID"] == "req-7f3a")
        #expect(environment["RDS_BACKUP_ID"] == "")
        #expect(environment["PATH"] == "/usr/bin:/bin")
        #expect(environment["LANG"] == "C.UTF-8")
        #expect(environment["HTTPS_PROXY"] == "http://proxy.internal:3128")
        for key in ["HOME", "OS_PASSWORD", "OS_SECRET_KEY", "OS_ACCESS_KEY", "OS_CLOUD", "CREDENTIALS_DIRECTORY", "NOTIFY_SOCKET"] {
            #expect(environment[key] == nil, "\(key) reached the command")
        }
        let text = try String(contentsOfFile: directory + "/env.txt", encoding: .utf8)
        #expect(!text.contains("canary"))
        // Only the allow-list, the RDS_* details and what the shell adds itself.
        let shellOwn: Set<String> = ["PWD", "SHLVL", "_", "OLDPWD"]
        for key in environment.keys where !key.hasPrefix("RDS_") && !shellOwn.contains(key) {
            #expect(FailureCommandRunner.inheritedVariables.contains(key), "\(key) is not on the allow-list")
        }
    }

    /// Killed with everything it started, found through /proc: also a child that left the command's
    /// process group for a session of its own (`setsid`, as a daemonising helper does), which a kill
    /// of the process group (swift-subprocess's teardown `toProcessGroup:`) does not reach.
    @Test func aCommandThatOutlivesItsTimeoutIsKilledWithItsChildren() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pidFile = directory + "/pids"
        @Sendable func pids() -> [Int32] {
            ((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { Int32($0) }
        }
        // The timeout "passes" as soon as the command has started both children: no wall-clock wait.
        let runner = FailureCommandRunner(environment: Self.serviceEnvironment) { _ in
            let deadline = ContinuousClock.now + .seconds(3)
            while pids().count < 2, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(2))
            }
        }
        // Each child writes its own pid, then becomes the sleep (exec keeps the pid).
        let script = """
            /bin/sh -c 'echo $$ >> "$0"; exec /bin/sleep 30' "$0" &
            setsid /bin/sh -c 'echo $$ >> "$0"; exec /bin/sleep 30' "$0" &
            wait
            """
        let command = AlertCommand(argv: ["/bin/sh", "-c", script, pidFile], timeout: .seconds(1))
        let began = ContinuousClock.now
        let outcome = await runner.run(command, for: Self.observation)
        #expect(outcome == .timedOut)
        // Not waited out: the command's children sleep 30 s (a bound, not a timing; loaded CI took 5.7 s).
        #expect(ContinuousClock.now - began < .seconds(25))
        let children = pids()
        try #require(children.count == 2, "the command did not start both children: \(children)")
        // Each was killed (gone, or a zombie about to be reaped). SIGKILL is delivered
        // asynchronously: a killed process can still show as running for a moment.
        for child in children {
            var state = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8)
            var gone: Bool { state == nil || state?.contains(") Z ") == true }
            let killDeadline = ContinuousClock.now + .seconds(5)
            while !gone && ContinuousClock.now < killDeadline {
                try await Task.sleep(for: .milliseconds(10))
                state = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8)
            }
            #expect(gone, "sleep \(child) still runs: \(state ?? "")")
            if !gone { kill(child, SIGKILL) }
        }
    }

    @Test func exitStatusAndAMissingProgramAreReportedNotThrown() async throws {
        let runner = FailureCommandRunner(environment: [:])
        #expect(await runner.run(AlertCommand(argv: ["/bin/sh", "-c", "exit 3"]), for: Self.observation) == .exited(3))
        let missing = await runner.run(AlertCommand(argv: ["/nonexistent/notify"]), for: Self.observation)
        guard case .couldNotStart(let reason) = missing else {
            Issue.record("expected couldNotStart, got \(missing)")
            return
        }
        #expect(reason.contains("/nonexistent/notify"))
    }
}
