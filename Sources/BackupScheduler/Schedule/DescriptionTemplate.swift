import Foundation
import RDSClient

/// The template a backup description is rendered from; same tokens as `NameTemplate`.
///
/// Characters the API refuses in a description that come from variable parts become `-`; an
/// overlong description loses characters from the end of its longest variable parts.
public struct DescriptionTemplate: Sendable, Hashable, CustomStringConvertible {
    /// The description used when neither the entry nor `defaults` sets one.
    public static let defaultSource = "scheduled by rds-backupd"
    static let literalRule = #"a description may not contain > ! < " & ' = or a line break"#

    let template: Template

    /// The template text as written.
    public var source: String { template.source }

    /// Whether it uses `{instance_name}` or `{engine}`, which are only known online.
    public var usesOnlineVariables: Bool {
        template.variables.contains { $0 == .instanceName || $0 == .engine }
    }
    public var description: String { template.source }

    /// Parses and checks `source`: known tokens, valid formats, no forbidden characters, and a
    /// fixed part that fits in 256 characters.
    public init(_ source: String) throws(TemplateError) {
        template = try Template(
            source, literalAllowed: { !Self.isForbidden($0) }, literalRule: Self.literalRule)
        let minimum = template.fixedWidth + template.variables.count
        guard minimum <= BackupDescription.maxLength else {
            throw TemplateError("renders at least \(minimum) characters; a description is at most \(BackupDescription.maxLength) characters")
        }
    }

    /// The description of the slot at `slot`.
    public func render(slot: Date, context: NameContext, timeZone: TimeZone) -> BackupDescription {
        var glyphs = template.pieces(slot: slot, timeZone: timeZone, context: context).map { glyph in
            glyph.kind == .variable && Self.isForbidden(glyph.character)
                ? Template.Glyph(character: "-", kind: glyph.kind, segment: glyph.segment) : glyph
        }
        while glyphs.count > BackupDescription.maxLength {
            var counts: [Int: Int] = [:]
            for glyph in glyphs where glyph.kind == .variable { counts[glyph.segment, default: 0] += 1 }
            guard let longest = counts.filter({ $0.value > 1 }).max(by: { ($0.value, -$0.key) < ($1.value, -$1.key) })?.key,
                let last = glyphs.lastIndex(where: { $0.kind == .variable && $0.segment == longest })
            else { break }
            glyphs.remove(at: last)
        }
        do {
            return try BackupDescription(String(glyphs.map(\.character)))
        } catch {
            preconditionFailure("description template rendered an invalid description: \(error)")
        }
    }

    /// A character the API refuses, including any control character (a CR LF pair is one
    /// `Character`, so the scalars are checked one by one).
    static func isForbidden(_ character: Character) -> Bool {
        character.unicodeScalars.contains { scalar in
            scalar.properties.generalCategory == .control || BackupDescription.forbidden.contains(scalar)
        }
    }
}
