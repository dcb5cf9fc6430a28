import Foundation
import RDSTestSupport
import Testing

/// The README's "Try it" block, run as written: every `rds-backupd` line against the demo's
/// simulator (`run --simulate`, as `make run` starts it), with the block's own state directory
/// replaced by this test's. Each command must exit 0 and print a line shaped like the first
/// output line the README shows under it (digits and ids may differ).
@Suite struct ReadmeTryItTests {
    struct Step {
        var line: Int
        var arguments: [String]
        var sample: String?
    }

    /// The commands of the README's "Try it" block and the first output line shown under each.
    static func steps() throws -> [Step] {
        let readme = try String(contentsOf: BinaryRunner.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let heading = try #require(lines.firstIndex(of: "## Try it"), "README.md has no \"## Try it\" section")
        let open = try #require(lines[heading...].firstIndex(of: "```sh"), "no ```sh block under Try it")
        let close = try #require(lines[(open + 1)...].firstIndex(of: "```"))
        var steps: [Step] = []
        for index in (open + 1)..<close {
            let line = lines[index]
            if line.hasPrefix("rds-backupd ") {
                #expect(!line.contains("\"") && !line.contains("'"), "README.md:\(index + 1): the test splits at spaces; no quotes")
                let words = line.split(separator: " ").map(String.init).dropFirst()
                steps.append(Step(line: index + 1, arguments: Array(words), sample: nil))
            } else if line.hasPrefix("#   "), !line.hasPrefix("#   ..."), let last = steps.indices.last, steps[last].sample == nil {
                steps[last].sample = line.dropFirst(4).trimmingCharacters(in: .whitespaces)
            } else {
                #expect(line.hasPrefix("#") || line.hasPrefix("export ") || line.isEmpty, "README.md:\(index + 1): not a command the test knows: \(line)")
            }
        }
        return steps
    }

    /// `sample` as a pattern: runs of hex digits holding a digit (times, sizes, ids) match any
    /// such run, white space any white space, everything else itself.
    static func pattern(_ sample: String) -> String {
        var pattern = "^"
        var index = sample.startIndex
        let hex = Set("0123456789abcdef")
        while index < sample.endIndex {
            let character = sample[index]
            if hex.contains(character) {
                var end = index
                while end < sample.endIndex, hex.contains(sample[end]) { end = sample.index(after: end) }
                let run = String(sample[index..<end])
                pattern += run.contains(where: \.isNumber) ? "[0-9a-f]+" : NSRegularExpression.escapedPattern(for: run)
                index = end
            } else if character.isWhitespace {
                while index < sample.endIndex, sample[index].isWhitespace { index = sample.index(after: index) }
                pattern += "\\s+"
            } else {
                pattern += NSRegularExpression.escapedPattern(for: String(character))
                index = sample.index(after: index)
            }
        }
        return pattern + "$"
    }

    @Test func theBlockParsesIntoEveryDemoCommand() throws {
        let commands = try Self.steps().compactMap(\.arguments.first)
        for command in ["check-config", "next-runs", "backup-now", "status", "history", "prune", "create-backup"] {
            #expect(commands.contains(command), "Try it lacks \(command)")
        }
        #expect(try Self.steps().allSatisfy { $0.sample != nil }, "every command shows its output")
        let pattern = try NSRegularExpression(pattern: Self.pattern("backup orders-20261207-0238 (id b1d0252e535d43118cc75d2abcbdcd1fbr01) of orders completed, 52224 kB"))
        let other = "backup orders-20270101-0000 (id 0123456789abcdef0123456789abcdefbr01) of orders completed, 1 kB"
        #expect(pattern.firstMatch(in: other, range: NSRange(other.startIndex..., in: other)) != nil)
        let failed = "backup orders-20270101-0000 (id 0123) of orders FAILED"
        #expect(pattern.firstMatch(in: failed, range: NSRange(failed.startIndex..., in: failed)) == nil)
    }

    @Test func everyCommandRunsAgainstTheDemoAsShown() async throws {
        let steps = try Self.steps()
        let root = BinaryRunner.packageRoot
        let directory = TestScratch.path("readme-try-it")
        let state = directory + "/state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        // The demo's instances, with no slot due for a year: only the block's commands act (a
        // paused entry would still record its slots as skipped, every minute).
        let demo = try String(contentsOf: root.appendingPathComponent("config/demo.yaml"), encoding: .utf8)
        let quiet = demo.replacing(/cron: "[^"]*"/, with: "cron: \"0 0 1 1 *\"")
        #expect(quiet.components(separatedBy: "cron: \"0 0 1 1 *\"").count - 1 == 3, "\(quiet)")
        let schedule = directory + "/demo-quiet.yaml"
        try quiet.write(toFile: schedule, atomically: true, encoding: .utf8)
        let demoRun = try RunningBinary(["run", "--simulate", "--schedule", schedule, "--state-dir", state], environment: [:])
        defer {
            if demoRun.child.isRunning { demoRun.child.signal(SIGKILL) }
            _ = demoRun.child.waitForExit(timeout: 10)
        }
        // A real process is awaited: bounded.
        let record = state + "/simulator.json"
        let deadline = ContinuousClock.now + .seconds(20)
        while !FileManager.default.fileExists(atPath: record), ContinuousClock.now < deadline, !demoRun.hasExited {
            try await Task.sleep(for: .milliseconds(20))
        }
        try #require(FileManager.default.fileExists(atPath: record), "run --simulate wrote no simulator.json: \(demoRun.stderr)")

        var environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": directory]
        environment["TZ"] = "UTC"
        for step in steps {
            let arguments = step.arguments.map { $0 == "$D" ? state : $0 }
            let started = ContinuousClock.now
            let output = try BinaryRunner.runBlocking(
                executable: BinaryRunner.binary, arguments: arguments, environment: environment, timeout: .seconds(30),
                currentDirectory: root)
            let text = output.stdout + "\n" + output.stderr
            #expect(output.status == 0, "README.md:\(step.line): \(arguments.joined(separator: " ")) exited \(output.status)\n\(text)")
            #expect(ContinuousClock.now - started < .seconds(15), "README.md:\(step.line) took \(ContinuousClock.now - started)")
            if let sample = step.sample {
                let pattern = try NSRegularExpression(pattern: Self.pattern(sample))
                let matched = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.contains { line in
                    pattern.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil
                }
                #expect(matched, "README.md:\(step.line): no line shaped like \"\(sample)\" in\n\(text)")
            }
        }
        // The demo's one backup-now slot is in its history, completed: no failed row left behind.
        let history = try BinaryRunner.runBlocking(
            executable: BinaryRunner.binary, arguments: ["history", "--state-dir", state, "--json"], environment: environment,
            timeout: .seconds(30))
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 1 && rows.first?["state"] as? String == "completed", "\(history.stdout)")
        #expect(!demoRun.hasExited, "the demo kept running: \(demoRun.stderr)")
        // Stopped, the demo takes its record away: the next one-shot command starts its own simulator.
        demoRun.child.signal(SIGTERM)
        #expect(demoRun.child.waitForExit(timeout: 40) != nil)
        #expect(!FileManager.default.fileExists(atPath: record), "simulator.json outlived the demo")
    }
}
