import Foundation

/// The strftime-like format inside `{slot:FORMAT}` and `{slot_utc:FORMAT}`.
///
/// Every conversion renders at a fixed width, in English, independent of the machine's locale, so
/// a name has the same shape for every slot.
struct SlotFormat: Sendable, Hashable {
    enum Part: Sendable, Hashable {
        case literal(Character)
        case conversion(Character)
    }

    /// Time components a format shows; used to decide whether two slots can share a name.
    enum Component: Sendable, Hashable {
        case year, month, day, dayOfYear, hour, minute, second, weekday
    }

    static let conversions: [Character: (width: Int, component: Component)] = [
        "Y": (4, .year), "y": (2, .year), "m": (2, .month), "b": (3, .month), "d": (2, .day),
        "j": (3, .dayOfYear), "H": (2, .hour), "M": (2, .minute), "S": (2, .second),
        "a": (3, .weekday), "u": (1, .weekday),
    ]
    static let allowedConversions = "%Y %y %m %b %d %j %H %M %S %a %u"

    let parts: [Part]

    init(_ text: String, literalAllowed: (Character) -> Bool, literalRule: String) throws(TemplateError) {
        var parts: [Part] = []
        var iterator = text.makeIterator()
        while let character = iterator.next() {
            if character == "%" {
                guard let conversion = iterator.next() else {
                    throw TemplateError("slot format '\(text)' ends with a lone '%'; allowed conversions are \(Self.allowedConversions)")
                }
                guard Self.conversions[conversion] != nil else {
                    throw TemplateError("slot format '\(text)' has unknown conversion '%\(conversion)'; allowed conversions are \(Self.allowedConversions)")
                }
                parts.append(.conversion(conversion))
            } else {
                guard literalAllowed(character) else {
                    throw TemplateError("slot format '\(text)' has '\(character)'; \(literalRule)")
                }
                parts.append(.literal(character))
            }
        }
        guard parts.contains(where: { if case .conversion = $0 { true } else { false } }) else {
            throw TemplateError("slot format '\(text)' has no conversion; use some of \(Self.allowedConversions), e.g. %Y%m%d-%H%M")
        }
        self.parts = parts
    }

    /// Characters a rendering always has.
    var width: Int {
        parts.reduce(0) { total, part in
            switch part {
            case .literal: total + 1
            case .conversion(let c): total + (Self.conversions[c]?.width ?? 0)
            }
        }
    }

    var components: Set<Component> {
        Set(parts.compactMap { part in
            if case .conversion(let c) = part { return Self.conversions[c]?.component }
            return nil
        })
    }

    /// Renders the format; `isConversion` tells which characters came from the time.
    func render(_ civil: CivilTime) -> [(character: Character, isConversion: Bool)] {
        var out: [(Character, Bool)] = []
        for part in parts {
            switch part {
            case .literal(let c):
                out.append((c, false))
            case .conversion(let c):
                for rendered in Self.text(of: c, civil) { out.append((rendered, true)) }
            }
        }
        return out
    }

    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static func text(of conversion: Character, _ t: CivilTime) -> String {
        switch conversion {
        case "Y": return pad(t.year, 4)
        case "y": return pad(((t.year % 100) + 100) % 100, 2)
        case "m": return pad(t.month, 2)
        case "b": return months[t.month - 1]
        case "d": return pad(t.day, 2)
        case "j": return pad(t.dayOfYear, 3)
        case "H": return pad(t.hour, 2)
        case "M": return pad(t.minute, 2)
        case "S": return pad(t.second, 2)
        case "a": return weekdays[t.weekday]
        case "u": return String(t.weekday == 0 ? 7 : t.weekday)
        default: return ""
        }
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
