/// One tag of an RDS instance (docs/api-notes.md "Instance tags").
///
/// Decoded leniently because the sources disagree on the field name: the list and the examples
/// say `value` (a string); the "Querying Tags of a DB Instance" table says `values`, and the
/// project-tags call answers `values` as an array. A tag without a key is dropped.
public struct InstanceTag: Sendable, Hashable, Decodable, CustomStringConvertible {
    public var key: String
    /// The value; empty when the tag has none.
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    public var description: String { "\(key)=\(value)" }

    enum CodingKeys: String, CodingKey { case key, value, values }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decode(String.self, forKey: .key)
        if let text = try? c.decodeIfPresent(String.self, forKey: .value) {
            value = text
        } else if let text = try? c.decodeIfPresent(String.self, forKey: .values) {
            value = text
        } else if let list = try? c.decodeIfPresent([String].self, forKey: .values), let first = list.first {
            value = first
        } else {
            value = ""
        }
    }

    /// An array of tags that skips malformed items instead of failing.
    struct List: Decodable {
        var tags: [InstanceTag]

        init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            var tags: [InstanceTag] = []
            // Bounded by the count: a decoder that did not advance past a bad item cannot loop.
            for _ in 0..<(container.count ?? 0) where !container.isAtEnd {
                if let tag = try? container.decode(InstanceTag.self) {
                    tags.append(tag)
                } else {
                    _ = try? container.decode(Skipped.self)
                }
            }
            self.tags = tags
        }

        /// Consumes one item of any shape.
        private struct Skipped: Decodable {
            init(from decoder: any Decoder) throws {}
        }
    }
}
