/// Durations as operators write them in the schedule file: `90s`, `10m`, `1h30m`, `2d`, `0`.
public enum DurationParser {
    /// What a duration may look like, for error messages.
    public static let allowed = "write whole numbers with units d, h, m, s, largest first, e.g. 90s, 10m, 1h30m, 2d"

    /// Parses `text` into whole seconds; nil when it does not follow `allowed`.
    public static func parse(_ text: String) -> Duration? {
        if text == "0" { return .zero }
        let units: [(Character, Int64)] = [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)]
        var total: Int64 = 0
        var digits = ""
        var nextUnit = 0
        var sawUnit = false
        for character in text {
            if character.isASCII, character.isNumber {
                digits.append(character)
                guard digits.count <= 9 else { return nil }
                continue
            }
            guard let index = units.firstIndex(where: { $0.0 == character }), index >= nextUnit,
                let value = Int64(digits)
            else { return nil }
            total += value * units[index].1
            digits = ""
            nextUnit = index + 1
            sawUnit = true
        }
        guard sawUnit, digits.isEmpty else { return nil }
        return .seconds(total)
    }

    /// Formats whole seconds the way `parse` reads them (`1h30m`, `0s`).
    public static func format(_ duration: Duration) -> String {
        var seconds = duration.components.seconds
        guard seconds > 0 else { return "0s" }
        var text = ""
        for (unit, size) in [("d", Int64(86_400)), ("h", 3600), ("m", 60), ("s", 1)] where seconds >= size {
            text += "\(seconds / size)\(unit)"
            seconds %= size
        }
        return text
    }
}
