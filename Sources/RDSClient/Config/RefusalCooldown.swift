import Foundation

/// How long credentials IAM refused rest before one more attempt (`CredentialGate`).
///
/// OTC locks an IAM user after 5 failed logins within 15 minutes (docs/api-notes.md), so the
/// cool-down is never shorter than that window.
public enum RefusalCooldown {
    /// 30 minutes: with slots every minute, IAM sees one attempt per half hour at most.
    public static let defaultValue: Duration = .seconds(30 * 60)
    /// OTC's lockout window; a shorter setting is refused when the profile is loaded.
    public static let minimum: Duration = .seconds(15 * 60)

    /// `900`, `900s`, `15m`, `1h` → a duration; nil when not readable.
    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let unit = trimmed.last else { return nil }
        let factor: Int64
        var digits = Substring(trimmed)
        switch unit {
        case "s": factor = 1; digits = digits.dropLast()
        case "m": factor = 60; digits = digits.dropLast()
        case "h": factor = 3600; digits = digits.dropLast()
        default: factor = 1
        }
        guard let value = Int64(digits), value >= 0, value < 1_000_000 else { return nil }
        return .seconds(value * factor)
    }
}
