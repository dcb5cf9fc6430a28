import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Spawn

/// Runs the built `rds-backupd` as an operator would, without blocking Swift concurrency's threads.
///
/// Every wait is bounded: a child that outlives its timeout is SIGKILLed and the call throws
/// `BinaryRunner.Timeout` (the test fails, it never hangs); a pipe whose write end some other
/// process inherited (so EOF never comes) is given up after a short grace once the child exited.
public enum BinaryRunner {
    /// The package root, found from this file's location.
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The built executable: `$RDS_BACKUPD_BINARY`, else `.build/debug/rds-backupd`.
    public static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["RDS_BACKUPD_BINARY"] { return URL(fileURLWithPath: path) }
        return packageRoot.appendingPathComponent(".build/debug/rds-backupd")
    }

    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// The child did not exit within its timeout; it was SIGKILLed. Holds what it printed.
    public struct Timeout: Error, CustomStringConvertible {
        public var command: String
        public var timeout: Duration
        public var stdout: String
        public var stderr: String
        public var description: String {
            "\(command) did not exit within \(timeout) and was killed\nstdout: \(stdout)\nstderr: \(stderr)"
        }
    }

    /// How long the pipes may stay open after the child exited (a grandchild holding them).
    static let pipeGrace: Double = 2

    /// Runs the binary with `arguments`; `environment` replaces the inherited one (plus PATH/HOME)
    /// so no developer's `OS_*` variables leak into a test. Kills it and throws `Timeout` after `timeout`.
    public static func run(
        _ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(60)
    ) async throws -> Output {
        try await runProcess(executable: binary, arguments: arguments, environment: minimalEnvironment(environment), timeout: timeout)
    }

    /// `environment` on top of this process's PATH and a temporary HOME, and nothing else inherited.
    static func minimalEnvironment(_ environment: [String: String]) -> [String: String] {
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        env.merge(environment) { $1 }
        return env
    }

    /// Runs any executable (`environment` as given: nil inherits) on a thread of its own, never
    /// the cooperative pool, and returns when it exited; bounded by `timeout` as `run`.
    public static func runProcess(
        executable: URL, arguments: [String], environment: [String: String]?, timeout: Duration
    ) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(
                    with: Result(catching: {
                        try runBlocking(executable: executable, arguments: arguments, environment: environment, timeout: timeout)
                    }))
            }
            thread.name = "BinaryRunner"
            thread.start()
        }
    }

    /// The blocking form of `runProcess`, for synchronous callers (never call it from the cooperative pool).
    public static func runBlocking(
        executable: URL, arguments: [String], environment: [String: String]?, timeout: Duration, currentDirectory: URL? = nil
    ) throws -> Output {
        // ChildProcess, not Foundation's Process: see its documentation (a crash in Process.run
        // with many descriptors open, and pipes leaking into concurrently spawned children).
        let child = try ChildProcess(
            executable: executable.path, arguments: arguments,
            environment: environment ?? ProcessInfo.processInfo.environment,
            workingDirectory: currentDirectory?.path, stdout: .collect, stderr: .collect)
        let termination = child.waitForExit(timeout: timeout.seconds)
        if termination == nil {
            child.signal(SIGKILL)
            _ = child.waitForExit(timeout: 10)
        }
        _ = child.waitForOutputEnd(until: .now() + pipeGrace)
        let stdout = String(decoding: child.collected(.stdout), as: UTF8.self)
        let stderr = String(decoding: child.collected(.stderr), as: UTF8.self)
        guard let termination else {
            throw Timeout(
                command: ([executable.lastPathComponent] + arguments).joined(separator: " "), timeout: timeout,
                stdout: stdout, stderr: stderr)
        }
        return Output(status: termination.status, stdout: stdout, stderr: stderr)
    }
}

extension Duration {
    fileprivate var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// The binary running in the background (e.g. `run`), its stderr collected as it comes.
public final class RunningBinary: Sendable {
    public let child: ChildProcess

    /// Starts it; `environment` is added to a minimal PATH/HOME so no developer's `OS_*` leak in.
    public convenience init(_ arguments: [String], environment: [String: String]) throws {
        try self.init(executable: BinaryRunner.binary.path, arguments: arguments, environment: environment)
    }

    /// Starts `executable` (e.g. `/usr/bin/env` in front of the binary, as libfaketime needs) the same way.
    public init(executable: String, arguments: [String], environment: [String: String]) throws {
        child = try ChildProcess(
            executable: executable, arguments: arguments, environment: BinaryRunner.minimalEnvironment(environment),
            stdout: .discard, stderr: .collect)
    }

    /// Its process id.
    public var pid: Int32 { child.pid }

    /// Everything written to stderr so far.
    public var stderr: String { String(decoding: child.collected(.stderr), as: UTF8.self) }

    /// Whether the child has exited (and was reaped).
    public var hasExited: Bool { !child.isRunning }

    /// Waits (bounded) until stderr contains `text`; a real process is awaited, so this polls.
    public func waitForLine(containing text: String, timeout: Duration = .seconds(30)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if stderr.contains(text) { return true }
            // Exited and everything it wrote read: the line will not come.
            if hasExited && child.waitForOutputEnd(until: .now()) { return stderr.contains(text) }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return stderr.contains(text)
    }

    public func kill(_ signal: Int32) { child.signal(signal) }

    /// The exit status (128 + signal for a killed process); SIGKILLs it after `timeout`, and
    /// returns -1 if even that is not seen within 10 s (the test fails on the status, never hangs).
    public func waitForExit(timeout: Duration = .seconds(40)) async -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while !hasExited && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if !hasExited {
            child.signal(SIGKILL)
            let killDeadline = ContinuousClock.now + .seconds(10)
            while !hasExited && ContinuousClock.now < killDeadline { try? await Task.sleep(for: .milliseconds(20)) }
        }
        return child.termination?.status ?? -1
    }

    deinit { child.signal(SIGKILL) }
}
