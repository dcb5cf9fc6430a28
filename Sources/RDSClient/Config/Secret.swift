/// A secret value (password, secret key, token) that never prints itself.
///
/// `description`, `debugDescription` and string interpolation all yield `<redacted>`, so a secret
/// that slips into a log line, an error message or a `dump` shows nothing. Read it only through
/// `reveal()`, at the single place that must put it on the wire.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    private let value: String

    public init(_ value: String) { self.value = value }

    /// The secret itself. Call only where it goes on the wire or into a signature.
    public func reveal() -> String { value }

    public var isEmpty: Bool { value.isEmpty }
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
