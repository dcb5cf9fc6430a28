import Foundation
import RDSTestSupport
import Testing

/// rds-backupd installed into one `SystemdSandbox` the way `make install` installs it (the files
/// `make install-files` stages for PREFIX=/usr/local, with the debug build as the binary),
/// with a schedule and a clouds.yaml credential pointing at the simulator, which runs inside the
/// sandbox as the transient unit `rds-simulator.service` on 127.0.0.1:8980. Shared by the tests
/// of `ServiceUnderSystemdTests`; booted on first use, removed by `tearDown()`.
actor InstalledService {
    static let shared = InstalledService()

    static let unit = "rds-backupd.service"
    static let ordersInstance = "d8e6ca5a624745bcb546a227aa3ae1cfin01"
    static let payrollInstance = "5e1c0c8f1d4a4b7e9b6a0f1e2d3c4b5ain04"
    static let simulatorPort = 8980
    static let simulatorPassword = "simulator-password"
    static let schedulePath = "/etc/rds-backupd/schedule.yaml"
    static let credentialsPath = "/etc/rds-backupd/credentials/clouds.yaml"
    static let dropInDirectory = "/etc/systemd/system/rds-backupd.service.d"

    /// One entry every minute (the test waits for at most one minute boundary), 1 s jitter.
    static let baselineSchedule = """
        cloud:
          region: eu-de
          project_id: 0483b6b16e954cb88930a360d2c4e663
          auth: clouds.yaml:otc
          auth_url: http://127.0.0.1:\(simulatorPort)/v3
          endpoint: http://127.0.0.1:\(simulatorPort)
        defaults:
          timezone: UTC
          name: "{alias}-{slot:%Y%m%d-%H%M}"
          start_window: 10m
          jitter: 1s
        backups:
          - alias: orders
            instance_id: \(ordersInstance)
            cron: "* * * * *"

        """

    /// The simulator's password user, as an OTC user keeps it in clouds.yaml.
    static let cloudsYAML = """
        clouds:
          otc:
            region_name: eu-de
            auth:
              auth_url: http://127.0.0.1:\(simulatorPort)/v3
              username: backup-operator
              password: \(simulatorPassword)
              user_domain_name: OTC00000000001000000001
              project_id: 0483b6b16e954cb88930a360d2c4e663

        """

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private var sandbox: SystemdSandbox?
    /// The sandbox while it is being set up (torn down too if installing fails).
    private var booting: SystemdSandbox?
    private var bootError: String?
    private var dropIns: Set<String> = []
    private var scheduleChanged = false
    /// When the service was first started: its first slot is the next minute boundary after it.
    private(set) var firstStart: Date?

    // MARK: - Set-up and tear-down

    /// Skips the calling test when not root (fails it under `CI=true`).
    static func requireRoot() throws {
        guard !ProcessRunner.isRoot else { return }
        let why = "the service-under-systemd tests boot systemd in private namespaces and need root"
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            Issue.record("\(why) (CI=true: they must run)")
            throw Failure(description: why)
        }
        try Test.cancel("\(why); skipped")
    }

    /// The booted sandbox with everything installed; the first call boots and installs.
    func installed() async throws -> SystemdSandbox {
        try Self.requireRoot()
        if let sandbox { return sandbox }
        if let bootError { throw Failure(description: "the sandbox could not be set up earlier: \(bootError)") }
        do {
            let booted = try await SystemdSandbox.boot()
            booting = booted
            try await install(into: booted)
            sandbox = booted
            return booted
        } catch {
            bootError = "\(error)"
            throw error
        }
    }

    /// Powers the sandbox off; called once after the suite, whatever happened (unless
    /// RDS_BACKUPD_KEEP_SANDBOX=1 asks to keep it for a look: scripts/systemd-harness.sh exec svc-PID …).
    func tearDown() async {
        guard let booted = sandbox ?? booting else { return }
        if ProcessInfo.processInfo.environment["RDS_BACKUPD_KEEP_SANDBOX"] == "1" {
            print("kept the sandbox \(booted.name): scripts/systemd-harness.sh down \(booted.name) removes it")
            return
        }
        await booted.down()
        sandbox = nil
        booting = nil
    }

    private func install(into sandbox: SystemdSandbox) async throws {
        let root = BinaryRunner.packageRoot
        let files = URL(fileURLWithPath: TestScratch.path("rds-backupd-install"))
        try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: files) }
        let schedule = files.appendingPathComponent("schedule.yaml")
        try Self.baselineSchedule.write(to: schedule, atomically: true, encoding: .utf8)

        let binary = ProcessInfo.processInfo.environment["RDS_BACKUPD_BINARY"]
            ?? root.appendingPathComponent(".build/debug/rds-backupd").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw Failure(description: "no built binary at \(binary); run swift build first")
        }
        let runs = try ProcessRunner.run([binary, "--help"])
        guard runs.status == 0 else {
            throw Failure(description: "\(binary) --help exited \(runs.status) (a build still linking it?):\n\(runs.output.prefix(2000))")
        }
        for file in try Self.makeInstallFiles(binary: binary) {
            // The example schedule talks to the real cloud: the baseline replaces it.
            let source = file.destination == Self.schedulePath ? schedule.path : file.source
            try await sandbox.copy(source, to: file.destination, mode: file.mode)
        }
        // The credential: root-only on disk, as credentials.example says.
        try await sandbox.sh("install -d -m 0700 /etc/rds-backupd/credentials")
        try await sandbox.write(Self.cloudsYAML, to: Self.credentialsPath, mode: "0600")
        // What `make install` does after copying when DESTDIR is empty.
        try await sandbox.sh("journalctl --update-catalog && systemctl daemon-reload")

        try await sandbox.sh(
            "systemd-run --quiet --unit=rds-simulator --property=Type=exec /usr/local/bin/rds-backupd simulator --port \"$1\" --backup-duration 5s",
            "\(Self.simulatorPort)")
        _ = try await poll("the simulator to listen", timeout: .seconds(20)) {
            let log = await sandbox.exec(["journalctl", "-u", "rds-simulator", "--no-pager", "-o", "cat"]).stdout
            return log.contains("simulator listening on") ? true : nil
        }
    }

    /// The files `make install-files` (what `make install` runs after its release build) installs
    /// for PREFIX=/usr/local with `binary` (the debug build: no release build in the tests), staged
    /// in a scratch DESTDIR: each file's staged path, its path when installed and its mode. The
    /// staging directory is removed with the scratch directory of the test process.
    static func makeInstallFiles(binary: String) throws -> [(source: String, destination: String, mode: String)] {
        let destdir = TestScratch.path("rds-backupd-destdir")
        try? FileManager.default.removeItem(atPath: destdir)
        let make = try ProcessRunner.run([
            "make", "-C", BinaryRunner.packageRoot.path, "--no-print-directory", "install-files",
            "DESTDIR=\(destdir)", "PREFIX=/usr/local", "BINARY=\(binary)", "MANPAGE=",
        ])
        guard make.status == 0 else { throw Failure(description: "make install-files failed:\n\(make.output)") }
        var files: [(source: String, destination: String, mode: String)] = []
        let enumerator = FileManager.default.enumerator(atPath: destdir)
        while let relative = enumerator?.nextObject() as? String {
            let path = destdir + "/" + relative
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            guard attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            let mode = ((attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o644) & 0o7777
            files.append((path, "/" + relative, String(mode, radix: 8)))
        }
        guard files.contains(where: { $0.destination == "/usr/local/bin/rds-backupd" }),
            files.contains(where: { $0.destination == "/usr/local/lib/systemd/system/\(unit)" })
        else { throw Failure(description: "make install-files installed no binary or unit; it said:\n\(make.output)") }
        return files
    }

    // MARK: - Keeping the service in its normal state

    /// The sandbox with the service active under the shipped unit and the baseline schedule
    /// (whatever an earlier test left: a drop-in, a changed schedule, a stopped service).
    func running() async throws -> SystemdSandbox {
        let sandbox = try await installed()
        var reload = false
        if !dropIns.isEmpty {
            // Stopped first: a pending automatic restart would otherwise wait the shipped RestartSec=30s.
            try await sandbox.sh("systemctl stop rds-backupd")
            for name in dropIns { try await sandbox.sh(#"rm -f "$1""#, "\(Self.dropInDirectory)/\(name)") }
            dropIns = []
            try await sandbox.sh("systemctl daemon-reload")
        }
        if scheduleChanged {
            try await sandbox.write(Self.baselineSchedule, to: Self.schedulePath)
            scheduleChanged = false
            reload = true
        }
        let state = try await show(["ActiveState"], in: sandbox)["ActiveState"]
        if state == "active" && reload {
            try await sandbox.sh("systemctl restart rds-backupd")
        } else if state != "active" {
            await sandbox.exec(["systemctl", "reset-failed", Self.unit])
            try await sandbox.sh("systemctl start rds-backupd")
        }
        noteStarted()
        return sandbox
    }

    func noteStarted() {
        if firstStart == nil { firstStart = Date() }
    }

    /// Installs a drop-in for the service (removed again by `running()`); reloads systemd.
    func addDropIn(_ name: String, _ text: String) async throws {
        let sandbox = try await installed()
        try await sandbox.write(text, to: "\(Self.dropInDirectory)/\(name)")
        dropIns.insert(name)
        try await sandbox.sh("systemctl daemon-reload")
    }

    /// Replaces the schedule file (the baseline comes back with `running()`).
    func writeSchedule(_ text: String) async throws {
        let sandbox = try await installed()
        scheduleChanged = true
        try await sandbox.write(text, to: Self.schedulePath)
    }

    // MARK: - Asking systemd and the journal

    /// `systemctl show -p …` of the service as a dictionary.
    func show(_ properties: [String]) async throws -> [String: String] {
        try await show(properties, in: try await installed())
    }

    private func show(_ properties: [String], in sandbox: SystemdSandbox) async throws -> [String: String] {
        let result = try await sandbox.sh(#"systemctl show -p "$1" "$2""#, properties.joined(separator: ","), Self.unit)
        var values: [String: String] = [:]
        for line in result.stdout.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return values
    }

    /// The journal's current end; entries after it are what an action causes.
    func journalCursor() async throws -> String? {
        let sandbox = try await installed()
        let last = try await sandbox.sh("journalctl -n 1 -o json --no-pager").stdout
        return JournalEntry.parse(last).last?["__CURSOR"]
    }

    /// Journal entries (`journalctl -o json`) after `cursor` that match every `match` (FIELD=value).
    func journal(after cursor: String?, _ matches: [String]) async throws -> [JournalEntry] {
        let sandbox = try await installed()
        guard let cursor else {
            return JournalEntry.parse(await sandbox.exec(["journalctl", "--no-pager", "-o", "json"] + matches).stdout)
        }
        // journalctl 252 misses entries when --after-cursor is combined with matches and the
        // entries are in another file than the cursor's (journald keeps the DynamicUser's
        // entries in user-UID.journal), so the matches are applied here.
        let after = await sandbox.exec(["journalctl", "--no-pager", "-o", "json", "--after-cursor=\(cursor)"])
        let wanted = matches.map { match in
            let parts = match.split(separator: "=", maxSplits: 1).map(String.init)
            return (field: parts[0], value: parts.count > 1 ? parts[1] : "")
        }
        return JournalEntry.parse(after.stdout).filter { entry in wanted.allSatisfy { entry[$0.field] == $0.value } }
    }

    /// The first entry after `cursor` matching `matches`, once the journal has it; on time-out the
    /// error carries the service's journal.
    func awaitJournal(
        _ what: String, after cursor: String?, _ matches: [String], timeout: Duration = .seconds(10)
    ) async throws -> JournalEntry {
        do {
            return try await poll(what, timeout: timeout) { try await journal(after: cursor, matches).first }
        } catch let error as PollTimeout {
            throw Failure(description: "\(error); the journal of \(Self.unit):\n\(await journalTail())")
        }
    }

    /// The last lines of the service's journal, for failure messages.
    func journalTail() async -> String {
        guard let sandbox else { return "(no sandbox)" }
        return await sandbox.exec(["journalctl", "-u", Self.unit, "--no-pager", "-n", "25", "-o", "short-precise"]).output
    }
}

/// One journal entry from `journalctl -o json`; fields that are not plain strings are left out.
struct JournalEntry: Sendable, CustomStringConvertible {
    var fields: [String: String]

    subscript(name: String) -> String? { fields[name] }

    var description: String {
        fields.filter { !$0.key.hasPrefix("_") || $0.key == "_SYSTEMD_UNIT" }.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }

    static func parse(_ text: String) -> [JournalEntry] {
        text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return JournalEntry(fields: object.compactMapValues { $0 as? String })
        }
    }
}
