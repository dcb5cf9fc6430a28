import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Runs the built `rds-backupd` as an operator would, without blocking Swift concurrency's threads.
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

    /// Runs the binary with `arguments`; `environment` replaces the inherited one (plus PATH/HOME)
    /// so no developer's `OS_*` variables leak into a test. Kills it after `timeout`.
    public static func run(
        _ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(60)
    ) async throws -> Output {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        env.merge(environment) { $1 }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    try process.run()
                } catch {
                    continuation.resume(throwing: error)
                    return
                }
                let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
                DispatchQueue.global().asyncAfter(deadline: .now() + timeout.seconds, execute: killer)
                // Drain stderr on another thread so neither pipe can fill up and block the child.
                let errData = Mutex(Data())
                let group = DispatchGroup()
                group.enter()
                DispatchQueue.global().async {
                    let data = err.fileHandleForReading.readDataToEndOfFile()
                    errData.withLock { $0 = data }
                    group.leave()
                }
                let outData = out.fileHandleForReading.readDataToEndOfFile()
                group.wait()
                process.waitUntilExit()
                killer.cancel()
                continuation.resume(
                    returning: Output(
                        status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                        stderr: String(decoding: errData.withLock { $0 }, as: UTF8.self)))
            }
        }
    }
}

extension Duration {
    fileprivate var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// The binary running in the background (e.g. `run`), its stderr collected as it comes.
public final class RunningBinary: @unchecked Sendable {
    public let process = Process()
    private let lock = NSLock()
    private var collected = Data()

    /// Starts it; `environment` is added to a minimal PATH/HOME so no developer's `OS_*` leak in.
    public init(_ arguments: [String], environment: [String: String]) throws {
        process.executableURL = BinaryRunner.binary
        process.arguments = arguments
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        env.merge(environment) { $1 }
        process.environment = env
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        err.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.collected.append(data) }
        }
        try process.run()
    }

    /// Everything written to stderr so far.
    public var stderr: String { lock.withLock { String(decoding: collected, as: UTF8.self) } }

    /// Waits (bounded) until stderr contains `text`; a real process is awaited, so this polls.
    public func waitForLine(containing text: String, timeout: Duration = .seconds(30)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if stderr.contains(text) { return true }
            if !process.isRunning { return stderr.contains(text) }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return stderr.contains(text)
    }

    public func kill(_ signal: Int32) {
        if process.isRunning { Glibc.kill(process.processIdentifier, signal) }
    }

    /// The exit status (128 + signal for a killed process); kills it after `timeout`.
    public func waitForExit(timeout: Duration = .seconds(40)) async -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    deinit {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }
}
