import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// An answer whose body is still arriving: read `body` chunk by chunk (each read waits for the
/// network, so memory stays bounded by one chunk, whatever the size).
public struct HTTPStreamResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: HTTPClientResponse.Body
}

/// Streaming downloads (offsite copies) over the same clients as the API calls: TLS verified,
/// no redirects, proxies from the environment, loopback never proxied.
extension HTTPTransport {
    /// Sends a GET and returns as soon as the head arrived. The read timeout of the configuration
    /// applies between body chunks; `deadline` bounds the whole transfer (a multi-gigabyte file at
    /// a low rate takes hours, so the caller chooses it).
    ///
    /// Errors never carry the URL (a download link holds a signature in its query).
    public func stream(url: String, headers: [(name: String, value: String)], deadline: Duration) async throws(TransportFailure) -> HTTPStreamResponse {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.headers.replaceOrAdd(name: "User-Agent", value: configuration.userAgent)
        let host = URLComponents(string: url)?.host ?? ""
        let client = (proxied != nil && proxyRules.useProxy(forHost: host)) ? proxied! : direct
        do {
            let response = try await client.execute(
                request, deadline: NIODeadline.now() + .nanoseconds(deadline.nanosecondsClamped))
            return HTTPStreamResponse(status: Int(response.status.code), headers: response.headers, body: response.body)
        } catch {
            throw Self.describe(error, endpoint: Self.endpoint(of: url), connectTimeout: configuration.connectTimeout)
        }
    }

    /// What went wrong while reading a streamed body, in the transport's words.
    public static func failure(describing error: any Error) -> TransportFailure {
        if let failure = error as? TransportFailure { return failure }
        return describe(error)
    }
}
