import Foundation

/// A loaded and validated schedule file: the clouds and the backup entries, defaults applied.
public struct Schedule: Sendable, Hashable {
    /// The file name used in messages.
    public var fileName: String
    /// Clouds by name; a single `cloud:` is named `default`.
    public var clouds: [String: CloudSettings]
    /// The entries in file order.
    public var entries: [BackupEntry] { didSet { entryIndex = Self.index(entries) } }
    /// Where the Prometheus metrics go (`metrics:`); off by default.
    public var metrics: MetricsSettings
    /// Valid but probably not meant, with file:line:column (e.g. a cron step wider than its
    /// range); `check-config` prints them, the service accepts the file.
    public var warnings: [ScheduleProblem] = []
    /// Position of each alias in `entries`: the scheduler looks an entry up for every slot.
    private var entryIndex: [String: Int]

    /// Files larger than this are refused before parsing.
    public static let maxFileSize = 1 << 20

    public init(fileName: String, clouds: [String: CloudSettings], entries: [BackupEntry], metrics: MetricsSettings = .init()) {
        self.fileName = fileName
        self.metrics = metrics
        self.clouds = clouds
        self.entries = entries
        self.entryIndex = Self.index(entries)
    }

    /// The entry with `alias`, if any.
    public func entry(alias: String) -> BackupEntry? { entryIndex[alias].map { entries[$0] } }

    private static func index(_ entries: [BackupEntry]) -> [String: Int] {
        Dictionary(entries.enumerated().map { ($1.alias, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Reads and parses the file at `path`; `now` starts the year in which names must be unique.
    ///
    /// Throws `ScheduleFileUnreadable` when the file cannot be read, `ScheduleFileError` with every
    /// problem when it is invalid.
    public static func load(path: String, now: Date) throws -> Schedule {
        let data: Data
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            if let size = attributes[.size] as? NSNumber, size.intValue > maxFileSize {
                throw ScheduleFileUnreadable(path: path, reason: "it is \(size.intValue) bytes; a schedule file is at most \(maxFileSize) bytes")
            }
            if let type = attributes[.type] as? FileAttributeType, type == .typeDirectory {
                throw ScheduleFileUnreadable(path: path, reason: "it is a directory")
            }
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch let error as ScheduleFileUnreadable {
            throw error
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "permission denied or I/O error" : "no such file"
            throw ScheduleFileUnreadable(path: path, reason: reason)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ScheduleFileUnreadable(path: path, reason: "it is not UTF-8 text")
        }
        return try parse(yaml: text, fileName: path, now: now)
    }

    /// Parses schedule YAML; `fileName` is used in messages.
    public static func parse(yaml: String, fileName: String, now: Date) throws(ScheduleFileError) -> Schedule {
        var parser = ScheduleFileParser(fileName: fileName, now: now)
        let schedule = parser.parse(yaml)
        if let schedule, parser.problems.isEmpty { return schedule }
        throw ScheduleFileError(problems: parser.problems.sorted { ($0.line, $0.column) < ($1.line, $1.column) })
    }
}
