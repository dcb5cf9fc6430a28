import Foundation
import RDSTestSupport
import Testing

/// A throw-away systemd booted as PID 1 by `scripts/systemd-harness.sh` (root only): commands
/// run inside it, files are copied in, and `down` removes every trace.
struct SystemdSandbox: Sendable {
    let name: String

    static let harness = BinaryRunner.packageRoot.appendingPathComponent("scripts/systemd-harness.sh").path
    /// Where the harness keeps its per-sandbox directories (its own default unless HARNESS_BASE is set).
    static let base = ProcessInfo.processInfo.environment["HARNESS_BASE"] ?? "/tmp/rds-backupd-harness"
    /// Name prefix of sandboxes this test target boots; the rest of the name is the test process id.
    static let prefix = "svc-"

    struct HarnessFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Boots a sandbox named after this process (and `role`, when one process boots several);
    /// sandboxes left by test processes that died first are removed.
    static func boot(role: String = "") async throws -> SystemdSandbox {
        await removeLeftovers()
        let sandbox = SystemdSandbox(name: "\(prefix)\(getpid())\(role.isEmpty ? "" : "-\(role)")")
        _ = await harness(["down", sandbox.name])  // a leftover under our own (reused) pid
        let result = await harness(["up", sandbox.name])
        guard result.status == 0 else {
            throw HarnessFailure(description: "systemd-harness.sh up failed (exit \(result.status)):\n\(result.output)")
        }
        return sandbox
    }

    /// Powers the sandbox off and removes it.
    func down() async {
        _ = await Self.harness(["down", name])
    }

    /// Runs a command inside the sandbox (root, its own namespaces, a clean environment).
    @discardableResult
    func exec(_ arguments: [String]) async -> ProcessResult {
        await Self.harness(["exec", name] + arguments)
    }

    /// Runs a shell script inside the sandbox; fails the caller when it exits non-zero.
    @discardableResult
    func sh(_ script: String, _ arguments: String...) async throws -> ProcessResult {
        let result = await exec(["/bin/sh", "-c", script, "sh"] + arguments)
        guard result.status == 0 else {
            throw HarnessFailure(description: "in the sandbox, `\(script)` exited \(result.status):\n\(result.output)")
        }
        return result
    }

    /// Copies a host file to `destination` inside the sandbox with `mode` (octal, as chmod takes it).
    func copy(_ source: String, to destination: String, mode: String) async throws {
        let result = await Self.harness(["cp", name, source, destination])
        guard result.status == 0 else {
            throw HarnessFailure(description: "copy \(source) -> \(destination) failed:\n\(result.output)")
        }
        try await sh(#"chmod "$1" "$2""#, mode, destination)
    }

    /// Writes `text` to `destination` inside the sandbox with `mode`.
    func write(_ text: String, to destination: String, mode: String = "0644") async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-file-\(UUID().uuidString)")
        try text.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        try await copy(file.path, to: destination, mode: mode)
    }

    /// Sandboxes of this target whose test process is gone (it crashed before tearing down).
    private static func removeLeftovers() async {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
        for name in names where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count).prefix(while: \.isNumber)), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { _ = await harness(["down", name]) }
        }
    }

    /// Runs the harness off Swift concurrency's threads (it blocks until the command ends;
    /// the harness bounds every command by HARNESS_TIMEOUT, 60 s).
    private static func harness(_ arguments: [String]) async -> ProcessResult {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let result: ProcessResult
                do {
                    result = try ProcessRunner.run(["bash", harness] + arguments)
                } catch {
                    result = ProcessResult(status: -1, stdout: "", stderr: "cannot run \(harness): \(error)")
                }
                continuation.resume(returning: result)
            }
        }
    }
}

/// Waits for something outside the test process (systemd, the journal) to become true, asking
/// every `interval`; throws after `timeout` with `what` and the last answer.
func poll<T: Sendable>(
    _ what: String, timeout: Duration, interval: Duration = .milliseconds(150),
    isolation: isolated (any Actor)? = #isolation,
    _ probe: () async throws -> T?
) async throws -> T {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
        if let value = try await probe() { return value }
        guard clock.now < deadline else { throw PollTimeout(what: what, timeout: timeout) }
        try await clock.sleep(for: interval)
    }
}

struct PollTimeout: Error, CustomStringConvertible {
    var what: String
    var timeout: Duration
    var description: String { "waited \(timeout) for \(what)" }
}
