import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Prints log events as one readable line each, for a terminal:
/// `2026-11-29T10:00:00Z warning backup failed entry=orders instance=… code=DBS.201205`.
///
/// Metadata goes through `JournalFieldName` first, then `RDS_*` fields print under short names
/// (`RDS_ENTRY` → `entry`, `RDS_INSTANCE_ID` → `instance`, `RDS_ERROR_CODE` → `code`,
/// `RDS_BACKUP_NAME` → `backup`, other `RDS_X_Y` → `x_y`); `MESSAGE_ID` is left out.
public struct StderrLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    /// The logger's label.
    public let label: String

    private let now: @Sendable () -> Date
    private let write: @Sendable (String) -> Void
    private let suppressor: RepeatSuppressor?

    /// A handler printing to `write` (default: stderr), timestamps from `now`.
    public init(
        label: String,
        suppressor: RepeatSuppressor? = nil,
        now: @escaping @Sendable () -> Date = { Date() },
        write: @escaping @Sendable (String) -> Void = StderrLogHandler.writeToStderr
    ) {
        self.label = label
        self.suppressor = suppressor
        self.now = now
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let record = LogRecord(event: event, handlerMetadata: metadata, provider: metadataProvider)
        for out in suppressor?.process(record) ?? [record] {
            write(Self.format(out, at: now()) + "\n")
        }
    }

    /// The line printed for `record` (without the newline).
    public static func format(_ record: LogRecord, at date: Date) -> String {
        var line = "\(date.formatted(.iso8601)) \(record.level.rawValue) \(oneLine(record.message))"
        let shown = record.fields.compactMap { field -> (order: Int, name: String, value: String)? in
            guard field.name != "MESSAGE_ID" else { return nil }
            let name = shortName(field.name)
            return (preferredOrder.firstIndex(of: name) ?? preferredOrder.count, name, field.value)
        }.sorted { ($0.order, $0.name) < ($1.order, $1.name) }
        for field in shown { line += " \(field.name)=\(quoted(field.value))" }
        return line
    }

    /// Writes `text` to file descriptor 2 in one call, so concurrent lines do not interleave.
    @Sendable public static func writeToStderr(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }

    private static let preferredOrder = [
        "entry", "instance", "backup", "backup_id", "slot", "attempt", "code", "request_id",
    ]

    private static func shortName(_ field: String) -> String {
        switch field {
        case "RDS_INSTANCE_ID": "instance"
        case "RDS_ERROR_CODE": "code"
        case "RDS_BACKUP_NAME": "backup"
        default: (field.hasPrefix("RDS_") ? String(field.dropFirst(4)) : field).lowercased()
        }
    }

    private static func oneLine(_ text: String) -> String {
        text.contains(where: \.isNewline) ? text.replacingOccurrences(of: "\n", with: "\\n") : text
    }

    /// Plain values stay bare; anything with blanks, quotes, `=` or control characters is quoted.
    private static func quoted(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.unicodeScalars.contains {
            $0 == " " || $0 == "\"" || $0 == "=" || $0.properties.generalCategory == .control
        }
        return needsQuotes ? value.debugDescription : value
    }
}
