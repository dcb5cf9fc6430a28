import Foundation

/// A time-limited object-storage URL for one backup file, as `backup-files` hands it out.
///
/// Its query carries the storage's signature (a credential): `description`, `debugDescription`,
/// string interpolation and `dump` show scheme, host and path only, with the query replaced by
/// `?<redacted>`. Read the whole URL only through `reveal()`, where it goes on the wire.
public struct DownloadLink: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let url: String

    public init(_ url: String) { self.url = url }

    /// The whole URL, signature included. Call only where the request is sent.
    public func reveal() -> String { url }

    /// The host the link points at (nil when the text is not a URL).
    public var host: String? { URLComponents(string: url)?.host }

    /// `https://host/path?<redacted>`: what may appear in a log line or an error.
    public var redacted: String {
        var shown = url
        if let mark = shown.firstIndex(where: { $0 == "?" || $0 == "#" }) { shown = String(shown[..<mark]) + "?<redacted>" }
        // A `user:password@` part is a credential too.
        if let schemeEnd = shown.range(of: "://")?.upperBound,
            let at = shown[schemeEnd...].firstIndex(of: "@"),
            shown[schemeEnd..<at].firstIndex(of: "/") == nil
        {
            shown = String(shown[..<schemeEnd]) + "<redacted>" + String(shown[at...])
        }
        return shown
    }

    public var description: String { redacted }
    public var debugDescription: String { redacted }
    public var customMirror: Mirror { Mirror(self, children: ["redacted": redacted], displayStyle: .struct) }
}

/// One file of a backup, from `GET /v3/{project_id}/backup-files?backup_id=ID` (docs/api-notes.md
/// "Backup files").
public struct BackupFile: Sendable, Hashable {
    /// The file name, e.g. `43e4feaab48f11e89039fa163ebaa7e4br01.qp`.
    public var name: String
    /// Size in kB as listed (the API's unit; the byte length is checked against it with a 1 kB margin).
    public var sizeKB: Int64?
    public var downloadLink: DownloadLink
    /// When the link stops working (nil when the answer had none or it could not be read).
    public var linkExpiresAt: Date?
    /// SQL Server: the database the file holds, when the answer names it (not in OTC's table).
    public var databaseName: String?

    public init(name: String, sizeKB: Int64?, downloadLink: DownloadLink, linkExpiresAt: Date? = nil, databaseName: String? = nil) {
        self.name = name
        self.sizeKB = sizeKB
        self.downloadLink = downloadLink
        self.linkExpiresAt = linkExpiresAt
        self.databaseName = databaseName
    }
}

/// The answer of `backup-files`: the files and the bucket they sit in.
public struct BackupFileList: Sendable, Hashable {
    public var files: [BackupFile]
    public var bucket: String?

    public init(files: [BackupFile], bucket: String?) {
        self.files = files
        self.bucket = bucket
    }
}

extension BackupFile: Decodable {
    enum CodingKeys: String, CodingKey {
        case name, size
        case downloadLink = "download_link"
        case linkExpiredTime = "link_expired_time"
        case databaseName = "database_name"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        sizeKB = try c.decodeLenientInt64(forKey: .size)
        downloadLink = DownloadLink(try c.decode(String.self, forKey: .downloadLink))
        linkExpiresAt = try c.decodeIfPresent(String.self, forKey: .linkExpiredTime).flatMap(APITime.parse)
        databaseName = try c.decodeIfPresent(String.self, forKey: .databaseName)
    }
}

extension BackupFileList: Decodable {
    enum CodingKeys: String, CodingKey { case files, bucket }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        files = try c.decodeIfPresent([BackupFile].self, forKey: .files) ?? []
        bucket = try c.decodeIfPresent(String.self, forKey: .bucket)
    }
}
