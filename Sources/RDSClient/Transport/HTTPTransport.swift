import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// One HTTP exchange as the client builds it: everything that is signed and sent.
public struct HTTPRequestSpec: Sendable {
    public var method: HTTPMethod
    /// Full URL, query already canonically encoded.
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(method: HTTPMethod, url: String, headers: [(name: String, value: String)], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// An HTTP answer, body collected (bounded).
public struct HTTPResponseData: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders, body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The `X-Request-Id` header, cleaned and bounded (the server chose it; it goes into the journal).
    public var requestID: String? {
        headers.first(name: "X-Request-Id").map { APIErrorBody.clean($0, limit: APIErrorBody.maxRequestID) }
    }
}

/// Why no HTTP answer arrived.
public struct TransportFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// False only when the request certainly never left (connect failed, refused, TLS handshake).
    public var mayHaveReachedServer: Bool
    /// The TLS peer was not trusted: a configuration problem, not worth retrying.
    public var isCertificateProblem: Bool
    /// The proxy refused us (407) or answered nonsense: a configuration problem, not worth retrying.
    public var isProxyProblem: Bool = false
    public var description: String { message }

    /// How a call that failed this way is treated: a certificate or proxy problem needs someone to
    /// change the configuration (permanent); anything else may pass on the next try (transient).
    public var errorClass: ErrorClass { isCertificateProblem || isProxyProblem ? .permanent : .transient }
}

/// The HTTP layer: AsyncHTTPClient with TLS verification always on, timeouts, proxies from the
/// environment, no redirects (a redirect would carry the token elsewhere), bounded bodies.
public final class HTTPTransport: Sendable {
    public struct Configuration: Sendable {
        public var connectTimeout: Duration = .seconds(10)
        /// Whole request, from send to last body byte.
        public var requestTimeout: Duration = .seconds(60)
        /// PEM file with extra CA certificates, trusted besides the system's.
        public var caBundlePath: String?
        public var userAgent: String = "rds-backupd/\(RDSClientVersion.current)"
        /// Larger bodies are refused (a list page of 100 backups is a few tens of kB).
        public var maxResponseBytes: Int = 8 * 1024 * 1024

        public init() {}
    }

    public let configuration: Configuration
    let direct: HTTPClient
    let proxied: HTTPClient?
    let proxyRules: ProxyRules

    public init(
        configuration: Configuration = .init(),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ClientConfigurationError) {
        self.configuration = configuration
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .fullVerification
        if let path = configuration.caBundlePath {
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw ClientConfigurationError("CA bundle \(path) cannot be read")
            }
            tls.additionalTrustRoots = [.file(path)]
        }
        let timeout = HTTPClient.Configuration.Timeout(
            connect: .nanoseconds(Int64(configuration.connectTimeout.nanosecondsClamped)),
            read: .nanoseconds(Int64(configuration.requestTimeout.nanosecondsClamped)))
        func makeClient(proxy: HTTPClient.Configuration.Proxy?) -> HTTPClient {
            var config = HTTPClient.Configuration(
                tlsConfiguration: tls, redirectConfiguration: .disallow, timeout: timeout, proxy: proxy)
            config.decompression = .disabled
            return HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        }
        self.proxyRules = try ProxyRules(environment: environment)
        self.direct = makeClient(proxy: nil)
        self.proxied = proxyRules.proxy.map { proxy in
            // Credentials of the proxy URL go into Proxy-Authorization (basic), never into a message.
            let authorization = proxy.credentials.map { HTTPClient.Authorization.basic(username: $0.user, password: $0.password.reveal()) }
            return makeClient(proxy: .server(host: proxy.host, port: proxy.port, authorization: authorization))
        }
    }

    /// Sends one request and collects the answer.
    public func send(_ spec: HTTPRequestSpec) async throws(TransportFailure) -> HTTPResponseData {
        var request = HTTPClientRequest(url: spec.url)
        request.method = spec.method
        for (name, value) in spec.headers { request.headers.add(name: name, value: value) }
        request.headers.replaceOrAdd(name: "User-Agent", value: configuration.userAgent)
        if !spec.body.isEmpty || spec.method == .POST || spec.method == .PUT {
            request.body = .bytes(ByteBuffer(bytes: spec.body))
        }
        let host = URLComponents(string: spec.url)?.host ?? ""
        let viaProxy = proxied != nil && proxyRules.useProxy(forHost: host)
        let client = viaProxy ? proxied! : direct
        let deadline = NIODeadline.now() + .nanoseconds(Int64(configuration.requestTimeout.nanosecondsClamped))
        do {
            let response = try await client.execute(request, deadline: deadline)
            var body: ByteBuffer
            do {
                body = try await response.body.collect(upTo: configuration.maxResponseBytes)
            } catch is NIOTooManyBytesError {
                throw TransportFailure(
                    message: "the answer's body is larger than \(configuration.maxResponseBytes) bytes",
                    mayHaveReachedServer: true, isCertificateProblem: false)
            }
            return HTTPResponseData(
                status: Int(response.status.code), headers: response.headers,
                body: body.readBytes(length: body.readableBytes) ?? [])
        } catch let failure as TransportFailure {
            throw failure
        } catch {
            if viaProxy, let proxy = proxyRules.proxy, let clientError = error as? HTTPClientError {
                if clientError == .proxyAuthenticationRequired {
                    throw TransportFailure(
                        message: "the proxy \(proxy.host):\(proxy.port) refused us (HTTP 407 Proxy Authentication Required); "
                            + (proxy.credentials == nil
                                ? "give its user and password in HTTPS_PROXY (http://user:password@host:port)"
                                : "check the user and password in HTTPS_PROXY"),
                        mayHaveReachedServer: false, isCertificateProblem: false, isProxyProblem: true)
                }
                if clientError == .invalidProxyResponse {
                    throw TransportFailure(
                        message: "the proxy \(proxy.host):\(proxy.port) did not open a tunnel (invalid proxy response)",
                        mayHaveReachedServer: false, isCertificateProblem: false, isProxyProblem: true)
                }
            }
            throw Self.describe(error, endpoint: Self.endpoint(of: spec.url), connectTimeout: configuration.connectTimeout)
        }
    }

    /// Closes the connection pools. Call once, when done.
    public func shutdown() async throws {
        try await direct.shutdown()
        try await proxied?.shutdown()
    }

    /// `host:port` of a URL (the scheme's port when none is written), never its path or query.
    static func endpoint(of url: String) -> String? {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else { return nil }
        let port = components.port ?? (components.scheme == "http" ? 80 : 443)
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// One clean sentence for a failure to connect: the endpoint and the system's reason
    /// (`connection refused`), never NIO's nested descriptions and errno numbers.
    static func connectFailure(_ reason: String, endpoint: String?) -> TransportFailure {
        TransportFailure(
            message: "could not connect to \(endpoint ?? "the server"): \(reason)", mayHaveReachedServer: false,
            isCertificateProblem: false)
    }

    /// The errno a connect failed with, from NIO's description `... (errno: 111)`.
    static func errnoReason(in text: String) -> String? {
        guard let range = text.range(of: #"\(errno: [0-9]+\)"#, options: .regularExpression),
            let code = Int32(text[range].dropFirst("(errno: ".count).dropLast())
        else { return nil }
        return String(cString: strerror(code)).lowercased()
    }

    static func describe(_ error: any Error, endpoint: String? = nil, connectTimeout: Duration? = nil) -> TransportFailure {
        if let clientError = error as? HTTPClientError {
            switch clientError {
            case .connectTimeout, .getConnectionFromPoolTimeout, .httpProxyHandshakeTimeout, .socksHandshakeTimeout:
                let within = connectTimeout.map { " within \(Self.seconds($0))" } ?? ""
                return connectFailure("no connection\(within) (connect timeout)", endpoint: endpoint)
            case .tlsHandshakeTimeout:
                return TransportFailure(message: "TLS handshake timed out", mayHaveReachedServer: false, isCertificateProblem: false)
            case .deadlineExceeded, .readTimeout:
                return TransportFailure(
                    message: "no answer within the request timeout", mayHaveReachedServer: true, isCertificateProblem: false)
            case .remoteConnectionClosed:
                return TransportFailure(
                    message: "the server closed the connection before answering", mayHaveReachedServer: true,
                    isCertificateProblem: false)
            default:
                return TransportFailure(message: "HTTP error: \(clientError)", mayHaveReachedServer: true, isCertificateProblem: false)
            }
        }
        if let sslError = error as? NIOSSLError {
            return TransportFailure(
                message: "TLS failed (\(sslError)); if the endpoint uses a private CA, give it with ca_bundle / --ca-bundle",
                mayHaveReachedServer: false, isCertificateProblem: true)
        }
        let text = String(describing: error)
        if text.contains("NIOSSL") || text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("handshakeFailed") {
            return TransportFailure(
                message: "TLS certificate not trusted (\(text)); if the endpoint uses a private CA, give it with ca_bundle / --ca-bundle",
                mayHaveReachedServer: false, isCertificateProblem: true)
        }
        let lowered = text.lowercased()
        if lowered.contains("no such host") || lowered.contains("unknown host") || lowered.contains("resolution")
            || lowered.contains("dnsaerror") || lowered.contains("unknown(host")
        {
            let host = endpoint.map { String($0[..<($0.lastIndex(of: ":") ?? $0.endIndex)]) } ?? "the server's name"
            return connectFailure("cannot resolve the host name \(host)", endpoint: endpoint)
        }
        if lowered.contains("connection refused") || lowered.contains("connectionrefused")
            || lowered.contains("nioconnectionerror") || lowered.contains("connect(descriptor") || lowered.contains("econnrefused")
        {
            let reason = errnoReason(in: text) ?? (lowered.contains("refused") ? "connection refused" : "no connection")
            return connectFailure(reason, endpoint: endpoint)
        }
        if let reason = errnoReason(in: text) {
            return TransportFailure(
                message: "the connection to \(endpoint ?? "the server") failed: \(reason)", mayHaveReachedServer: true,
                isCertificateProblem: false)
        }
        return TransportFailure(message: "connection failed: \(text)", mayHaveReachedServer: true, isCertificateProblem: false)
    }

    /// A duration in seconds as a person reads it: `10s`, `2.5s`.
    static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return value == value.rounded() ? "\(Int(value))s" : String(format: "%.1fs", value)
    }
}

/// `HTTPS_PROXY` / `NO_PROXY` as curl reads them; loopback is never proxied.
struct ProxyRules: Sendable {
    struct Proxy: Sendable {
        var host: String
        var port: Int
        /// From `http://user:password@host:port` (percent-decoded).
        var credentials: (user: String, password: Secret)?
    }
    var proxy: Proxy?
    var noProxy: [String]

    init(environment: [String: String]) throws(ClientConfigurationError) {
        let raw = environment["HTTPS_PROXY"] ?? environment["https_proxy"] ?? environment["HTTP_PROXY"] ?? environment["http_proxy"]
        if let raw, !raw.isEmpty {
            let withScheme = raw.contains("://") ? raw : "http://" + raw
            guard let components = URLComponents(string: withScheme), let host = components.host, !host.isEmpty else {
                throw ClientConfigurationError("HTTPS_PROXY '\(Self.withoutUserInfo(raw))' is not a proxy URL (http://host:port)")
            }
            var credentials: (user: String, password: Secret)?
            if let user = components.user, !user.isEmpty {
                credentials = (user, Secret(components.password ?? ""))
            }
            proxy = Proxy(host: host, port: components.port ?? 80, credentials: credentials)
        } else {
            proxy = nil
        }
        let list = environment["NO_PROXY"] ?? environment["no_proxy"] ?? ""
        noProxy = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
    }

    /// The proxy setting as it may be shown: a `user:password@` part becomes `<redacted>@`.
    static func withoutUserInfo(_ raw: String) -> String {
        let start = raw.range(of: "://")?.upperBound ?? raw.startIndex
        guard let at = raw[start...].lastIndex(of: "@") else { return raw }
        return String(raw[..<start]) + "<redacted>" + String(raw[at...])
    }

    func useProxy(forHost host: String) -> Bool {
        // Loopback and link-local (the ECS metadata service, 169.254.169.254) never go through a proxy.
        guard proxy != nil, !EndpointURL.isLoopback(host), !host.hasPrefix("169.254.") else { return false }
        let lowered = host.lowercased()
        for entry in noProxy {
            if entry == "*" { return false }
            let suffix = entry.hasPrefix(".") ? String(entry.dropFirst()) : entry
            if lowered == suffix || lowered.hasSuffix("." + suffix) { return false }
        }
        return true
    }
}

extension Duration {
    /// Nanoseconds, clamped to Int64's range.
    var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        if seconds > Int64.max / 1_000_000_000 - 1 { return Int64.max }
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// The version reported in `User-Agent` and `--version`.
public enum RDSClientVersion {
    public static let current = "0.1.0"
}
