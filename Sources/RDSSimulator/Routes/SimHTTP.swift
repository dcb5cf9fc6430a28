import Foundation

/// A request as the simulator's routes see it: method, raw target, headers and body bytes.
struct SimRequest: Sendable {
    var method: String
    /// The request target as received (`/v3/pid/backups?instance_id=...`).
    var uri: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    /// The path part of the target, still percent-encoded (what the signer canonicalises).
    var rawPath: String {
        if let mark = uri.firstIndex(of: "?") { return String(uri[..<mark]) }
        return uri
    }

    /// The path with its segments percent-decoded.
    var path: String { rawPath.removingPercentEncoding ?? rawPath }

    /// Decoded path segments, without the empty ones of leading/trailing slashes.
    var segments: [String] {
        rawPath.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
    }

    /// Query items decoded like a form: `+` becomes a space, `%XX` its byte. So a `+` that a client
    /// forgot to encode as `%2B` arrives as a space, as on the real gateway (docs/rds-api.md §2).
    var query: [(name: String, value: String)] {
        guard let mark = uri.firstIndex(of: "?") else { return [] }
        let raw = uri[uri.index(after: mark)...]
        return raw.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                let spaced = s.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (name: decode(parts[0]), value: parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    func queryValue(_ name: String) -> String? { query.first { $0.name == name }?.value }

    /// The first header of that name (case-insensitive).
    func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }
}

/// An answer before the simulator adds `X-Request-Id` and `Content-Length`.
struct SimResponse: Sendable {
    var status: Int
    var headers: [(name: String, value: String)] = []
    var body: [UInt8] = []

    static let jsonContentType = "application/json;charset=UTF-8"

    /// A JSON body; the simulator's wire structs always encode.
    static func json<Body: Encodable>(_ status: Int, _ body: Body, headers: [(name: String, value: String)] = []) -> SimResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let bytes = (try? encoder.encode(body)).map { Array($0) } ?? Array("{}".utf8)
        return SimResponse(status: status, headers: headers + [(name: "Content-Type", value: jsonContentType)], body: bytes)
    }

    /// An RDS service error `{"error_code","error_msg"}`.
    static func rdsError(_ status: Int, _ code: String, _ message: String) -> SimResponse {
        json(status, RDSWire.ErrorResponse(error_code: code, error_msg: message))
    }

    /// An API gateway error, which carries the request id in the body as well.
    static func gatewayError(_ status: Int, _ code: String, _ message: String, requestID: String) -> SimResponse {
        json(status, RDSWire.GatewayErrorResponse(error_code: code, error_msg: message, request_id: requestID))
    }

    /// A keystone-style IAM error.
    /// An IAM error in OTC's `error_code`/`error_msg` shape (e.g. IAM.0061 "account locked").
    static func iamError(_ status: Int, _ code: String, _ message: String) -> SimResponse {
        json(status, RDSWire.ErrorResponse(error_code: code, error_msg: message))
    }

    static func keystoneError(_ status: Int, _ message: String, _ title: String) -> SimResponse {
        json(status, IAMWire.ErrorResponse(error: .init(code: status, message: message, title: title)))
    }
}
