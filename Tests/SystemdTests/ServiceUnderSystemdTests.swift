import BackupScheduler
import Foundation
import Testing

/// The whole service under a real systemd 252 (`scripts/systemd-harness.sh`): the shipped unit
/// installed as `make install` installs it, credentials through `LoadCredential=`, the simulator
/// on the sandbox's loopback. One sandbox is shared by the suite and removed after it.
@Suite(.serialized, .serviceSandbox)
struct ServiceUnderSystemdTests {
    let service = InstalledService.shared
    static let unit = InstalledService.unit

    /// systemd's catalog id of "UNIT: Deactivated successfully." (a stop without a failed result).
    static let unitDeactivatedSuccessfully = "7ad2d189f7e94e70a38c781354912448"

    @Test func startReturnsOnceTheServiceIsReady() async throws {
        let sandbox = try await service.installed()
        if try await service.show(["ActiveState"])["ActiveState"] != "inactive" {
            try await sandbox.sh("systemctl stop rds-backupd")
        }
        let cursor = try await service.journalCursor()
        let start = await sandbox.exec(["systemctl", "start", "rds-backupd"])
        await service.noteStarted()
        let tail = await service.journalTail()
        #expect(start.status == 0, "systemctl start: \(start.output)\n\(tail)")

        // Type=notify: the start job ends only with READY=1, so the unit is running at once.
        let state = try await service.show(["Type", "ActiveState", "SubState", "InvocationID"])
        #expect(state["Type"] == "notify")
        #expect(state["ActiveState"] == "active")
        #expect(state["SubState"] == "running")
        let invocation = try #require(state["InvocationID"])
        let started = try await service.awaitJournal("the service's start event", after: cursor, [
            "_SYSTEMD_INVOCATION_ID=\(invocation)", "MESSAGE_ID=\(BackupEvent.serviceStarted.messageID)",
        ])
        #expect(started["MESSAGE"]?.hasPrefix("rds-backupd started with 1 entry") == true, "\(started)")
    }

    @Test func statusShowsTheServiceStatusLine() async throws {
        let sandbox = try await service.running()
        let statusText = try await poll("a STATUS= line", timeout: .seconds(10)) {
            try await service.show(["StatusText"])["StatusText"].flatMap { $0.isEmpty ? nil : $0 }
        }
        #expect(statusText.hasPrefix("1 entry · next orders "), "\(statusText)")
        #expect(statusText.contains(" · last 24h: "), "\(statusText)")
        let status = await sandbox.exec(["systemctl", "status", "--no-pager", "rds-backupd"])
        #expect(status.status == 0, "\(status.output)")
        #expect(status.stdout.contains("Status: \"\(statusText)\""), "\(status.stdout)")
    }

    @Test func serviceRunsAsADynamicUserWithItsStateAndTheLoadedCredential() async throws {
        let sandbox = try await service.running()
        let pid = try #require(try await service.show(["MainPID"])["MainPID"].flatMap(Int.init))
        #expect(pid > 0)

        let uid = try await sandbox.sh(#"awk '/^Uid:/ { print $2 }' "/proc/$1/status""#, "\(pid)").stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        // systemd allocates DynamicUser= ids from 61184-65519.
        #expect(Int(uid).map { (61184...65519).contains($0) } == true, "uid \(uid)")

        // StateDirectory= with DynamicUser=: /var/lib/rds-backupd -> private/rds-backupd, owned by that uid.
        let link = try await sandbox.sh("readlink /var/lib/rds-backupd").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(link == "private/rds-backupd")
        let state = try await sandbox.sh("stat -c '%u %a' /var/lib/private/rds-backupd /var/lib/private/rds-backupd/state.sqlite")
            .stdout.split(separator: "\n").map(String.init)
        #expect(state == ["\(uid) 700", "\(uid) 600"], "state directory and database: \(state)")

        // LoadCredential=: the root-only file reaches the service as $CREDENTIALS_DIRECTORY/clouds.yaml.
        let environment = try await sandbox.sh(#"tr '\0' '\n' < "/proc/$1/environ""#, "\(pid)").stdout
            .split(separator: "\n").map(String.init)
        let directory = "/run/credentials/\(Self.unit)"
        #expect(environment.contains("CREDENTIALS_DIRECTORY=\(directory)"), "\(environment)")
        #expect(!environment.contains { $0.hasPrefix("OS_") }, "no OS_* variables: the password comes from the credential")
        let credential = try await sandbox.sh(#"cat "$1/clouds.yaml""#, directory).stdout
        #expect(credential == InstalledService.cloudsYAML)
        let direct = await sandbox.exec(
            ["setpriv", "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "cat", InstalledService.credentialsPath])
        #expect(direct.status != 0, "the service user must not read the credential file on disk")
    }

    @Test func reloadAppliesAValidScheduleAndKeepsTheOldOneWhenTheNewIsInvalid() async throws {
        let sandbox = try await service.running()
        let pid = try await service.show(["MainPID"])["MainPID"]

        let twoEntries = InstalledService.baselineSchedule + """
              - alias: payroll
                instance_id: \(InstalledService.payrollInstance)
                cron: "0 3 * * *"

            """
        var cursor = try await service.journalCursor()
        try await service.writeSchedule(twoEntries)
        try await sandbox.sh("systemctl reload rds-backupd")
        let reloaded = try await service.awaitJournal("the configuration reloaded event", after: cursor, [
            "_SYSTEMD_UNIT=\(Self.unit)", "MESSAGE_ID=\(BackupEvent.configReloaded.messageID)",
        ])
        #expect(reloaded["MESSAGE"]?.contains("2 entries") == true, "\(reloaded)")
        let newStatus = try await poll("STATUS= with two entries", timeout: .seconds(10)) {
            try await service.show(["StatusText"])["StatusText"].flatMap { $0.hasPrefix("2 entries") ? $0 : nil }
        }
        #expect(newStatus.contains("next orders"))

        let invalid = twoEntries.replacingOccurrences(of: "cron: \"0 3 * * *\"", with: "cron: \"0 25 * * *\"")
        let badLine = try #require(invalid.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("0 25") }) + 1
        cursor = try await service.journalCursor()
        try await service.writeSchedule(invalid)
        // ExecReload= runs check-config first: the reload fails visibly, nothing is signalled.
        let refused = await sandbox.exec(["systemctl", "reload", "rds-backupd"])
        #expect(refused.status != 0, "systemctl reload of a broken file must fail\n\(refused.output)")
        let checked = try await poll("check-config's verdict in the journal", timeout: .seconds(10)) {
            try await service.journal(after: cursor, ["_SYSTEMD_UNIT=\(Self.unit)"]).first {
                $0["MESSAGE"]?.contains("\(InstalledService.schedulePath):\(badLine):") == true
            }
        }
        #expect(checked["MESSAGE"]?.contains("hour 25") == true, "\(checked)")
        let notSignalled = try await service.journal(after: cursor, [
            "_SYSTEMD_UNIT=\(Self.unit)", "MESSAGE_ID=\(BackupEvent.configRejected.messageID)",
        ])
        #expect(notSignalled.isEmpty, "the service was signalled although the check failed: \(notSignalled)")
        #expect(try await service.show(["MainPID", "ActiveState"]) == ["MainPID": pid ?? "", "ActiveState": "active"])

        // A SIGHUP that bypasses the check (kill -HUP by hand) meets the service's own check.
        cursor = try await service.journalCursor()
        try await sandbox.sh("systemctl kill --kill-whom=main --signal=HUP rds-backupd")
        let rejected = try await service.awaitJournal("the configuration rejected event", after: cursor, [
            "_SYSTEMD_UNIT=\(Self.unit)", "MESSAGE_ID=\(BackupEvent.configRejected.messageID)",
        ])
        let message = rejected["MESSAGE"] ?? ""
        #expect(message.contains("\(InstalledService.schedulePath):\(badLine):"), "\(message)")
        #expect(message.contains("hour 25"), "\(message)")
        #expect(rejected["PRIORITY"] == "4")
        let kept = try await poll("STATUS= saying the file was rejected", timeout: .seconds(10)) {
            try await service.show(["StatusText"])["StatusText"].flatMap { $0.hasPrefix("configuration rejected") ? $0 : nil }
        }
        #expect(kept.contains("2 entries"), "the last good schedule stays in force: \(kept)")
        let after = try await service.show(["ActiveState", "SubState", "MainPID"])
        #expect(after["ActiveState"] == "active")
        #expect(after["SubState"] == "running")
        #expect(after["MainPID"] == pid, "reloads happen in the same process")
    }

    @Test func aConfigurationErrorAtStartFailsTheUnitAtOnceWithoutRestarts() async throws {
        let sandbox = try await service.running()
        try await service.writeSchedule(InstalledService.baselineSchedule.replacingOccurrences(of: "cron: \"* * * * *\"", with: "cron: \"61 * * * *\""))
        let restart = await sandbox.exec(["systemctl", "restart", "rds-backupd"])
        #expect(restart.status != 0, "the start of a broken configuration must fail: \(restart.output)")
        // RestartPreventExitStatus=2: failed for good at once, not "auto-restart" five times.
        let state = try await poll("the unit to fail", timeout: .seconds(20)) {
            let values = try await service.show(["ActiveState", "SubState", "ExecMainStatus", "NRestarts", "Result"])
            return values["ActiveState"] == "failed" ? values : nil
        }
        #expect(state["ExecMainStatus"] == "2", "\(state)")
        #expect(state["Result"] == "exit-code", "\(state)")
        #expect(state["NRestarts"] == "0", "\(state)")
        #expect(state["SubState"] == "failed", "\(state)")

        _ = try await service.running()  // the baseline schedule, started again, for the tests after this one
    }

    @Test func watchdogRestartsAStalledSchedulerAtOnce() async throws {
        let sandbox = try await service.running()
        try await service.addDropIn(
            "50-test-watchdog.conf",
            """
            [Service]
            WatchdogSec=3s
            RestartSec=1s
            Environment=RDS_BACKUPD_TEST_STALL_SCHEDULER=1

            """)
        let cursor = try await service.journalCursor()
        let clock = ContinuousClock()
        let restarted = clock.now
        try await sandbox.sh("systemctl restart rds-backupd")

        let failed = try await service.awaitJournal(
            "systemd to fail the unit with result 'watchdog'", after: cursor, ["UNIT=\(Self.unit)", "UNIT_RESULT=watchdog"],
            timeout: .seconds(20))
        let took = clock.now - restarted
        let tail = await service.journalTail()
        // 3 s without WATCHDOG=1, then SIGABRT must end the process at once (not after TimeoutAbortSec).
        #expect(took < .seconds(12), "the watchdog kill took \(took)\n\(tail)")
        #expect(failed["_PID"] == "1")
        let aborted = try await service.journal(after: cursor, ["UNIT=\(Self.unit)", "EXIT_CODE=killed", "EXIT_STATUS=6"])
        #expect(!aborted.isEmpty, "the main process ends by SIGABRT\n\(tail)")
        let restarts = try await poll("NRestarts >= 1", timeout: .seconds(10)) {
            try await service.show(["NRestarts"])["NRestarts"].flatMap(Int.init).flatMap { $0 >= 1 ? $0 : nil }
        }
        #expect(restarts >= 1)

        _ = try await service.running()  // the shipped unit again, for the tests after this one
    }

    @Test func journalHasTheStructuredEventsOfAScheduledBackup() async throws {
        let sandbox = try await service.running()
        // The first slot is the first minute boundary after the first start (or caught up at a later start).
        let firstStart = try #require(await service.firstStart)
        let boundary = Date(timeIntervalSince1970: (firstStart.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60)
        let wait = max(boundary.timeIntervalSinceNow + 25, 15)
        let created = try await service.awaitJournal("a backup created by the first slot", after: nil, [
            "_SYSTEMD_UNIT=\(Self.unit)", "MESSAGE_ID=\(BackupEvent.backupCreated.messageID)",
        ], timeout: .seconds(wait))
        #expect(created["RDS_INSTANCE_ID"] == InstalledService.ordersInstance, "\(created)")
        #expect(created["RDS_ENTRY"] == "orders", "\(created)")
        #expect(created["RDS_ATTEMPT"] == "1", "\(created)")
        #expect(created["PRIORITY"] == "6", "\(created)")
        #expect(created["SYSLOG_IDENTIFIER"] == "rds-backupd", "\(created)")
        #expect(created["_TRANSPORT"] == "journal", "native entry, not a stderr line: \(created)")
        #expect((created["RDS_BACKUP_ID"] ?? "").count >= 32, "\(created)")
        // RDS_SLOT 2026-11-29T05:18:00Z names the backup orders-20261129-0518 (the schedule's template).
        let slot = try #require(created["RDS_SLOT"])
        #expect(slot.hasSuffix(":00Z"), "\(slot)")
        let digits = slot.filter(\.isNumber)
        #expect(created["RDS_BACKUP_NAME"] == "orders-\(digits.prefix(8))-\(digits.dropFirst(8).prefix(4))", "\(created)")

        let started = try await service.journal(
            after: nil, ["_SYSTEMD_UNIT=\(Self.unit)", "MESSAGE_ID=\(BackupEvent.slotStarted.messageID)", "RDS_SLOT=\(slot)"])
        #expect(started.first?["RDS_INSTANCE_ID"] == InstalledService.ordersInstance, "\(started)")

        // The password reached the service only as a credential, and no log line carries it.
        let everything = await sandbox.exec(["journalctl", "-u", Self.unit, "-o", "json", "--no-pager"]).stdout
        #expect(!everything.isEmpty)
        #expect(!everything.contains(InstalledService.simulatorPassword), "the password is in the journal")
    }

    @Test func stopIsCleanAndLogged() async throws {
        let sandbox = try await service.running()
        let invocation = try #require(try await service.show(["InvocationID"])["InvocationID"])
        let cursor = try await service.journalCursor()
        let clock = ContinuousClock()
        let began = clock.now
        let stop = await sandbox.exec(["systemctl", "stop", "rds-backupd"])
        let took = clock.now - began
        #expect(stop.status == 0, "\(stop.output)")
        #expect(took < .seconds(10), "stop took \(took) (TimeoutStopSec=45s)")

        _ = try await service.awaitJournal("the service's stopping event", after: cursor, [
            "_SYSTEMD_INVOCATION_ID=\(invocation)", "MESSAGE_ID=\(BackupEvent.serviceStopping.messageID)",
        ])
        _ = try await service.awaitJournal("systemd's 'Deactivated successfully'", after: cursor, [
            "UNIT=\(Self.unit)", "INVOCATION_ID=\(invocation)", "MESSAGE_ID=\(Self.unitDeactivatedSuccessfully)",
        ])
        let systemd = try await service.journal(after: cursor, ["UNIT=\(Self.unit)", "INVOCATION_ID=\(invocation)"])
        #expect(!systemd.contains { $0["UNIT_RESULT"] != nil }, "systemd reported a failed result: \(systemd)")
        let failed = await sandbox.exec(["systemctl", "is-failed", Self.unit])
        #expect(failed.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "inactive")
    }
}

/// Tears the shared sandbox of `ServiceUnderSystemdTests` down after the suite, however it ended.
struct ServiceSandboxTrait: SuiteTrait, TestScoping {
    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        do {
            try await function()
        } catch {
            await InstalledService.shared.tearDown()
            throw error
        }
        await InstalledService.shared.tearDown()
    }
}

extension Trait where Self == ServiceSandboxTrait {
    /// One systemd sandbox for the suite, powered off after it.
    static var serviceSandbox: Self { Self() }
}
