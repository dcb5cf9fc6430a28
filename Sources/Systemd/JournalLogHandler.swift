import Foundation
import Logging

/// A swift-log `LogHandler` writing native, structured journal entries (`sd_journal_sendv`).
///
/// Each entry carries `MESSAGE`, `PRIORITY` (syslog 0–7 from the level), `SYSLOG_IDENTIFIER`
/// (`rds-backupd`), `CODE_FILE`, `CODE_LINE`, `CODE_FUNC`, and every metadata item as a field
/// named by the `JournalFieldName` convention: keys that already are journal field names
/// (`MESSAGE_ID`, `RDS_INSTANCE_ID`, `RDS_BACKUP_NAME`, `RDS_BACKUP_ID`, `RDS_SLOT`,
/// `RDS_ATTEMPT`, `RDS_ERROR_CODE`, `RDS_REQUEST_ID`, `RDS_ENTRY`, …) pass through as is,
/// others are uppercased with invalid characters mapped to `_`. Values are sent byte for byte,
/// newlines included. Floods of identical warnings/errors go through a `RepeatSuppressor`.
/// If journald refuses an entry, the entry is printed to stderr instead of being lost.
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    /// The logger's label.
    public let label: String

    private let identifier: String
    private let sink: any JournalSink
    private let suppressor: RepeatSuppressor?
    private let fallback: @Sendable (String) -> Void

    /// A handler for logger `label`, writing to `sink` (default: the real journal).
    public init(
        label: String,
        identifier: String = "rds-backupd",
        sink: any JournalSink = LibsystemdJournal(),
        suppressor: RepeatSuppressor? = RepeatSuppressor(),
        fallback: @escaping @Sendable (String) -> Void = StderrLogHandler.writeToStderr
    ) {
        self.label = label
        self.identifier = identifier
        self.sink = sink
        self.suppressor = suppressor
        self.fallback = fallback
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let record = LogRecord(event: event, handlerMetadata: metadata, provider: metadataProvider)
        for out in suppressor?.process(record) ?? [record] { emit(out) }
    }

    /// Writes the summaries of suppressed repeats still pending (call before exiting).
    public func flush() {
        for out in suppressor?.flush() ?? [] { emit(out) }
    }

    /// The journal fields of `record`, in the order they are sent.
    public func fields(of record: LogRecord) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = [
            ("MESSAGE", record.message),
            ("PRIORITY", String(record.level.syslogPriority)),
            ("SYSLOG_IDENTIFIER", identifier),
            ("CODE_FILE", record.file),
            ("CODE_LINE", String(record.line)),
            ("CODE_FUNC", record.function),
        ]
        fields += record.fields.map { ($0.name, $0.value) }
        return fields
    }

    private func emit(_ record: LogRecord) {
        do {
            try sink.send(fields(of: record))
        } catch {
            fallback(StderrLogHandler.format(record, at: Date()) + " journal_error=\"\(error.description)\"\n")
        }
    }
}
