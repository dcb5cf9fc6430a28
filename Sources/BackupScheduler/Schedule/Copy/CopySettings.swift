import Foundation
import OffsiteCopy

/// `copy:` of one entry, `defaults` applied key by key: where each completed backup's files are
/// copied to, how the copies are kept, how fast they may be fetched, and what runs after each copy
/// (docs/offsite-copies.md).
public struct CopySettings: Sendable, Hashable {
    /// The absolute directory copies go under (a second disk, an NFS mount, …).
    public var destination: String
    /// Where one copy goes below `destination`.
    public var path: CopyPathTemplate
    /// Which copies are kept (applied to this entry's copies only); empty: all are kept.
    public var retention: CopyRetentionRules
    /// Average download rate cap in bytes per second; nil: none.
    public var bandwidthBytesPerSecond: Int64?
    /// Run after each finished copy, with the copy's directory and manifest in its environment.
    public var afterCopy: AlertCommand?

    /// The default of `copy.after_copy_timeout`.
    public static let defaultAfterCopyTimeout = Duration.seconds(3600)
    /// The longest `copy.after_copy_timeout` allowed.
    public static let maxAfterCopyTimeout = Duration.seconds(24 * 3600)

    public init(
        destination: String, path: CopyPathTemplate = .default, retention: CopyRetentionRules = .init(),
        bandwidthBytesPerSecond: Int64? = nil, afterCopy: AlertCommand? = nil
    ) {
        self.destination = destination
        self.path = path
        self.retention = retention
        self.bandwidthBytesPerSecond = bandwidthBytesPerSecond
        self.afterCopy = afterCopy
    }

    /// The directory of the copy of the slot at `slot`.
    public func directory(slot: Date, context: NameContext, timeZone: TimeZone) -> String {
        let relative = path.render(slot: slot, context: context, timeZone: timeZone)
        return destination.hasSuffix("/") ? destination + relative : destination + "/" + relative
    }

    /// `copy.bandwidth`: a number with a unit of bytes (B, kB, MB, GB, KiB, MiB, GiB) or bits
    /// (kbit, Mbit, Gbit), optionally followed by `/s`: `20MiB/s`, `100Mbit`. Nil when unreadable.
    public static func parseBandwidth(_ text: String) -> Int64? {
        var rest = text.trimmingCharacters(in: .whitespaces)
        if rest.hasSuffix("/s") { rest.removeLast(2) }
        let number = rest.prefix { $0.isNumber || $0 == "." }
        let unit = rest.dropFirst(number.count).trimmingCharacters(in: .whitespaces)
        guard let value = Double(number), value > 0 else { return nil }
        let factors: [String: Double] = [
            "B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "KiB": 1024, "MiB": 1024 * 1024, "GiB": 1024 * 1024 * 1024,
            "kbit": 1e3 / 8, "Mbit": 1e6 / 8, "Gbit": 1e9 / 8,
        ]
        guard let factor = factors[unit] else { return nil }
        let bytes = value * factor
        guard bytes >= 1, bytes < 1e15 else { return nil }
        return Int64(bytes)
    }

    /// What `parseBandwidth` reads, for error messages.
    public static let bandwidthRule = "a rate such as 20MiB/s, 500kB/s or 100Mbit/s (units B, kB, MB, GB, KiB, MiB, GiB, kbit, Mbit, Gbit)"
}

/// The template of a copy's directory below `copy.destination`, e.g.
/// `{alias}/{instance_id}/{slot:%Y%m%d-%H%M}`: the name tokens, `/` between directories, at least
/// one slot token (every slot its own directory). Each directory renders like a backup name's
/// characters: what a variable holds beyond letters, digits, `-`, `_` and `.` becomes `-`, and no
/// part is ever `.` or `..`, so a copy can never land outside the destination.
public struct CopyPathTemplate: Sendable, Hashable, CustomStringConvertible {
    public static let defaultSource = "{alias}/{instance_id}/{slot:%Y%m%d-%H%M}"
    // A literal checked by the tests; a failure here is a programming error.
    public static let `default` = try! CopyPathTemplate(defaultSource)
    static let literalRule = "a copy path holds only letters, digits, '-', '_', '.' and '/' between directories"

    let template: Template
    public var source: String { template.source }
    public var description: String { template.source }

    public init(_ source: String) throws(TemplateError) {
        template = try Template(source, literalAllowed: Self.isPathCharacter, literalRule: Self.literalRule)
        guard template.hasSlotToken else {
            throw TemplateError("has no slot token, so every copy would go to the same directory; include {slot:FORMAT} or {slot_utc:FORMAT}, e.g. \(Self.defaultSource)")
        }
        if source.hasPrefix("/") || source.hasSuffix("/") || source.contains("//") {
            throw TemplateError("must be relative to the destination, without a leading or trailing '/' or an empty directory ('//'), e.g. \(Self.defaultSource)")
        }
        for part in source.split(separator: "/") where part == "." || part == ".." {
            throw TemplateError("has a '\(part)' directory; the path stays below the destination, e.g. \(Self.defaultSource)")
        }
    }

    /// The relative directory of one slot's copy.
    public func render(slot: Date, context: NameContext, timeZone: TimeZone) -> String {
        var text = ""
        for glyph in template.pieces(slot: slot, timeZone: timeZone, context: context) {
            // A variable never adds a directory level or a character a path should not hold.
            if glyph.kind == .variable && (glyph.character == "/" || !Self.isPathCharacter(glyph.character)) {
                text.append("-")
            } else {
                text.append(glyph.character)
            }
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map { part -> String in
            var part = String(part.prefix(200))
            if part.isEmpty || part.allSatisfy({ $0 == "." }) { part = "_" + part }
            return part
        }
        return parts.joined(separator: "/")
    }

    static func isPathCharacter(_ character: Character) -> Bool {
        character == "." || character == "/" || NameTemplate.isNameCharacter(character)
    }
}
