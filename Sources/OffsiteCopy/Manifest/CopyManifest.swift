import Foundation

/// What a finished copy holds, written last (atomically) into the copy's directory: a copy is
/// complete exactly when its manifest is there. `verify` re-hashes the files against it; retention
/// deletes only what a manifest names.
public struct CopyManifest: Codable, Sendable, Equatable {
    /// The manifest's file name inside a copy's directory.
    public static let fileName = "rds-backupd-copy.json"
    /// The format this version writes and reads.
    public static let currentFormat = 1

    public struct File: Codable, Sendable, Equatable {
        public var name: String
        public var bytes: Int64
        /// Hex SHA-256 of the content.
        public var sha256: String
        /// Hex MD5 when the storage gave one (its `ETag`) and it matched.
        public var md5: String?

        public init(name: String, bytes: Int64, sha256: String, md5: String? = nil) {
            self.name = name
            self.bytes = bytes
            self.sha256 = sha256
            self.md5 = md5
        }
    }

    public var format: Int
    public var backupID: String
    public var backupName: String
    public var instanceID: String
    public var instanceName: String?
    /// `MySQL`, `PostgreSQL`, `SQLServer` as the API spells it.
    public var engine: String?
    /// The schedule entry that made the backup, when known.
    public var entry: String?
    /// The slot the backup belongs to (the scheduled time), when known.
    public var slot: Date?
    /// When the backup was taken (its begin time), when known.
    public var backupTime: Date?
    public var bucket: String?
    public var files: [File]
    public var copyStartedAt: Date
    public var copyCompletedAt: Date

    public init(
        subject: CopySubject, bucket: String?, files: [File], copyStartedAt: Date, copyCompletedAt: Date
    ) {
        format = Self.currentFormat
        backupID = subject.backupID
        backupName = subject.backupName
        instanceID = subject.instanceID
        instanceName = subject.instanceName
        engine = subject.engine
        entry = subject.entry
        slot = subject.slot
        backupTime = subject.backupTime
        self.bucket = bucket
        self.files = files
        self.copyStartedAt = copyStartedAt
        self.copyCompletedAt = copyCompletedAt
    }

    enum CodingKeys: String, CodingKey {
        case format, files, bucket, engine, entry, slot
        case backupID = "backup_id"
        case backupName = "backup_name"
        case instanceID = "instance_id"
        case instanceName = "instance_name"
        case backupTime = "backup_time"
        case copyStartedAt = "copy_started_at"
        case copyCompletedAt = "copy_completed_at"
    }

    /// The time retention judges a copy by: its slot, else the backup's time, else when it was copied.
    public var time: Date { slot ?? backupTime ?? copyCompletedAt }

    /// Total bytes of the files.
    public var totalBytes: Int64 { files.reduce(0) { $0 + $1.bytes } }

    // MARK: - Reading and writing

    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return Array((try? encoder.encode(self)) ?? Data()) + [0x0A]
    }

    /// Writes the manifest into `directory` atomically (0600).
    public func write(into directory: String) throws(CopyError) {
        try SecureFiles.writeAtomically(encoded(), to: directory + "/" + Self.fileName)
    }

    /// Reads the manifest of the copy in `directory`; the error names the file and the field.
    public static func read(from directory: String) throws(CopyError) -> CopyManifest {
        let path = directory + "/" + fileName
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CopyError(.manifest, "\(path): cannot be read")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let manifest: CopyManifest
        do {
            manifest = try decoder.decode(CopyManifest.self, from: data)
        } catch {
            throw CopyError(.manifest, "\(path): \(describe(error))")
        }
        guard manifest.format == currentFormat else {
            throw CopyError(.manifest, "\(path): format: \(manifest.format) is not a format this version reads (\(currentFormat))")
        }
        for (index, file) in manifest.files.enumerated() where !SecureFiles.isPlainFileName(file.name) || file.name == fileName {
            throw CopyError(.manifest, "\(path): files[\(index)].name: '\(file.name)' is not a plain file name")
        }
        return manifest
    }

    static func describe(_ error: any Error) -> String {
        guard let decodingError = error as? DecodingError else { return "not valid JSON" }
        func path(_ context: DecodingError.Context) -> String {
            let joined = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return joined.isEmpty ? "the top level" : String(joined.drop { $0 == "." })
        }
        switch decodingError {
        case .keyNotFound(let key, let context): return "\(path(context)): missing '\(key.stringValue)'"
        case .typeMismatch(_, let context): return "\(path(context)): wrong type"
        case .valueNotFound(_, let context): return "\(path(context)): null"
        case .dataCorrupted(let context): return context.codingPath.isEmpty ? "not valid JSON" : "\(path(context)): bad value"
        @unknown default: return "not readable"
        }
    }
}

/// The backup a copy is made of, as the caller knows it.
public struct CopySubject: Sendable, Equatable {
    public var backupID: String
    public var backupName: String
    public var instanceID: String
    public var instanceName: String?
    public var engine: String?
    public var entry: String?
    public var slot: Date?
    public var backupTime: Date?

    public init(
        backupID: String, backupName: String, instanceID: String, instanceName: String? = nil, engine: String? = nil,
        entry: String? = nil, slot: Date? = nil, backupTime: Date? = nil
    ) {
        self.backupID = backupID
        self.backupName = backupName
        self.instanceID = instanceID
        self.instanceName = instanceName
        self.engine = engine
        self.entry = entry
        self.slot = slot
        self.backupTime = backupTime
    }
}
