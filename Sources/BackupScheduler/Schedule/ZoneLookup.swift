import Foundation

/// IANA zone lookup for the schedule file, with suggestions for near misses.
enum ZoneLookup {
    /// Foundation's list, plus the UTC spellings Linux leaves out of it.
    static let known: Set<String> = Set(TimeZone.knownTimeZoneIdentifiers).union(["UTC", "Etc/UTC", "GMT", "Etc/GMT"])

    static func zone(_ identifier: String) -> TimeZone? {
        guard known.contains(identifier) else { return nil }
        return TimeZone(identifier: identifier)
    }

    static func suggestion(for identifier: String) -> String? {
        DidYouMean.suggestion(for: identifier, among: known.sorted())
    }
}

extension TimeZone {
    /// The zone's name as operators write it: Foundation on Linux names UTC "GMT", shown as "UTC".
    public var scheduleName: String {
        identifier == "GMT" || identifier == "Etc/UTC" || identifier == "Etc/GMT" ? "UTC" : identifier
    }
}
