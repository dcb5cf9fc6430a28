import Crypto
import Foundation

/// Signs requests with the API gateway's AK/SK scheme "SDK-HMAC-SHA256" (`Access=` layout).
///
/// The algorithm is the one of docs/rds-api.md §7.2 (HW-SIGN, HW-PY `Signer`): canonical request of
/// method, canonical URI (trailing `/`), canonical query, canonical headers, signed headers and the
/// body's SHA-256; string to sign `SDK-HMAC-SHA256\n<X-Sdk-Date>\n<hex sha256(canonical request)>`;
/// signature = hex HMAC-SHA256 keyed with the SK bytes as they are (no key derivation).
public struct SDKSigner: Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The name of the scheme, first word of the `Authorization` header and of the string to sign.
    static let algorithm = "SDK-HMAC-SHA256"

    private let accessKey: String
    private let secretKey: Secret

    /// A signer for one access key pair.
    public init(accessKey: String, secretKey: Secret) {
        self.accessKey = accessKey
        self.secretKey = secretKey
    }

    // The SK must never show up in a log line or a dump, even if `Secret` changed one day.
    public var description: String { "SDKSigner(accessKey: \(accessKey))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["accessKey": accessKey], displayStyle: .struct)
    }

    /// Canonical query string for a list of query items (also what must go on the wire).
    public static func canonicalQuery(_ items: [(name: String, value: String)]) -> String {
        // Sorted by key, values of one key sorted too (HW-PY sorts keys, then each key's values).
        let encoded = items.map { (name: percentEncode($0.name), value: percentEncode($0.value)) }
        let sorted = encoded.sorted { lhs, rhs in
            if lhs.name != rhs.name { return Array(lhs.name.utf8).lexicographicallyPrecedes(rhs.name.utf8) }
            return Array(lhs.value.utf8).lexicographicallyPrecedes(rhs.value.utf8)
        }
        return sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }

    /// RFC 3986 encoding: keeps A-Z a-z 0-9 - _ . ~, everything else %XX upper hex.
    public static func percentEncode(_ s: String) -> String {
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Signs a request. `headers` are the headers to sign (must include Host; X-Sdk-Date is added from `date` when absent).
    /// Returns the headers to send in addition: "X-Sdk-Date" (if it was absent) and "Authorization".
    public func sign(
        method: String, path: String, query: [(name: String, value: String)],
        headers: [(name: String, value: String)], body: [UInt8], date: Date
    ) -> [(name: String, value: String)] {
        var toSign = headers
        var extra: [(name: String, value: String)] = []
        let sdkDate: String
        if let existing = headers.last(where: { $0.name.lowercased() == "x-sdk-date" }) {
            sdkDate = existing.value.trimmingCharacters(in: .whitespaces)
        } else {
            sdkDate = Self.sdkDate(date)
            toSign.append((name: "X-Sdk-Date", value: sdkDate))
            extra.append((name: "X-Sdk-Date", value: sdkDate))
        }
        let canonical = Self.canonicalRequest(
            method: method, path: path, query: query, headers: toSign, body: body)
        let signature = Self.signature(canonicalRequest: canonical, sdkDate: sdkDate, secretKey: secretKey)
        let signed = Self.signedHeaders(toSign)
        extra.append(
            (
                name: "Authorization",
                value: "\(Self.algorithm) Access=\(accessKey), SignedHeaders=\(signed), Signature=\(signature)"
            ))
        return extra
    }

    /// Pieces for tests and for the simulator's verification.
    public static func canonicalRequest(
        method: String, path: String, query: [(name: String, value: String)],
        headers: [(name: String, value: String)], body: [UInt8]
    ) -> String {
        let canonicalHeaders = canonicalHeaderPairs(headers)
            .map { "\($0.name):\($0.value)\n" }
            .joined()
        return [
            method.uppercased(),
            canonicalURI(path),
            canonicalQuery(query),
            canonicalHeaders,
            signedHeaders(headers),
            hex(SHA256.hash(data: body)),
        ].joined(separator: "\n")
    }

    /// Hex HMAC-SHA256 (key: the SK bytes as they are) of the string to sign built from a canonical request.
    public static func signature(canonicalRequest: String, sdkDate: String, secretKey: Secret) -> String {
        let hashed = hex(SHA256.hash(data: Array(canonicalRequest.utf8)))
        let stringToSign = "\(algorithm)\n\(sdkDate)\n\(hashed)"
        let key = SymmetricKey(data: Array(secretKey.reveal().utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key)
        return hex(mac)
    }

    // MARK: - Pieces

    /// Path segments decoded then RFC 3986 encoded (so an already encoded path is not encoded twice),
    /// with a trailing `/` as the scheme requires for signing.
    static func canonicalURI(_ path: String) -> String {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            percentEncode(String(segment).removingPercentEncoding ?? String(segment))
        }
        var uri = segments.joined(separator: "/")
        if !uri.hasPrefix("/") { uri = "/" + uri }
        if !uri.hasSuffix("/") { uri += "/" }
        return uri
    }

    /// Lower-cased names, trimmed values, sorted by name; a repeated header keeps its last value.
    static func canonicalHeaderPairs(_ headers: [(name: String, value: String)]) -> [(name: String, value: String)] {
        var byName: [String: String] = [:]
        for header in headers {
            byName[header.name.lowercased()] = header.value.trimmingCharacters(in: .whitespaces)
        }
        return byName.keys.sorted().map { (name: $0, value: byName[$0]!) }
    }

    static func signedHeaders(_ headers: [(name: String, value: String)]) -> String {
        Set(headers.map { $0.name.lowercased() }).sorted().joined(separator: ";")
    }

    /// `YYYYMMDD'T'HHMMSS'Z'` in UTC.
    static func sdkDate(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ value: Int?, _ width: Int) -> String {
            let s = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(c.year, 4))\(pad(c.month, 2))\(pad(c.day, 2))T\(pad(c.hour, 2))\(pad(c.minute, 2))\(pad(c.second, 2))Z"
    }

    static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
