/// A backup name that satisfies the RDS v3 rules (docs/rds-api.md §1): 4 to 64 characters, first a
/// letter, then only ASCII letters, digits, `-` and `_`. It can only be built through validation.
public struct BackupName: Sendable, Hashable, Codable, CustomStringConvertible, Comparable {
    public static let minLength = 4
    public static let maxLength = 64

    /// The validated name.
    public let value: String

    /// Validates `raw`; throws a `BackupNameError` naming the rule that broke and where.
    public init(_ raw: String) throws(BackupNameError) {
        let scalars = Array(raw.unicodeScalars)
        if scalars.count < Self.minLength {
            throw .tooShort(name: raw, length: scalars.count)
        }
        if scalars.count > Self.maxLength {
            throw .tooLong(name: raw, length: scalars.count)
        }
        if !Self.isLetter(scalars[0]) {
            throw .mustStartWithLetter(name: raw, found: String(scalars[0]))
        }
        for (index, scalar) in scalars.enumerated() where !Self.isAllowed(scalar) {
            throw .invalidCharacter(name: raw, character: String(scalar), position: index + 1)
        }
        self.value = raw
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self = try BackupName(container.decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }

    public var description: String { value }

    public static func < (lhs: BackupName, rhs: BackupName) -> Bool { lhs.value < rhs.value }

    /// ASCII letter, `A-Z` or `a-z`.
    public static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }

    /// A character allowed anywhere after the first: ASCII letter, digit, `-` or `_`.
    public static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        isLetter(scalar) || ("0"..."9").contains(scalar) || scalar == "-" || scalar == "_"
    }
}

/// Why a string is not a valid backup name.
public enum BackupNameError: Error, Sendable, Equatable, CustomStringConvertible {
    case tooShort(name: String, length: Int)
    case tooLong(name: String, length: Int)
    case mustStartWithLetter(name: String, found: String)
    case invalidCharacter(name: String, character: String, position: Int)

    public var description: String {
        let rule = "a backup name is 4 to 64 characters, starts with a letter, and holds only letters, digits, '-' and '_'"
        switch self {
        case .tooShort(let name, let length):
            return "backup name '\(name)' is \(length) characters long; \(rule)"
        case .tooLong(let name, let length):
            return "backup name '\(name)' is \(length) characters long; \(rule)"
        case .mustStartWithLetter(let name, let found):
            return "backup name '\(name)' starts with '\(found)'; \(rule)"
        case .invalidCharacter(let name, let character, let position):
            return "backup name '\(name)' has '\(character)' at position \(position); \(rule)"
        }
    }
}
