import Foundation

/// One request the simulator received. Holds no secret: no headers, no bodies, no tokens.
public struct RecordedRequest: Sendable {
    /// How the request authenticated (or tried to).
    public enum AuthKind: String, Sendable {
        /// No credentials were presented (or the route needs none).
        case none
        /// IAM password authentication (`POST /v3/auth/tokens`).
        case password
        /// `X-Auth-Token`.
        case token
        /// `Authorization: SDK-HMAC-SHA256 Access=...`.
        case akSk
    }

    /// The `X-Request-Id` the simulator answered with.
    public var requestID: String
    public var method: String
    /// The path as decoded, without the query.
    public var path: String
    /// The query items, percent-decoded.
    public var query: [(name: String, value: String)]
    /// The route the request matched, nil for an unknown path.
    public var route: SimulatedRoute?
    /// The HTTP status answered; nil while in flight or when the connection was closed without an answer.
    public var status: Int?
    public var auth: AuthKind
    /// The injected fault applied to this request, if any.
    public var fault: SimulatedFault?
    /// When it arrived, on the simulator clock.
    public var receivedAt: Date

    /// The first value of a query item.
    public func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }
}
