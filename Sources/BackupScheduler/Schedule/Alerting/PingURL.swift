import Foundation

/// A ping URL of `alert:` (healthchecks-style dead-man's switch). Such URLs usually carry a token
/// in their path, so the value is kept out of every description: logs show scheme and host only.
public struct PingURL: Sendable, Hashable, CustomStringConvertible {
    private let value: String
    /// `https://host:port`, safe to log.
    public let redacted: String

    /// Accepts `https://` and `http://` URLs with a host; anything else (e.g. `file://`) is nil.
    public init?(_ text: String) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "https" || scheme == "http", let host = components.host, !host.isEmpty,
            components.user == nil, components.password == nil
        else { return nil }
        value = text
        redacted = "\(scheme)://\(host)\(components.port.map { ":\($0)" } ?? "")/<redacted>"
    }

    /// The full URL, for the request only: never log it.
    public func reveal() -> String { value }

    public var description: String { redacted }
}
