import Foundation

/// The `error_code` / `error_msg` / `request_id` of an error answer, whatever shape it came in.
///
/// Shapes handled (docs/rds-api.md §5.1): RDS v3 and API gateway `{"error_code","error_msg","request_id"}`,
/// legacy v1 `{"errCode","externalMessage"}`, keystone `{"error":{"code","message","title"}}`,
/// Trove `{"itemNotFound":{"code","message"}}`, and anything else (HTML from a proxy, plain text,
/// truncated JSON) as a shortened plain-text message.
public struct APIErrorBody: Sendable, Equatable {
    public var code: String?
    public var message: String
    public var requestID: String?

    /// The longest message kept from a body that is not JSON.
    static let maxPlainTextMessage = 200

    public init(code: String?, message: String, requestID: String?) {
        self.code = code
        self.message = message
        self.requestID = requestID
    }

    /// The longest message, code and request id kept from any body: they end up in the journal.
    static let maxMessage = 500
    static let maxCode = 64
    static let maxRequestID = 128

    /// Parses `body`; `status` is used for the message when the body says nothing. Every text is
    /// stripped of control characters and bounded, since a hostile or broken server chose it.
    public static func parse(_ body: [UInt8], status: Int) -> APIErrorBody {
        let parsed = parseRaw(body, status: status)
        let message = clean(parsed.message, limit: maxMessage)
        return APIErrorBody(
            code: parsed.code.map { clean($0, limit: maxCode) }.flatMap { $0.isEmpty ? nil : $0 },
            message: message.isEmpty ? fallback(body, status: status) : message,
            requestID: parsed.requestID.map { clean($0, limit: maxRequestID) }.flatMap { $0.isEmpty ? nil : $0 })
    }

    /// `text` without control characters (line breaks become spaces) or surrounding spaces, at
    /// most `limit` characters (then ending in `…`).
    public static func clean(_ text: String, limit: Int) -> String {
        var out = String.UnicodeScalarView()
        var kept = 0
        var cut = false
        for scalar in text.unicodeScalars {
            if scalar.properties.generalCategory == .control || scalar == "\u{FFFD}" {
                guard scalar == "\n" || scalar == "\r" || scalar == "\t", out.last != " " else { continue }
            }
            // Counting scalars bounds the work; the character count is checked below.
            if kept == limit {
                cut = true
                break
            }
            out.append(scalar.properties.generalCategory == .control ? " " : scalar)
            kept += 1
        }
        var cleaned = String(out).trimmingCharacters(in: .whitespaces)
        if cleaned.count > limit {
            cleaned = String(cleaned.prefix(limit))
            cut = true
        }
        return cut ? cleaned + "…" : cleaned
    }

    /// The message when the body says nothing readable.
    private static func fallback(_ body: [UInt8], status: Int) -> String {
        "HTTP \(status) with \(body.isEmpty ? "an empty body" : "a body that is not an API error")"
    }

    private static func parseRaw(_ body: [UInt8], status: Int) -> APIErrorBody {
        let fallback = fallback(body, status: status)
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            return APIErrorBody(code: nil, message: plainText(body) ?? fallback, requestID: nil)
        }
        let requestID = string(object["request_id"])
        if let code = string(object["error_code"]) ?? string(object["errCode"]) {
            let message = string(object["error_msg"]) ?? string(object["externalMessage"]) ?? fallback
            return APIErrorBody(code: code, message: message, requestID: requestID)
        }
        // Keystone and Trove wrap the error in a single object: {"error": {...}}, {"itemNotFound": {...}}.
        for (_, value) in object {
            if let inner = value as? [String: Any], inner["message"] != nil || inner["code"] != nil {
                let message = [string(inner["title"]), string(inner["message"])]
                    .compactMap { $0 }.joined(separator: ": ")
                return APIErrorBody(
                    code: string(inner["code"]), message: message.isEmpty ? fallback : message,
                    requestID: requestID ?? string(inner["request_id"]))
            }
        }
        if let message = string(object["message"]) ?? string(object["error_msg"]) {
            return APIErrorBody(code: nil, message: message, requestID: requestID)
        }
        return APIErrorBody(code: nil, message: fallback, requestID: requestID)
    }

    private static func string(_ value: Any?) -> String? {
        switch value {
        case let text as String: return text.isEmpty ? nil : text
        case let number as NSNumber: return number.stringValue
        default: return nil
        }
    }

    /// The first readable line of a non-JSON body, tags stripped, control characters dropped.
    private static func plainText(_ body: [UInt8]) -> String? {
        let text = String(decoding: body.prefix(4096), as: UTF8.self)
        var stripped = ""
        var inTag = false
        for character in text {
            if character == "<" { inTag = true; stripped.append(" "); continue }
            if character == ">" { inTag = false; continue }
            if !inTag { stripped.append(character) }
        }
        let words = stripped.split(whereSeparator: { $0.isWhitespace || $0.isNewline })
            .map { String($0.unicodeScalars.filter { $0.value >= 0x20 && $0 != "\u{FFFD}" }.map(Character.init)) }
            .filter { !$0.isEmpty }
        guard !words.isEmpty else { return nil }
        let joined = words.joined(separator: " ")
        return joined.count > maxPlainTextMessage ? String(joined.prefix(maxPlainTextMessage)) + "…" : joined
    }
}
