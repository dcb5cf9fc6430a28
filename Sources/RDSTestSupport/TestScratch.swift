import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Scratch paths for tests, all under one folder per test process:
/// `$TMPDIR/rds-backupd-tests/<pid>/`. Swift Testing has no hook after the last test, so the
/// folders of test processes that no longer run are removed when the next one first asks:
/// the leftovers of a run last until the next run, never pile up.
public enum TestScratch {
    static let base = NSTemporaryDirectory() + "rds-backupd-tests"

    /// This process's folder, created (and the dead processes' folders removed) on first use.
    public static let root: String = {
        let fileManager = FileManager.default
        for name in (try? fileManager.contentsOfDirectory(atPath: base)) ?? [] {
            guard let pid = Int32(name), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? fileManager.removeItem(atPath: base + "/" + name)
        }
        let root = base + "/\(getpid())"
        try? fileManager.createDirectory(atPath: root, withIntermediateDirectories: true)
        return root
    }()

    /// A fresh path (not created) whose last component starts with `prefix`.
    public static func path(_ prefix: String) -> String {
        root + "/" + prefix + "-" + UUID().uuidString
    }
}
