import Foundation

/// RFC 3339 timestamps for slot times, in UTC or in an entry's zone.
public enum RFC3339 {
    /// `2025-06-01T00:00:00Z`
    public static func formatUTC(_ date: Date) -> String {
        "\(TimeZone(identifier: "UTC")!.civilTime(at: date))Z"
    }

    /// `2025-06-01T02:00:00+02:00`: the local time in `zone` with its offset at that instant.
    public static func format(_ date: Date, in zone: TimeZone) -> String {
        let offset = zone.secondsFromGMT(for: date)
        let sign = offset < 0 ? "-" : "+"
        let magnitude = abs(offset)
        return "\(zone.civilTime(at: date))" + sign
            + String(format: "%02d:%02d", magnitude / 3600, (magnitude % 3600) / 60)
    }

    /// Parses `2025-06-01T02:00:00+02:00`, `2025-06-01T00:00:00Z` (fractions allowed).
    public static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}
