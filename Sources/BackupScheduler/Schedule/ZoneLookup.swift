import Foundation

/// IANA zone lookup for the schedule file, with suggestions for near misses.
enum ZoneLookup {
    /// Foundation's list, plus the UTC spellings Linux leaves out of it.
    static let known: Set<String> = Set(TimeZone.knownTimeZoneIdentifiers).union(["UTC", "Etc/UTC", "GMT", "Etc/GMT"])

    /// The zone named `identifier`, if the system's tz database has it under that exact name.
    ///
    /// Foundation's list on Linux leaves out valid names (`Asia/Kolkata`, `UTC`), so any name it
    /// resolves is accepted, but not its invented fixed offsets (`GMT+5` becomes `GMT+0500`).
    static func zone(_ identifier: String) -> TimeZone? {
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        guard known.contains(identifier) || zone.identifier == identifier else { return nil }
        return zone
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
