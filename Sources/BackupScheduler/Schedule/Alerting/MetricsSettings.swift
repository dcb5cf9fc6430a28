/// The top-level `metrics:` of the schedule: where the Prometheus metrics go. Both are off by default.
public struct MetricsSettings: Sendable, Hashable {
    /// A node-exporter textfile-collector file (absolute path), rewritten atomically on every change.
    public var textfile: String?
    /// A loopback address the metrics are served on at `GET /metrics`.
    public var listen: LoopbackAddress?

    public init(textfile: String? = nil, listen: LoopbackAddress? = nil) {
        self.textfile = textfile
        self.listen = listen
    }

    /// Whether no export is configured.
    public var isEmpty: Bool { textfile == nil && listen == nil }
}

/// A loopback host and port (`127.0.0.1:9468`, `[::1]:9468`, `localhost:9468`): the metrics listener
/// never binds anything reachable from other machines.
public struct LoopbackAddress: Sendable, Hashable, CustomStringConvertible {
    /// `127.x.y.z` or `::1` (`localhost` is read as 127.0.0.1).
    public var host: String
    /// 0 picks a free port (tests).
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`; nil when the text is not of that form or the host is not loopback.
    public static func parse(_ text: String) -> LoopbackAddress? {
        var host: Substring
        var portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let port = Int(portText), (0...65_535).contains(port) else { return nil }
        if host == "localhost" { host = "127.0.0.1" }
        guard isLoopback(String(host)) else { return nil }
        return LoopbackAddress(host: String(host), port: port)
    }

    /// `127.0.0.0/8` in dotted form, or `::1`.
    static func isLoopback(_ host: String) -> Bool {
        if host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "127" else { return false }
        return parts.allSatisfy { part in part.count <= 3 && UInt8(part) != nil }
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
