/// A backup description that satisfies the RDS v3 rules (docs/rds-api.md §1): at most 256
/// characters, none of `> ! < " & ' =`, no carriage return or line feed.
public struct BackupDescription: Sendable, Hashable, Codable, CustomStringConvertible {
    public static let maxLength = 256
    /// Characters the API refuses in a description. Checked per Unicode scalar: `"\r\n"` is one
    /// `Character` in Swift and would slip past a `Character` comparison.
    public static let forbidden: Set<Unicode.Scalar> = [">", "!", "<", "\"", "&", "'", "=", "\r", "\n"]

    public let value: String

    public init(_ raw: String) throws(BackupDescriptionError) {
        let length = raw.count
        if length > Self.maxLength {
            throw .tooLong(length: length)
        }
        for (index, scalar) in raw.unicodeScalars.enumerated() where Self.forbidden.contains(scalar) {
            throw .forbiddenCharacter(character: Character(scalar), position: index + 1)
        }
        self.value = raw
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self = try BackupDescription(container.decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }

    public var description: String { value }
}

/// Why a string is not a valid backup description.
public enum BackupDescriptionError: Error, Sendable, Equatable, CustomStringConvertible {
    case tooLong(length: Int)
    case forbiddenCharacter(character: Character, position: Int)

    public var description: String {
        let rule = #"a description is at most 256 characters and may not contain > ! < " & ' = or a line break"#
        switch self {
        case .tooLong(let length):
            return "description is \(length) characters long; \(rule)"
        case .forbiddenCharacter(let character, let position):
            let shown = character == "\r" ? "\\r" : character == "\n" ? "\\n" : String(character)
            return "description has '\(shown)' at position \(position); \(rule)"
        }
    }
}
