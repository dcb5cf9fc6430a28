import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

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
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        env.merge(environment) { $1 }
        return try await runProcess(executable: binary, arguments: arguments, environment: env, timeout: timeout)
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
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        // Set before run(): a handler set afterwards could miss a child that already exited.
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        // Not inherited by children other code in this process spawns meanwhile (dup2 clears it in ours).
        for handle in [out.fileHandleForReading, out.fileHandleForWriting, err.fileHandleForReading, err.fileHandleForWriting] {
            _ = fcntl(handle.fileDescriptor, F_SETFD, FD_CLOEXEC)
        }
        try process.run()
        // Each pipe drained on its own thread, so neither can fill up and block the child.
        let outReader = PipeReader(out.fileHandleForReading)
        let errReader = PipeReader(err.fileHandleForReading)

        var timedOut = false
        if exited.wait(timeout: .now() + timeout.seconds) == .timedOut {
            timedOut = true
            Glibc.kill(process.processIdentifier, SIGKILL)
            _ = exited.wait(timeout: .now() + 10)
        }
        let graceEnd = DispatchTime.now() + pipeGrace
        _ = outReader.finished.wait(timeout: graceEnd)
        _ = errReader.finished.wait(timeout: graceEnd)
        let stdout = String(decoding: outReader.data, as: UTF8.self)
        let stderr = String(decoding: errReader.data, as: UTF8.self)
        if timedOut || process.isRunning {
            throw Timeout(
                command: ([executable.lastPathComponent] + arguments).joined(separator: " "), timeout: timeout,
                stdout: stdout, stderr: stderr)
        }
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return Output(status: status, stdout: stdout, stderr: stderr)
    }
}

/// Reads a pipe to EOF on a thread of its own; `finished` is signalled at EOF.
final class PipeReader: Sendable {
    private let buffer = Mutex(Data())
    let finished = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        let thread = Thread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                buffer.withLock { $0.append(chunk) }
            }
            finished.signal()
        }
        thread.name = "BinaryRunner pipe"
        thread.start()
    }

    /// What was read so far.
    var data: Data { buffer.withLock { $0 } }
}

extension Duration {
    fileprivate var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// Set once, by the termination handler.
final class ExitLatch: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var isSet: Bool { flag.withLock { $0 } }
}

/// The binary running in the background (e.g. `run`), its stderr collected as it comes.
public final class RunningBinary: @unchecked Sendable {
    public let process = Process()
    private let lock = NSLock()
    private var collected = Data()
    private let exitSeen = ExitLatch()

    /// Starts it; `environment` is added to a minimal PATH/HOME so no developer's `OS_*` leak in.
    public init(_ arguments: [String], environment: [String: String]) throws {
        process.executableURL = BinaryRunner.binary
        process.arguments = arguments
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        env.merge(environment) { $1 }
        process.environment = env
        let err = Pipe()
        for handle in [err.fileHandleForReading, err.fileHandleForWriting] {
            _ = fcntl(handle.fileDescriptor, F_SETFD, FD_CLOEXEC)
        }
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        err.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard !data.isEmpty else {
                // EOF: without this the handler fires again and again.
                handle.readabilityHandler = nil
                return
            }
            guard let self else { return }
            self.lock.withLock { self.collected.append(data) }
        }
        let exitSeen = self.exitSeen
        process.terminationHandler = { _ in exitSeen.set() }
        try process.run()
    }

    /// Everything written to stderr so far.
    public var stderr: String { lock.withLock { String(decoding: collected, as: UTF8.self) } }

    /// Whether the child has exited (its termination was seen).
    public var hasExited: Bool { exitSeen.isSet }

    /// Waits (bounded) until stderr contains `text`; a real process is awaited, so this polls.
    public func waitForLine(containing text: String, timeout: Duration = .seconds(30)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if stderr.contains(text) { return true }
            if hasExited { return stderr.contains(text) }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return stderr.contains(text)
    }

    public func kill(_ signal: Int32) {
        if !hasExited { Glibc.kill(process.processIdentifier, signal) }
    }

    /// The exit status (128 + signal for a killed process); SIGKILLs it after `timeout`, and
    /// returns -1 if even that is not seen within 10 s (the test fails on the status, never hangs).
    public func waitForExit(timeout: Duration = .seconds(40)) async -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while !hasExited && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if !hasExited {
            Glibc.kill(process.processIdentifier, SIGKILL)
            let killDeadline = ContinuousClock.now + .seconds(10)
            while !hasExited && ContinuousClock.now < killDeadline { try? await Task.sleep(for: .milliseconds(20)) }
            guard hasExited else { return -1 }
        }
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    deinit {
        if !hasExited { Glibc.kill(process.processIdentifier, SIGKILL) }
    }
}
