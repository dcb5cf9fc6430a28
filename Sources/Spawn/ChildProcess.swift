import CSpawn
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`, reaped by a thread of its own.
///
/// Not Foundation's `Process`, for two reasons found the hard way: in swift-corelibs-foundation
/// 6.3.1, `Process.run()` scans `/proc/self/fd` copying 256 bytes per entry, which reads past
/// glibc's buffer and crashes the whole process when many descriptors are open
/// (swiftlang/swift-corelibs-foundation#5472, fixed after 6.3.1); and its `Pipe`s are not
/// close-on-exec, so children spawned at the same time inherit each other's pipe ends.
/// Here every pipe is made close-on-exec, the child closes every descriptor above 2 before
/// exec, gets default signal dispositions and an empty signal mask, and stdin is /dev/null.
public final class ChildProcess: Sendable {
    /// How the child ended.
    public enum Termination: Sendable, Hashable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)

        /// The shell's convention: the exit status, or 128 + the signal.
        public var status: Int32 {
            switch self {
            case .exited(let code): code
            case .signalled(let signal): 128 + signal
            }
        }

        public var description: String {
            switch self {
            case .exited(let code): "exited with status \(code)"
            case .signalled(let signal): "ended by signal \(signal)"
            }
        }
    }

    /// Where the child's stdout or stderr goes.
    public enum Output: Sendable {
        /// /dev/null.
        case discard
        /// Wherever this process's goes (the journal, under systemd).
        case inherit
        /// A pipe read to its end by a thread of its own; see `collected(_:)`.
        case collect
    }

    /// Which of the child's outputs.
    public enum Stream: Sendable { case stdout, stderr }

    /// `posix_spawn` failed: the program is missing, not executable, or resources ran out.
    public struct SpawnError: Error, Sendable, CustomStringConvertible {
        public let program: String
        public let code: Int32
        public var description: String { "\(program): \(String(cString: strerror(code)))" }
    }

    /// The child's process id (valid until it is reaped; `signal(_:)` checks).
    public let pid: pid_t

    private struct State: ~Copyable {
        var termination: Termination?
        var waiters: [CheckedContinuation<Termination, Never>] = []
    }
    private let state = Mutex(State())
    private let exited = Latch()
    private let stdoutCollector: Collector?
    private let stderrCollector: Collector?

    /// Starts `executable` (an absolute path: no PATH search) with `arguments` and exactly
    /// `environment`. `onExit` runs on the reaping thread once the child has ended.
    public init(
        executable: String, arguments: [String] = [], environment: [String: String],
        workingDirectory: String? = nil, stdout: Output = .discard, stderr: Output = .discard,
        onExit: (@Sendable (Termination) -> Void)? = nil
    ) throws(SpawnError) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        // A service ignores SIGPIPE (and may ignore more); the child starts with the defaults.
        for signal: Int32 in 1..<32 where signal != SIGKILL && signal != SIGSTOP { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        var parentEnds: [Stream: Int32] = [:]
        var childEnds: [Int32] = []
        func route(_ output: Output, _ stream: Stream, to target: Int32) throws(SpawnError) {
            switch output {
            case .inherit: break
            case .discard: posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_WRONLY, 0)
            case .collect:
                var ends: [Int32] = [-1, -1]
                guard cspawn_pipe_cloexec(&ends) == 0 else { throw SpawnError(program: executable, code: errno) }
                parentEnds[stream] = ends[0]
                childEnds.append(ends[1])
                posix_spawn_file_actions_adddup2(&actions, ends[1], target)
            }
        }
        do {
            try route(stdout, .stdout, to: 1)
            try route(stderr, .stderr, to: 2)
        } catch {
            for fd in childEnds + parentEnds.values { close(fd) }
            throw error
        }
        cspawn_addclosefrom(&actions, 3)
        if let workingDirectory { cspawn_addchdir(&actions, workingDirectory) }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        for fd in childEnds { close(fd) }
        guard result == 0 else {
            for fd in parentEnds.values { close(fd) }
            throw SpawnError(program: executable, code: result)
        }
        self.pid = pid
        stdoutCollector = parentEnds[.stdout].map(Collector.init)
        stderrCollector = parentEnds[.stderr].map(Collector.init)
        let child = self
        guard startThread({ child.reap(onExit) }) else {
            // No thread to wait for it: end it now rather than leave a child nobody reaps.
            _ = kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            throw SpawnError(program: executable, code: EAGAIN)
        }
    }

    /// How it ended, or nil while it runs.
    public var termination: Termination? { state.withLock { $0.termination } }

    /// Whether it has not been reaped yet.
    public var isRunning: Bool { termination == nil }

    /// Sends `signal` unless the child was already reaped (so never to a reused pid).
    public func signal(_ signal: Int32) {
        state.withLock { state in
            if state.termination == nil { _ = kill(pid, signal) }
        }
    }

    /// Blocks until it ended or `seconds` passed (nil). Never call it from Swift concurrency's pool.
    public func waitForExit(timeout seconds: Double) -> Termination? {
        if let termination { return termination }
        guard exited.wait(until: .now() + seconds) else { return nil }
        return termination
    }

    /// Suspends until it ended.
    public func exit() async -> Termination {
        await withCheckedContinuation { continuation in
            let ended = state.withLock { state -> Termination? in
                if let termination = state.termination { return termination }
                state.waiters.append(continuation)
                return nil
            }
            if let ended { continuation.resume(returning: ended) }
        }
    }

    /// What a `.collect` output delivered so far (empty for the others).
    public func collected(_ stream: Stream) -> [UInt8] {
        (stream == .stdout ? stdoutCollector : stderrCollector)?.bytes ?? []
    }

    /// Blocks until every `.collect` output reached its end or `deadline` passed (false): a
    /// grandchild that inherited the pipe keeps it open after the child exited.
    public func waitForOutputEnd(until deadline: DispatchTime) -> Bool {
        [stdoutCollector, stderrCollector].allSatisfy { $0?.waitForEnd(until: deadline) ?? true }
    }

    private func reap(_ onExit: (@Sendable (Termination) -> Void)?) {
        // Wait without reaping, so `signal` can never hit a reused pid: the pid stays ours until
        // the waitpid below, which runs under the same lock `signal` takes.
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
        let (termination, waiters) = state.withLock { state -> (Termination, [CheckedContinuation<Termination, Never>]) in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import (macros).
            let signal = status & 0x7f
            let termination: Termination = signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
            state.termination = termination
            defer { state.waiters = [] }
            return (termination, state.waiters)
        }
        exited.open()
        for waiter in waiters { waiter.resume(returning: termination) }
        onExit?(termination)
    }
}

/// Reads a pipe to its end on a thread of its own, then closes it.
private final class Collector: Sendable {
    private let buffer = Mutex<[UInt8]>([])
    private let ended = Latch()

    init(_ fd: Int32) {
        let started = startThread { [self] in
            var chunk = [UInt8](repeating: 0, count: 16_384)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    buffer.withLock { $0.append(contentsOf: chunk[..<count]) }
                } else if count == 0 || errno != EINTR {
                    break
                }
            }
            close(fd)
            ended.open()
        }
        if !started {
            // Nobody to read it: closed, so a write ends the child (SIGPIPE) instead of blocking it.
            close(fd)
            ended.open()
        }
    }

    var bytes: [UInt8] { buffer.withLock { $0 } }

    func waitForEnd(until deadline: DispatchTime) -> Bool { ended.wait(until: deadline) }
}

/// Opened once; every wait after that returns at once.
private final class Latch: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)

    func open() { semaphore.signal() }

    /// Whether it was opened by `deadline`.
    func wait(until deadline: DispatchTime) -> Bool {
        guard semaphore.wait(timeout: deadline) == .success else { return false }
        semaphore.signal()  // passed on to the next waiter
        return true
    }
}

/// Runs `body` on a new detached thread (blocking waits stay off Swift concurrency's pool);
/// false when no thread could be made (then `body` never runs).
private func startThread(_ body: @escaping @Sendable () -> Void) -> Bool {
    final class Box: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let started = pthread_create(&thread, nil, { context in
        Unmanaged<Box>.fromOpaque(context!).takeRetainedValue().body()
        return nil
    }, context)
    guard started == 0 else {
        Unmanaged<Box>.fromOpaque(context).release()
        return false
    }
    pthread_detach(thread)
    return true
}
