import ArgumentParser
import BackupScheduler
import Foundation

/// What the shell completion scripts (`--generate-completion-script bash|zsh|fish`, installed by
/// the package) offer beyond the command and option names: schedule files, directories, the
/// enumerated values, and the entry aliases of the schedule on the command line.
enum ShellCompletion {
    static let scheduleFile = CompletionKind.file(extensions: ["yaml", "yml"])
    static let directory = CompletionKind.directory
    static let logTargets = CompletionKind.list(["auto", "journal", "stderr"])

    /// The aliases of the schedule named by `--schedule FILE` on the command line, else of the
    /// default schedule; nothing when it cannot be read (completion never prints an error).
    static let entryAliases = CompletionKind.custom { @Sendable (words: [String], _: Int, prefix: String) -> [String] in
        aliases(words: words, environment: ProcessInfo.processInfo.environment).filter { $0.hasPrefix(prefix) }
    }

    static func aliases(words: [String], environment: [String: String]) -> [String] {
        var path = SchedulePath.defaultPath(environment: environment)
        for (index, word) in words.enumerated() {
            if word == "--schedule", index + 1 < words.count { path = words[index + 1] }
            if word.hasPrefix("--schedule=") { path = String(word.dropFirst("--schedule=".count)) }
        }
        guard let schedule = try? Schedule.load(path: path, now: Date()) else { return [] }
        return schedule.entries.map(\.alias)
    }
}
