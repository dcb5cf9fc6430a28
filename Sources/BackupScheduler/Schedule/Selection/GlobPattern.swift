/// A shell-style pattern for instance names and tag values: `*` matches any run of characters,
/// `?` exactly one; everything else matches itself, case-sensitively (as the API compares names).
public struct GlobPattern: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as written.
    public let source: String
    private let characters: [Character]

    public init(_ source: String) {
        self.source = source
        characters = Array(source)
    }

    public var description: String { source }

    /// Whether the pattern holds a wildcard (`*` or `?`); without one it is an exact value.
    public var hasWildcard: Bool { characters.contains { $0 == "*" || $0 == "?" } }

    /// Whether `text` matches the whole pattern.
    public func matches(_ text: String) -> Bool {
        let input = Array(text)
        // Iterative matching with one backtrack point: linear in practice, never exponential.
        var p = 0, t = 0
        var starAt: Int?
        var resumeAt = 0
        while t < input.count {
            if p < characters.count && (characters[p] == "?" || (characters[p] != "*" && characters[p] == input[t])) {
                p += 1
                t += 1
            } else if p < characters.count && characters[p] == "*" {
                starAt = p
                resumeAt = t
                p += 1
            } else if let star = starAt {
                p = star + 1
                resumeAt += 1
                t = resumeAt
            } else {
                return false
            }
        }
        while p < characters.count && characters[p] == "*" { p += 1 }
        return p == characters.count
    }
}
