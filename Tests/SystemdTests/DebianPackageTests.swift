import BackupScheduler
import RDSClient
import Foundation
import RDSTestSupport
import Testing

/// The Debian package (`make deb`) in a throw-away systemd (`scripts/systemd-harness.sh`) with the
/// Swift toolchain hidden: installed with apt, configured against the simulator, enabled, started,
/// reloaded (a valid file applied, a broken one refused by `systemctl reload`), then purged, after
/// which the system's files are as before the installation. Runs when RDS_BACKUPD_DEB names the
/// package: `make deb` (the release build), or in CI `make deb DEB_FROM=debug` (the debug build
/// `make test` made, relinked with the Swift runtime linked in; packaging/README.md).
@Suite(.serialized) struct DebianPackageTests {
    static let unit = "rds-backupd.service"
    /// Where a package installs or leaves files; dpkg's and apt's own bookkeeping, caches and logs
    /// are left out (they change with any package), and so is what the sandbox itself changes.
    static let watched = "/etc /usr/bin /usr/lib/systemd /usr/share/man /usr/share/doc /usr/share/bash-completion /usr/share/zsh /usr/share/fish /var/lib"
    static let ignored = [
        "/var/lib/dpkg", "/var/lib/apt", "/var/lib/systemd/catalog", "/var/lib/man-db", "/etc/ld.so.cache",
        "/var/lib/PackageKit", "/var/lib/systemd/linger",  // apt's PackageKit hook, logind
    ]

    static func package() throws -> String {
        guard let deb = ProcessInfo.processInfo.environment["RDS_BACKUPD_DEB"], !deb.isEmpty else {
            try Test.cancel("set RDS_BACKUPD_DEB to a package built by make deb to test it under systemd (packaging/README.md)")
        }
        guard FileManager.default.fileExists(atPath: deb) else {
            Issue.record("RDS_BACKUPD_DEB=\(deb) does not exist")
            throw InstalledService.Failure(description: "no package at \(deb)")
        }
        return deb
    }

    /// Every path below `watched` (type and path), sorted.
    static func listing(_ sandbox: SystemdSandbox) async throws -> [String] {
        let prune = ignored.map { "-path \($0) -prune" }.joined(separator: " -o ")
        let result = try await sandbox.sh("find \(watched) -xdev \\( \(prune) \\) -o -printf '%y %p\\n' 2>/dev/null | sort")
        return result.stdout.split(separator: "\n").map(String.init)
    }

    @Test func thePackageInstallsStartsReloadsAndPurgesWithoutLeftovers() async throws {
        let deb = try Self.package()
        try InstalledService.requireRoot()
        let sandbox = try await SystemdSandbox.boot(role: "deb")
        do {
            try await exercise(deb, in: sandbox)
        } catch {
            await sandbox.down()
            throw error
        }
        await sandbox.down()
    }

    private func exercise(_ deb: String, in sandbox: SystemdSandbox) async throws {
        // No Swift toolchain: the package must carry its runtime.
        let toolchain = URL(fileURLWithPath: "/opt/swift")
        if FileManager.default.fileExists(atPath: toolchain.path) {
            try await sandbox.sh("mount -t tmpfs -o mode=755 no-toolchain /opt/swift")
        }
        #expect(await sandbox.exec(["sh", "-c", "command -v swift"]).status != 0, "swift is still on PATH in the sandbox")
        // A container's policy-rc.d forbids starting and stopping services from maintainer
        // scripts; a real machine has none.
        try await sandbox.sh("rm -f /usr/sbin/policy-rc.d")
        let before = try await Self.listing(sandbox)

        try await sandbox.copy(deb, to: "/root/rds-backupd.deb", mode: "0644")
        let install = await sandbox.exec(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "/root/rds-backupd.deb"])
        #expect(install.status == 0, "apt-get install: \(install.output)")
        try #require(install.status == 0)
        let version = try await sandbox.sh("rds-backupd --version").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(version == RDSClientVersion.current)
        // Only system libraries (those in Depends:), none of the hidden toolchain's.
        let libraries = try await sandbox.sh("ldd /usr/bin/rds-backupd").stdout
        #expect(!libraries.contains("not found") && !libraries.contains("libswift") && !libraries.contains("libFoundation"), "\(libraries)")
        // Installed but neither enabled nor started: the schedule and credentials come first.
        #expect(await sandbox.exec(["systemctl", "is-enabled", Self.unit]).stdout.hasPrefix("disabled"))
        #expect(await sandbox.exec(["systemctl", "is-active", Self.unit]).stdout.hasPrefix("inactive"))
        let files = try await sandbox.sh("dpkg -L rds-backupd").stdout
        for path in [
            "/usr/bin/rds-backupd", "/usr/lib/systemd/system/rds-backupd.service", "/usr/lib/systemd/catalog/rds-backupd.catalog",
            "/etc/rds-backupd/schedule.yaml", "/usr/share/man/man8/rds-backupd.8.gz", "/usr/share/man/man5/rds-backupd.schedule.5.gz",
            "/usr/share/bash-completion/completions/rds-backupd", "/usr/share/zsh/vendor-completions/_rds-backupd",
            "/usr/share/fish/vendor_completions.d/rds-backupd.fish", "/usr/share/doc/rds-backupd/copyright",
        ] {
            #expect(files.contains(path + "\n"), "the package lacks \(path)")
        }
        // systemd's file trigger compiled the catalog.
        let catalog = try await sandbox.sh("journalctl --list-catalog").stdout
        #expect(catalog.contains(BackupEvent.backupCreated.messageID), "the catalog was not compiled")

        // Configure against the simulator (as an admin would), then enable and start.
        try await sandbox.write(InstalledService.baselineSchedule, to: InstalledService.schedulePath)
        try await sandbox.sh("install -d -m 0700 /etc/rds-backupd/credentials")
        try await sandbox.write(InstalledService.cloudsYAML, to: InstalledService.credentialsPath, mode: "0600")
        try await sandbox.sh(
            "systemd-run --quiet --unit=rds-simulator --property=Type=exec /usr/bin/rds-backupd simulator --port \"$1\" --backup-duration 5s",
            "\(InstalledService.simulatorPort)")
        _ = try await poll("the simulator to listen", timeout: .seconds(20)) {
            await sandbox.exec(["journalctl", "-u", "rds-simulator", "--no-pager", "-o", "cat"]).stdout.contains("simulator listening on") ? true : nil
        }
        let start = await sandbox.exec(["systemctl", "enable", "--now", Self.unit])
        #expect(start.status == 0, "\(start.output)")
        let statusText = try await poll("the service's STATUS= line", timeout: .seconds(20)) {
            let text = await sandbox.exec(["systemctl", "show", "-p", "StatusText", "--value", Self.unit]).stdout
            return text.hasPrefix("1 entry") ? text : nil
        }
        #expect(statusText.contains("next orders"))

        // Reload: a valid file is applied, a broken one is refused by `systemctl reload` itself.
        let pid = await sandbox.exec(["systemctl", "show", "-p", "MainPID", "--value", Self.unit]).stdout
        let two = InstalledService.baselineSchedule + """
              - alias: payroll
                instance_id: \(InstalledService.payrollInstance)
                cron: "0 3 * * *"

            """
        try await sandbox.write(two, to: InstalledService.schedulePath)
        let reload = await sandbox.exec(["systemctl", "reload", Self.unit])
        #expect(reload.status == 0, "\(reload.output)")
        _ = try await poll("STATUS= with two entries", timeout: .seconds(20)) {
            await sandbox.exec(["systemctl", "show", "-p", "StatusText", "--value", Self.unit]).stdout.hasPrefix("2 entries") ? true : nil
        }
        try await sandbox.write(two.replacingOccurrences(of: "0 3 * * *", with: "0 25 * * *"), to: InstalledService.schedulePath)
        let refused = await sandbox.exec(["systemctl", "reload", Self.unit])
        #expect(refused.status != 0, "a broken file must fail the reload: \(refused.output)")
        #expect(await sandbox.exec(["systemctl", "is-active", Self.unit]).stdout.hasPrefix("active"))
        #expect(await sandbox.exec(["systemctl", "show", "-p", "MainPID", "--value", Self.unit]).stdout == pid)

        // Purge: stopped, and every file the package or the service made is gone.
        let purge = await sandbox.exec(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "purge", "-y", "rds-backupd"])
        #expect(purge.status == 0, "apt-get purge: \(purge.output)")
        #expect(await sandbox.exec(["systemctl", "is-active", Self.unit]).stdout.hasPrefix("inactive"))
        await sandbox.exec(["systemctl", "stop", "rds-simulator"])
        await sandbox.exec(["rm", "-f", "/root/rds-backupd.deb"])
        let after = try await Self.listing(sandbox)
        let added = Set(after).subtracting(before).sorted()
        let removed = Set(before).subtracting(after).sorted()
        #expect(added.isEmpty, "left behind after purge: \(added)")
        #expect(removed.isEmpty, "gone after purge although there before: \(removed)")
    }
}
