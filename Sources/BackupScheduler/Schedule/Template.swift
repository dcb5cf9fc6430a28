import Foundation

/// A parsed name or description template: literal text, variables and slot-time tokens.
struct Template: Sendable, Hashable {
    enum Segment: Sendable, Hashable {
        case literal(String)
        case variable(TemplateVariable)
        case slot(SlotFormat, utc: Bool)
    }

    enum PieceKind: Sendable, Equatable {
        case literal, variable, slot
    }

    /// One rendered character and where it came from.
    struct Glyph: Sendable, Equatable {
        var character: Character
        var kind: PieceKind
        /// Index of the segment it came from; -1 for characters added by compliance rules.
        var segment: Int
    }

    static let allowedTokens = "{alias} {instance_id} {instance_name} {engine} {slot:FORMAT} {slot_utc:FORMAT}"

    let source: String
    let segments: [Segment]

    init(_ source: String, literalAllowed: (Character) -> Bool, literalRule: String) throws(TemplateError) {
        self.source = source
        var segments: [Segment] = []
        var literal = ""
        var rest = Substring(source)
        while let character = rest.first {
            rest = rest.dropFirst()
            if character == "{" {
                guard let close = rest.firstIndex(of: "}") else {
                    throw TemplateError("'{' at '{\(rest.prefix(20))' is never closed; tokens are \(Self.allowedTokens)")
                }
                let token = String(rest[..<close])
                rest = rest[rest.index(after: close)...]
                if !literal.isEmpty { segments.append(.literal(literal)); literal = "" }
                segments.append(try Self.segment(for: token, literalAllowed: literalAllowed, literalRule: literalRule))
            } else if character == "}" {
                throw TemplateError("'}' without a matching '{'; tokens are \(Self.allowedTokens)")
            } else {
                guard literalAllowed(character) else {
                    throw TemplateError("has '\(character)' in its literal text; \(literalRule)")
                }
                literal.append(character)
            }
        }
        if !literal.isEmpty { segments.append(.literal(literal)) }
        self.segments = segments
    }

    private static func segment(
        for token: String, literalAllowed: (Character) -> Bool, literalRule: String
    ) throws(TemplateError) -> Segment {
        if let variable = TemplateVariable(rawValue: token) {
            return .variable(variable)
        }
        for (prefix, utc) in [("slot:", false), ("slot_utc:", true)] where token.hasPrefix(prefix) {
            let format = try SlotFormat(
                String(token.dropFirst(prefix.count)), literalAllowed: literalAllowed, literalRule: literalRule)
            return .slot(format, utc: utc)
        }
        if token == "slot" || token == "slot_utc" {
            throw TemplateError("token {\(token)} needs a format, e.g. {\(token):%Y%m%d-%H%M}")
        }
        let suggestion = DidYouMean.suggestion(
            for: token, among: TemplateVariable.allCases.map(\.rawValue) + ["slot:", "slot_utc:"])
        throw TemplateError("unknown token {\(token)}\(suggestion.map { " (did you mean {\($0)}?)" } ?? ""); tokens are \(allowedTokens)")
    }

    var hasSlotToken: Bool {
        segments.contains { if case .slot = $0 { true } else { false } }
    }

    var variables: [TemplateVariable] {
        segments.compactMap { if case .variable(let v) = $0 { v } else { nil } }
    }

    /// Characters every rendering has regardless of variables.
    var fixedWidth: Int {
        segments.reduce(0) { total, segment in
            switch segment {
            case .literal(let text): total + text.count
            case .variable: total
            case .slot(let format, _): total + format.width
            }
        }
    }

    /// The template rendered piece by piece, each character tagged with where it came from.
    func pieces(slot: Date, timeZone: TimeZone, context: NameContext) -> [Glyph] {
        var out: [Glyph] = []
        for (index, segment) in segments.enumerated() {
            switch segment {
            case .literal(let text):
                for c in text { out.append(Glyph(character: c, kind: .literal, segment: index)) }
            case .variable(let variable):
                for c in context.value(of: variable) { out.append(Glyph(character: c, kind: .variable, segment: index)) }
            case .slot(let format, let utc):
                let civil = (utc ? TimeZone(identifier: "UTC")! : timeZone).civilTime(at: slot)
                for (c, isConversion) in format.render(civil) {
                    out.append(Glyph(character: c, kind: isConversion ? .slot : .literal, segment: index))
                }
            }
        }
        return out
    }

    /// Only the slot-time parts of a rendering: two slots of one entry share a name exactly when
    /// these are equal.
    func slotKey(slot: Date, timeZone: TimeZone) -> String {
        var key = ""
        for segment in segments {
            if case .slot(let format, let utc) = segment {
                let civil = (utc ? TimeZone(identifier: "UTC")! : timeZone).civilTime(at: slot)
                key.append(contentsOf: format.render(civil).map(\.character))
                key.append("|")
            }
        }
        return key
    }

    /// Whether the slot tokens, read in one zone, pin a minute within a year (so no two slots of
    /// any cron within a year can share a rendering).
    var identifiesMinuteWithinYear: Bool {
        for utc in [false, true] {
            var components = Set<SlotFormat.Component>()
            for case .slot(let format, let isUTC) in segments where isUTC == utc {
                components.formUnion(format.components)
            }
            let dayKnown = components.contains(.dayOfYear) || (components.contains(.month) && components.contains(.day))
            if dayKnown && components.contains(.hour) && components.contains(.minute) { return true }
        }
        return false
    }
}

/// A variable part of a template.
public enum TemplateVariable: String, Sendable, Hashable, CaseIterable {
    case alias
    case instanceID = "instance_id"
    case instanceName = "instance_name"
    case engine
}

/// What a template's variables render to for one entry.
///
/// `{instance_name}` and `{engine}` come from the API; when they are not known (offline, as in
/// `check-config` and `next-runs`) they render as the instance id and `db`.
public struct NameContext: Sendable, Hashable {
    /// What `{engine}` renders as while the engine is not known.
    public static let unknownEngine = "db"

    public var alias: String
    public var instanceID: String
    public var instanceName: String?
    public var engine: String?

    public init(alias: String, instanceID: String, instanceName: String? = nil, engine: String? = nil) {
        self.alias = alias
        self.instanceID = instanceID
        self.instanceName = instanceName
        self.engine = engine
    }

    func value(of variable: TemplateVariable) -> String {
        switch variable {
        case .alias: alias
        case .instanceID: instanceID
        case .instanceName: instanceName ?? instanceID
        case .engine: engine ?? Self.unknownEngine
        }
    }
}

/// Why a name or description template was refused, with what is allowed.
public struct TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
