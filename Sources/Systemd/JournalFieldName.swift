/// The metadata key → journal field name convention, shared by every log handler here.
///
/// - A key that already is a valid journal field name (`[A-Z0-9_]+`, at most 64 characters,
///   not starting with `_` or a digit) passes through unchanged. The rest of the code logs with
///   such keys: `MESSAGE_ID`, `RDS_INSTANCE_ID`, `RDS_BACKUP_NAME`, `RDS_BACKUP_ID`, `RDS_SLOT`,
///   `RDS_ATTEMPT`, `RDS_ERROR_CODE`, `RDS_REQUEST_ID`, `RDS_ENTRY`.
/// - Any other key is uppercased, every character outside `[A-Z0-9_]` becomes `_`, leading
///   `_` are dropped (they mark fields only journald itself may set), a leading digit gets an
///   `X` in front, and the result is cut to 64 characters: `request-id` → `REQUEST_ID`,
///   `_pid` → `PID`, `2fa` → `X2FA`. A key with nothing left becomes `X`.
/// - The fields a handler sets itself (`MESSAGE`, `PRIORITY`, `SYSLOG_IDENTIFIER`,
///   `CODE_FILE`, `CODE_LINE`, `CODE_FUNC`) cannot be overridden from metadata; such keys get
///   `X_` in front (`MESSAGE` → `X_MESSAGE`).
public enum JournalFieldName {
    /// Fields the handlers fill themselves.
    public static let reserved: Set<String> = [
        "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC",
    ]

    /// Longest field name journald accepts.
    static let maximumLength = 64

    /// True when `name` is a field name an application may send as is.
    public static func isValid(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= maximumLength else { return false }
        guard first != UInt8(ascii: "_"), !isDigit(first) else { return false }
        return name.utf8.allSatisfy { isUpper($0) || isDigit($0) || $0 == UInt8(ascii: "_") }
    }

    /// The journal field name for a metadata key (see the type's documentation).
    public static func forMetadataKey(_ key: String) -> String {
        var name: String
        if isValid(key) {
            name = key
        } else {
            var bytes: [UInt8] = key.uppercased().utf8.map { b in
                isUpper(b) || isDigit(b) || b == UInt8(ascii: "_") ? b : UInt8(ascii: "_")
            }
            bytes = Array(bytes.drop(while: { $0 == UInt8(ascii: "_") }))
            if let first = bytes.first, isDigit(first) { bytes.insert(UInt8(ascii: "X"), at: 0) }
            if bytes.isEmpty { bytes = [UInt8(ascii: "X")] }
            name = String(decoding: bytes.prefix(maximumLength), as: UTF8.self)
        }
        if reserved.contains(name) { name = String("X_\(name)".prefix(maximumLength)) }
        return name
    }

    private static func isUpper(_ b: UInt8) -> Bool { b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") }
    private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
}
