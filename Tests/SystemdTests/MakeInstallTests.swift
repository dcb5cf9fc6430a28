import Foundation
import RDSTestSupport
import Testing

/// `make install-files` / `make uninstall` (what `make install` runs after its release build)
/// into a scratch DESTDIR, with the debug build as the binary: PREFIX decides every path, the
/// installed unit names the installed binary, and uninstall takes back everything but the schedule.
@Suite struct MakeInstallTests {
    static func make(_ target: String, destdir: String, prefix: String) throws -> ProcessResult {
        try ProcessRunner.run([
            "make", "-C", BinaryRunner.packageRoot.path, "--no-print-directory", target,
            "DESTDIR=\(destdir)", "PREFIX=\(prefix)", "BINARY=\(BinaryRunner.binary.path)", "MANPAGE=",
        ])
    }

    static func files(under root: String) -> [String] {
        var found: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue {
                found.append("/" + relative)
            }
        }
        return found.sorted()
    }

    @Test func installHonoursPrefixInTheUnitAndUninstallRemovesWhatItInstalled() throws {
        let destdir = TestScratch.path("make-install-opt")
        try? FileManager.default.removeItem(atPath: destdir)
        defer { try? FileManager.default.removeItem(atPath: destdir) }
        let install = try Self.make("install-files", destdir: destdir, prefix: "/opt/rdsb")
        #expect(install.status == 0, "\(install.output)")

        #expect(Self.files(under: destdir) == [
            "/etc/rds-backupd/schedule.yaml",
            "/opt/rdsb/bin/rds-backupd",
            "/opt/rdsb/lib/systemd/catalog/rds-backupd.catalog",
            "/opt/rdsb/lib/systemd/system/rds-backupd.service",
            "/opt/rdsb/share/bash-completion/completions/rds-backupd",
            "/opt/rdsb/share/fish/vendor_completions.d/rds-backupd.fish",
            "/opt/rdsb/share/man/man5/rds-backupd.schedule.5",
            "/opt/rdsb/share/zsh/site-functions/_rds-backupd",
        ])
        let unit = try String(contentsOfFile: destdir + "/opt/rdsb/lib/systemd/system/rds-backupd.service", encoding: .utf8)
        let lines = unit.split(separator: "\n").map(String.init)
        #expect(lines.contains("ExecStart=/opt/rdsb/bin/rds-backupd run"))
        #expect(lines.contains("ExecReload=/opt/rdsb/bin/rds-backupd check-config --quiet --schedule-only"))
        #expect(!unit.contains("/usr/bin/rds-backupd") && !unit.contains("/usr/local/bin"), "a path that is not PREFIX's:\n\(unit)")

        // Completions from the binary: every command, and files where a file is asked for.
        let bash = try String(contentsOfFile: destdir + "/opt/rdsb/share/bash-completion/completions/rds-backupd", encoding: .utf8)
        for command in ["run", "check-config", "next-runs", "status", "history", "backup-now", "prune"] {
            #expect(bash.contains(command), "bash completion lacks \(command)")
        }
        let fish = try String(contentsOfFile: destdir + "/opt/rdsb/share/fish/vendor_completions.d/rds-backupd.fish", encoding: .utf8)
        #expect(fish.contains("check-config"))
        let zsh = try String(contentsOfFile: destdir + "/opt/rdsb/share/zsh/site-functions/_rds-backupd", encoding: .utf8)
        #expect(zsh.hasPrefix("#compdef rds-backupd"))

        // A second install keeps the (edited) schedule.
        try "# edited\n".write(toFile: destdir + "/etc/rds-backupd/schedule.yaml", atomically: true, encoding: .utf8)
        let again = try Self.make("install-files", destdir: destdir, prefix: "/opt/rdsb")
        #expect(again.status == 0 && again.stdout.contains("kept the existing"), "\(again.output)")
        #expect(try String(contentsOfFile: destdir + "/etc/rds-backupd/schedule.yaml", encoding: .utf8) == "# edited\n")

        let uninstall = try Self.make("uninstall", destdir: destdir, prefix: "/opt/rdsb")
        #expect(uninstall.status == 0, "\(uninstall.output)")
        #expect(Self.files(under: destdir) == ["/etc/rds-backupd/schedule.yaml"], "left behind: \(Self.files(under: destdir))")
    }

    @Test func usrPrefixPutsTheUnitWhereDebianPackagesDo() throws {
        let destdir = TestScratch.path("make-install-usr")
        try? FileManager.default.removeItem(atPath: destdir)
        defer { try? FileManager.default.removeItem(atPath: destdir) }
        let install = try Self.make("install-files", destdir: destdir, prefix: "/usr")
        #expect(install.status == 0, "\(install.output)")
        let files = Self.files(under: destdir)
        #expect(files.contains("/usr/lib/systemd/system/rds-backupd.service"))
        #expect(files.contains("/usr/share/zsh/vendor-completions/_rds-backupd"), "\(files)")
        let unit = try String(contentsOfFile: destdir + "/usr/lib/systemd/system/rds-backupd.service", encoding: .utf8)
        #expect(unit.contains("\nExecStart=/usr/bin/rds-backupd run\n"))
    }
}
