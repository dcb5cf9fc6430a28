import Foundation
import Spawn
import Testing

/// The posix_spawn wrapper that runs `alert.command` (and every child process of the tests).
@Suite struct ChildProcessTests {
    @Test func outputsAreCollectedApartAndTheEnvironmentIsExactlyTheOneGiven() async throws {
        let child = try ChildProcess(
            executable: "/bin/sh", arguments: ["-c", "/usr/bin/env; echo oops >&2; exit 7"],
            environment: ["ONLY": "this one"], stdout: .collect, stderr: .collect)
        #expect(await child.exit() == .exited(7))
        #expect(child.waitForOutputEnd(until: .now() + 10))
        let environment = String(decoding: child.collected(.stdout), as: UTF8.self)
        // sh adds PWD (and nothing of this process's own environment arrives).
        #expect(environment.split(separator: "\n").filter { !$0.hasPrefix("PWD=") } == ["ONLY=this one"])
        #expect(String(decoding: child.collected(.stderr), as: UTF8.self) == "oops\n")
    }

    @Test func theWorkingDirectoryIsSetAndStdinIsEmpty() async throws {
        let child = try ChildProcess(
            executable: "/bin/sh", arguments: ["-c", "pwd; cat; echo end"], environment: [:], workingDirectory: "/usr",
            stdout: .collect)
        #expect(await child.exit() == .exited(0))
        #expect(child.waitForOutputEnd(until: .now() + 10))
        #expect(String(decoding: child.collected(.stdout), as: UTF8.self) == "/usr\nend\n")
    }

    /// A descriptor this process opened without close-on-exec (as Foundation's Pipe does) is not
    /// in the child; nor are ignored or blocked signals.
    @Test func theChildInheritsNoDescriptorAboveTwoAndDefaultSignals() async throws {
        let stray = open("/dev/null", O_RDONLY)
        try #require(stray > 2)
        defer { close(stray) }
        let previous = signal(SIGUSR2, SIG_IGN)
        defer { signal(SIGUSR2, previous) }
        let child = try ChildProcess(
            executable: "/bin/sh",
            arguments: ["-c", "if test -e /proc/$$/fd/\(stray); then echo inherited; fi; exec grep -E '^Sig(Ign|Blk)' /proc/self/status"],
            environment: [:], stdout: .collect)
        #expect(await child.exit() == .exited(0))
        #expect(child.waitForOutputEnd(until: .now() + 10))
        let output = String(decoding: child.collected(.stdout), as: UTF8.self)
        #expect(!output.contains("inherited"))
        // Signals 1-31 (above them glibc keeps two real-time signals of its own).
        func mask(_ name: String) -> UInt64? {
            output.split(separator: "\n").first { $0.hasPrefix(name + ":") }
                .flatMap { UInt64($0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces), radix: 16) }
        }
        #expect(mask("SigIgn").map { $0 & 0x7fff_ffff } == 0, "\(output)")
        #expect(mask("SigBlk").map { $0 & 0x7fff_ffff } == 0, "\(output)")
    }

    /// Foundation 6.3.1's Process.run crashed the whole process now and then once more than about
    /// 1,300 descriptors were open (its /proc/self/fd scan read past glibc's buffer). With 3,000
    /// open, forty children started at once all run.
    @Test func manyOpenDescriptorsAndConcurrentSpawnsAreFine() async throws {
        var held: [Int32] = []
        defer { for fd in held { close(fd) } }
        for _ in 0..<1_500 {
            var ends: [Int32] = [-1, -1]
            guard pipe(&ends) == 0 else { break }
            held += ends
        }
        try #require(held.count == 3_000, "could not open 3,000 descriptors (RLIMIT_NOFILE)")
        let statuses = try await withThrowingTaskGroup(of: ChildProcess.Termination.self) { group in
            for index in 0..<40 {
                group.addTask {
                    let child = try ChildProcess(executable: "/bin/sh", arguments: ["-c", "exit \(index % 3)"], environment: [:])
                    return await child.exit()
                }
            }
            return try await group.reduce(into: [ChildProcess.Termination]()) { $0.append($1) }
        }
        #expect(statuses.count == 40)
        #expect(Set(statuses) == [.exited(0), .exited(1), .exited(2)])
    }

    @Test func signalsEndItAndBoundedWaitsReturnNilWhileItRuns() async throws {
        let child = try ChildProcess(executable: "/bin/sleep", arguments: ["30"], environment: [:])
        #expect(child.isRunning)
        #expect(child.waitForExit(timeout: 0.05) == nil)
        child.signal(SIGTERM)
        #expect(await child.exit() == .signalled(SIGTERM))
        #expect(child.termination?.status == 128 + SIGTERM)
        #expect(!child.isRunning)
        child.signal(SIGKILL)  // reaped: a no-op, never a signal to a reused pid
    }

    @Test func aMissingProgramIsASpawnErrorNamingIt() {
        #expect {
            _ = try ChildProcess(executable: "/nonexistent/notify", environment: [:])
        } throws: { error in
            String(describing: error) == "/nonexistent/notify: No such file or directory"
        }
    }

    @Test func onExitRunsOnceWithTheTermination() async throws {
        let (stream, continuation) = AsyncStream.makeStream(of: ChildProcess.Termination.self)
        let child = try ChildProcess(
            executable: "/bin/sh", arguments: ["-c", "kill -9 $$"], environment: [:],
            onExit: { continuation.yield($0); continuation.finish() })
        var seen: [ChildProcess.Termination] = []
        for await termination in stream { seen.append(termination) }
        #expect(seen == [.signalled(SIGKILL)])
        #expect(await child.exit() == .signalled(SIGKILL))
    }
}
