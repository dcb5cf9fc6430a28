import Foundation
import RDSClient

/// The template a backup name is rendered from, e.g. `{alias}-{slot:%Y%m%d-%H%M}`.
///
/// The name of a slot is rendered from the slot's scheduled instant (the cron instant, shown in
/// the entry's zone for `{slot:…}`), never from the wall clock when the call is made, and never
/// from the jittered run time: jitter only delays when a slot runs, so a retry, a restart or a
/// second host renders the same name for the same slot.
///
/// Rendering always yields a valid `BackupName`: characters a name cannot hold that come from
/// variable parts become `-`, runs of `-` collapse, a name that does not start with a letter gets
/// the prefix `b-` (or `b` before `-`/`_`), a name shorter than 4 is padded with `_`, and a name
/// longer than 64 loses characters from the end of its longest variable parts, never from the
/// slot time or the template's literal text.
public struct NameTemplate: Sendable, Hashable, CustomStringConvertible {
    /// The template used when neither the entry nor `defaults` sets `name`.
    public static let defaultSource = "{alias}-{slot:%Y%m%d-%H%M}"
    static let literalRule = "a backup name holds only letters, digits, '-' and '_'"

    let template: Template

    /// The template text as written.
    public var source: String { template.source }

    /// Whether it uses `{instance_name}` or `{engine}`, which are only known online.
    public var usesOnlineVariables: Bool {
        template.variables.contains { $0 == .instanceName || $0 == .engine }
    }
    public var description: String { template.source }

    /// Parses and checks `source`: known tokens, valid formats, only name characters in its
    /// literal text, at least one slot token, and a fixed part that fits in 64 characters.
    public init(_ source: String) throws(TemplateError) {
        template = try Template(source, literalAllowed: Self.isNameCharacter, literalRule: Self.literalRule)
        guard template.hasSlotToken else {
            throw TemplateError("has no slot token, so every slot would get the same name; include {slot:FORMAT} or {slot_utc:FORMAT}, e.g. {alias}-{slot:%Y%m%d-%H%M}")
        }
        // Each variable keeps at least one character; a prefix may add two more.
        let minimum = template.fixedWidth + template.variables.count + 2
        guard minimum <= BackupName.maxLength else {
            throw TemplateError("renders at least \(minimum) characters without its variable parts; a backup name is at most \(BackupName.maxLength) characters")
        }
    }

    /// The name of the slot at `slot` (the cron instant), in `timeZone` for `{slot:…}`.
    public func render(slot: Date, context: NameContext, timeZone: TimeZone) -> BackupName {
        let text = String(renderGlyphs(slot: slot, context: context, timeZone: timeZone).map(\.character))
        do {
            return try BackupName(text)
        } catch {
            // Unreachable: the steps in renderGlyphs leave only valid names (a property test
            // drives hostile aliases and instance names through them).
            preconditionFailure("name template rendered an invalid name: \(error)")
        }
    }

    /// What the template writes for the slot before the name rules apply, and why the name
    /// differs from it (empty when `render` returns it unchanged): check-config and next-runs show
    /// both, so a rewritten name is never a surprise.
    public func rewrite(slot: Date, context: NameContext, timeZone: TimeZone) -> (written: String, reasons: [String]) {
        let written = String(template.pieces(slot: slot, timeZone: timeZone, context: context).map(\.character))
        guard written != render(slot: slot, context: context, timeZone: timeZone).value else { return (written, []) }
        var reasons: [String] = []
        if !written.allSatisfy(Self.isNameCharacter) { reasons.append("only letters, digits, '-' and '_' (others become '-')") }
        if let first = written.unicodeScalars.first, !BackupName.isLetter(first) { reasons.append("a letter first (a 'b' is put before)") }
        if written.count > BackupName.maxLength {
            reasons.append("at most \(BackupName.maxLength) characters (it has \(written.count); the longest variable parts are shortened)")
        }
        if written.count < BackupName.minLength { reasons.append("at least \(BackupName.minLength) characters (padded with '_')") }
        if reasons.isEmpty { reasons.append("no runs of '-'") }
        return (written, reasons)
    }

    /// The rendered characters, each tagged as coming from the slot time or not; used to decide
    /// whether two entries can ever render the same name.
    func renderPattern(slot: Date, context: NameContext, timeZone: TimeZone) -> [(character: Character, fromSlot: Bool)] {
        renderGlyphs(slot: slot, context: context, timeZone: timeZone).map { ($0.character, $0.kind == .slot) }
    }

    private typealias Glyph = Template.Glyph

    private func renderGlyphs(slot: Date, context: NameContext, timeZone: TimeZone) -> [Glyph] {
        var glyphs: [Glyph] = template.pieces(slot: slot, timeZone: timeZone, context: context).map { glyph in
            if glyph.kind == .variable && !Self.isNameCharacter(glyph.character) {
                return Glyph(character: "-", kind: glyph.kind, segment: glyph.segment)
            }
            return glyph
        }
        Self.collapseDashes(&glyphs)
        while glyphs.count + Self.prefix(for: glyphs).count > BackupName.maxLength {
            // Shorten the longest variable part from its end; each keeps at least one character.
            var counts: [Int: Int] = [:]
            for glyph in glyphs where glyph.kind == .variable { counts[glyph.segment, default: 0] += 1 }
            guard let longest = counts.filter({ $0.value > 1 }).max(by: { ($0.value, -$0.key) < ($1.value, -$1.key) })?.key,
                let last = glyphs.lastIndex(where: { $0.kind == .variable && $0.segment == longest })
            else { break }
            glyphs.remove(at: last)
            Self.collapseDashes(&glyphs)
        }
        let prefix = Self.prefix(for: glyphs)
        glyphs.insert(contentsOf: prefix.map { Glyph(character: $0, kind: .literal, segment: -1) }, at: 0)
        while glyphs.count < BackupName.minLength { glyphs.append(Glyph(character: "_", kind: .literal, segment: -1)) }
        return glyphs
    }

    private static func prefix(for glyphs: [Glyph]) -> String {
        guard let first = glyphs.first else { return "b" }
        if let scalar = first.character.unicodeScalars.first, first.character.unicodeScalars.count == 1,
            BackupName.isLetter(scalar)
        {
            return ""
        }
        return first.character == "-" || first.character == "_" ? "b" : "b-"
    }

    private static func collapseDashes(_ glyphs: inout [Glyph]) {
        var index = 1
        while index < glyphs.count {
            if glyphs[index].character == "-" && glyphs[index - 1].character == "-" {
                glyphs.remove(at: index)
            } else {
                index += 1
            }
        }
    }

    static func isNameCharacter(_ character: Character) -> Bool {
        character.unicodeScalars.count == 1 && BackupName.isAllowed(character.unicodeScalars.first!)
    }
}
