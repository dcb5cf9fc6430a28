import Logging

/// One log event, flattened for output: metadata already under journal field names.
public struct LogRecord: Sendable, Equatable {
    /// swift-log level.
    public var level: Logger.Level
    /// The message text.
    public var message: String
    /// Metadata as `(journal field name, value)`, sorted by name.
    public var fields: [Field]
    /// Source location, as swift-log passes it.
    public var file: String
    public var function: String
    public var line: UInt

    /// One metadata field.
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(level: Logger.Level, message: String, fields: [Field], file: String, function: String, line: UInt) {
        self.level = level
        self.message = message
        self.fields = fields
        self.file = file
        self.function = function
        self.line = line
    }

    /// The value of field `name`, if present.
    public subscript(field name: String) -> String? { fields.first { $0.name == name }?.value }

    /// Merges handler, provider and event metadata (later wins) and applies `JournalFieldName`.
    /// Values print through `description`, so a `Secret` shows `<redacted>`.
    init(event: LogEvent, handlerMetadata: Logger.Metadata, provider: Logger.MetadataProvider?) {
        var merged = handlerMetadata
        if let provided = provider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        if let error = event.error, merged["ERROR"] == nil { merged["ERROR"] = "\(error)" }
        var byName: [String: String] = [:]
        for (key, value) in merged { byName[JournalFieldName.forMetadataKey(key)] = value.description }
        self.init(
            level: event.level,
            message: event.message.description,
            fields: byName.sorted { $0.key < $1.key }.map { Field(name: $0.key, value: $0.value) },
            file: event.file, function: event.function, line: event.line)
    }
}

extension Logger.Level {
    /// The syslog priority (0–7) journald stores in `PRIORITY`.
    public var syslogPriority: Int {
        switch self {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}
