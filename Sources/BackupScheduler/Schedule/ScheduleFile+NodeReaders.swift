import Foundation
import RDSClient
import Yams

/// Reading YAML nodes with their positions: typed values, mappings with known keys ("did you
/// mean"), and the character rules of identifiers, instance ids and regions. Every problem is
/// reported with file:line:column and the field path, and reading goes on.
extension ScheduleFileParser {
    // MARK: - Node readers

    /// The fields of a mapping by key; reports non-string keys and unknown keys (with a "did you
    /// mean" for near misses). Secret keys were reported already and are skipped.
    mutating func fields(of map: Node.Mapping, path: String, allowed: [String]) -> [String: (key: Node, value: Node)] {
        var result: [String: (key: Node, value: Node)] = [:]
        for (keyNode, value) in map {
            guard case .scalar(let scalar) = keyNode else {
                report(keyNode, path, "a key must be a plain word; allowed keys here are \(allowed.joined(separator: ", "))")
                continue
            }
            let key = scalar.string
            if Self.isSecretKey(key) { continue }
            guard allowed.contains(key) else {
                let hint = DidYouMean.suggestion(for: key, among: allowed).map { " (did you mean `\($0)`?)" } ?? ""
                report(keyNode, Self.join(path, key), "unknown key `\(key)`\(hint); allowed keys here are \(allowed.joined(separator: ", "))")
                continue
            }
            result[key] = (keyNode, value)
        }
        return result
    }

    mutating func mapping(_ node: Node, _ path: String, what: String) -> Node.Mapping? {
        if case .mapping(let map) = node { return map }
        report(node, path, "\(what) must be a mapping of `key: value` lines; found \(kindName(node))")
        return nil
    }

    mutating func string(_ node: Node, _ path: String) -> String? {
        guard case .scalar(let scalar) = node else {
            report(node, path, "must be a single value; found \(kindName(node))")
            return nil
        }
        if isNull(node) {
            report(node, path, "has no value; write a value after the ':' or remove the key")
            return nil
        }
        return scalar.string
    }

    mutating func int(_ node: Node, _ path: String, _ range: ClosedRange<Int>) -> Int? {
        guard let text = string(node, path) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            report(node, path, "'\(text)' is not allowed; a whole number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return value
    }

    mutating func bool(_ node: Node, _ path: String) -> Bool? {
        guard let text = string(node, path) else { return nil }
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default:
            report(node, path, "'\(text)' is not allowed; write true or false")
            return nil
        }
    }

    mutating func duration(_ node: Node, _ path: String, allowZero: Bool) -> Duration? {
        guard let text = string(node, path) else { return nil }
        guard let value = DurationParser.parse(text) else {
            let hint = Int(text).map { " (a bare number has no unit: did you mean \($0)s or \($0)m?)" } ?? ""
            report(node, path, "'\(text)' is not a duration\(hint); \(DurationParser.allowed)")
            return nil
        }
        if !allowZero && value == .zero {
            report(node, path, "must be longer than zero; \(DurationParser.allowed)")
            return nil
        }
        return value
    }

    mutating func timeZone(_ node: Node, _ path: String) -> TimeZone? {
        guard let text = string(node, path) else { return nil }
        if let zone = ZoneLookup.zone(text) { return zone }
        let hint = ZoneLookup.suggestion(for: text).map { " (did you mean \($0)?)" } ?? ""
        report(node, path, "unknown time zone '\(text)'\(hint); use an IANA zone name such as Europe/Berlin, America/New_York or UTC")
        return nil
    }

    func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    func kindName(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): "the value '\(scalar.string.prefix(40))'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    // Hand-written checks: NSRegularExpression compiles on every call, too slow for big files.

    /// A letter, then letters, digits, '-' or '_', at most `maxLength` in all.
    static func isIdentifier(_ text: String, maxLength: Int = 64) -> Bool {
        guard let first = text.unicodeScalars.first, (1...maxLength).contains(text.unicodeScalars.count),
            isASCIILetter(first)
        else { return false }
        return only(text, extra: "_-")
    }

    /// Only ASCII letters, digits and the characters of `extra`.
    static func only(_ text: String, extra: String) -> Bool {
        text.unicodeScalars.allSatisfy { isASCIILetter($0) || isDigit($0) || extra.unicodeScalars.contains($0) }
    }

    static func isLowerHex(_ text: String, count: Int) -> Bool {
        text.unicodeScalars.count == count && text.unicodeScalars.allSatisfy { isDigit($0) || ("a"..."f").contains($0) }
    }

    /// 32 lowercase hex characters, then `in` and two digits (e.g. `in01`).
    static func isInstanceID(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count == 36 else { return false }
        return isLowerHex(String(String.UnicodeScalarView(scalars[0..<32])), count: 32) && scalars[32] == "i"
            && scalars[33] == "n" && isDigit(scalars[34]) && isDigit(scalars[35])
    }

    /// Lowercase words joined by '-', at least two, the first of letters only: `eu-de`, `eu-ch2`.
    /// The region of an availability zone written in place of a region: `eu-de-01` (a region and
    /// a zone number like 01) or `eu-ch2a` (a known region and a zone letter); nil for anything else.
    static func regionOfZone(_ text: String) -> String? {
        guard RegionTable.entries[text] == nil else { return nil }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        if parts.count >= 3, let last = parts.last, !last.isEmpty, last.unicodeScalars.allSatisfy(isDigit) {
            // OTC numbers its zones 01, 02, ...; `eu-west-1` is another cloud's region, not a zone.
            let region = parts.dropLast().joined(separator: "-")
            if RegionTable.entries[region] != nil || (last.count == 2 && last.hasPrefix("0")) {
                return isRegion(region) ? region : nil
            }
        }
        if let last = text.unicodeScalars.last, ("a"..."z").contains(last), RegionTable.entries[String(text.dropLast())] != nil {
            return String(text.dropLast())
        }
        return nil
    }

    static func isRegion(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 2, let first = parts.first, first.count >= 2,
            first.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) })
        else { return false }
        return parts.dropFirst().allSatisfy { part in
            !part.isEmpty && part.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || isDigit($0) }
        }
    }

    static func isASCIILetter(_ scalar: Unicode.Scalar) -> Bool { ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) }
    static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }
}
