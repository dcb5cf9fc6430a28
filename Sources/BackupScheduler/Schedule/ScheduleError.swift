/// One problem in a schedule file, with where it is and what is allowed.
public struct ScheduleProblem: Sendable, Hashable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let column: Int
    /// The field's path, e.g. `backups[3].cron`; empty for problems of the file as a whole.
    public let path: String
    /// What is wrong; what is allowed.
    public let message: String

    public init(file: String, line: Int, column: Int, path: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.message = message
    }

    /// `schedule.yaml:12:9: backups[3].cron: <what is wrong>; <what is allowed>`
    public var description: String {
        path.isEmpty ? "\(file):\(line):\(column): \(message)" : "\(file):\(line):\(column): \(path): \(message)"
    }
}

/// A schedule file that was rejected, with every problem found in it.
public struct ScheduleFileError: Error, Sendable, CustomStringConvertible {
    /// All problems, in file order.
    public let problems: [ScheduleProblem]

    public init(problems: [ScheduleProblem]) { self.problems = problems }

    /// One problem per line.
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// A schedule file that could not be read at all (missing, unreadable, too large, not UTF-8).
public struct ScheduleFileUnreadable: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): cannot read the schedule file: \(reason)" }
}
