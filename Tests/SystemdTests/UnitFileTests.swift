import Foundation
import RDSTestSupport
import Testing

/// `systemd/rds-backupd.service`, checked by systemd's own tools.
@Suite struct UnitFileTests {
    static let unitURL = BinaryRunner.packageRoot.appendingPathComponent("systemd/rds-backupd.service")
    static let maximumExposure = 1.5

    private func requireAnalyze() throws {
        guard ProcessRunner.which("systemd-analyze") != nil else {
            try Test.cancel("systemd-analyze is not installed (apt-get install systemd); unit file checks skipped")
        }
    }

    /// `systemd-analyze security --offline=true` exposure of the unit at `url`.
    static func exposure(of url: URL) throws -> (score: Double?, output: String) {
        let result = try ProcessRunner.run(["systemd-analyze", "security", "--offline=true", "--no-pager", url.path])
        let line = result.stdout.split(separator: "\n").last { $0.contains("Overall exposure level") }
        // "→ Overall exposure level for rds-backupd.service: 1.1 OK 🙂"
        let score = line.flatMap { $0.split(separator: ":").last?.split(separator: " ").first }.flatMap { Double($0) }
        return (score, result.output)
    }

    /// `systemd-analyze verify` of the unit text at `url` as installed for PREFIX=/usr/local (the
    /// binary paths rewritten as `make install` does). verify insists that the binaries exist;
    /// rather than editing the unit, the check runs in a private mount namespace with a stub
    /// executable mounted at /usr/local/bin (root), or uses the installed binary. Only without
    /// either does it fall back to a copy whose commands run /bin/true.
    static func verify(_ url: URL) throws -> ProcessResult {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("unit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let copy = dir.appendingPathComponent(url.lastPathComponent)
        var text = try String(contentsOf: url, encoding: .utf8)
            .replacingOccurrences(of: "/usr/bin/rds-backupd", with: "/usr/local/bin/rds-backupd")
        if FileManager.default.isExecutableFile(atPath: "/usr/local/bin/rds-backupd") {
            try text.write(to: copy, atomically: true, encoding: .utf8)
            return try ProcessRunner.run(["systemd-analyze", "verify", "--man=no", copy.path])
        }
        if ProcessRunner.isRoot, ProcessRunner.which("unshare") != nil {
            try text.write(to: copy, atomically: true, encoding: .utf8)
            let script = """
                set -e
                mount -t tmpfs -o mode=755 rds-backupd-verify /usr/local/bin
                cp /bin/true /usr/local/bin/rds-backupd
                exec systemd-analyze verify --man=no "$1"
                """
            return try ProcessRunner.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", copy.path])
        }
        text = text.replacingOccurrences(of: "/usr/local/bin/rds-backupd", with: "/bin/true")
        try text.write(to: copy, atomically: true, encoding: .utf8)
        return try ProcessRunner.run(["systemd-analyze", "verify", "--man=no", copy.path])
    }

    @Test func securityExposureIsAtMostOnePointFive() throws {
        try requireAnalyze()
        let (score, output) = try Self.exposure(of: Self.unitURL)
        let value = try #require(score, "no exposure level in: \(output)")
        #expect(value <= Self.maximumExposure, "exposure \(value) > \(Self.maximumExposure):\n\(output)")
    }

    @Test func verifyIsClean() throws {
        try requireAnalyze()
        let result = try Self.verify(Self.unitURL)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "verify said:\n\(result.output)")
    }

    @Test func verifyCatchesAMistakeInTheUnit() throws {
        try requireAnalyze()
        // Proves the clean verify above means something: one misspelt directive is reported.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("unit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let broken = dir.appendingPathComponent("rds-backupd.service")
        let text = try String(contentsOf: Self.unitURL, encoding: .utf8)
            .replacingOccurrences(of: "ProtectHome=yes", with: "ProtectHome=yes\nProtectHomeDirs=yes")
        try text.write(to: broken, atomically: true, encoding: .utf8)
        let result = try Self.verify(broken)
        #expect(result.output.contains("ProtectHomeDirs"), "\(result.output)")
    }

    @Test func unitSpeaksTheNotifyProtocolTheServiceImplements() throws {
        let lines = Set(try String(contentsOf: Self.unitURL, encoding: .utf8).split(separator: "\n").map(String.init))
        for directive in [
            "Type=notify", "NotifyAccess=main", "ExecStart=/usr/bin/rds-backupd run",
            "Restart=on-failure", "RestartPreventExitStatus=2", "TimeoutStopSec=45s",
            "Documentation=man:rds-backupd(8) man:rds-backupd.schedule(5)",
            "DynamicUser=yes", "StateDirectory=rds-backupd", "ConfigurationDirectory=rds-backupd",
            "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6", "MemoryDenyWriteExecute=yes",
        ] {
            #expect(lines.contains(directive), "missing \(directive)")
        }
        #expect(lines.contains { $0.hasPrefix("WatchdogSec=") })
        #expect(lines.contains { $0.hasPrefix("LoadCredential=") })
        #expect(!lines.contains { $0.hasPrefix("IPAddressDeny=") }, "the service must reach the cloud")
        // Reload validates first, then signals: the check's failure stops the reload.
        let reloads = try String(contentsOf: Self.unitURL, encoding: .utf8).split(separator: "\n").filter { $0.hasPrefix("ExecReload=") }
        #expect(reloads == ["ExecReload=/usr/bin/rds-backupd check-config --quiet --schedule-only", "ExecReload=/bin/kill -HUP $MAINPID"])
    }
}
