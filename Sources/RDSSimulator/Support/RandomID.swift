import Foundation

/// Identifiers in the shapes the real service uses (docs/rds-api.md §1: 32 hex + `br01` for backups).
enum RandomID {
    /// 32 lower-case hex digits, like the gateway's request ids.
    static func hex32() -> String {
        UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    static func backupID() -> String { hex32() + "br01" }

    /// An opaque token value; real ones start with `MII` and are long.
    static func token() -> String {
        "MIIsim" + (0..<4).map { _ in hex32() }.joined()
    }
}
