import Foundation
import RDSTestSupport

/// Runs a command to completion and captures what it printed.
struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var output: String { stdout + stderr }
}

enum ProcessRunner {
    /// Runs `arguments[0]` (looked up in PATH) with the rest as arguments.
    static func run(_ arguments: [String], environment: [String: String]? = nil) throws -> ProcessResult {
        // Pipes drained on their own threads; a child still running after 5 minutes is killed and
        // the test fails (BinaryRunner.Timeout) instead of hanging the suite.
        let output = try BinaryRunner.runBlocking(
            executable: URL(fileURLWithPath: "/usr/bin/env"), arguments: arguments, environment: environment, timeout: .seconds(300))
        return ProcessResult(status: output.status, stdout: output.stdout, stderr: output.stderr)
    }

    /// The absolute path of `tool` in PATH, or nil.
    static func which(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let dirs: [String] = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"]
        for dir in dirs {
            let candidate = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static var isRoot: Bool { getuid() == 0 }
}
