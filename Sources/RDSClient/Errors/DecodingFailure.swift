import Foundation

/// Short, secret-free descriptions of JSON decoding failures.
enum DecodingFailure {
    static func describe(_ error: any Error) -> String {
        guard let decodingError = error as? DecodingError else { return "not valid JSON" }
        func path(_ context: DecodingError.Context) -> String {
            let joined = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return joined.isEmpty ? "the top level" : String(joined.drop(while: { $0 == "." }))
        }
        switch decodingError {
        case .keyNotFound(let key, let context): return "missing '\(key.stringValue)' at \(path(context))"
        case .typeMismatch(_, let context): return "wrong type at \(path(context))"
        case .valueNotFound(_, let context): return "null at \(path(context))"
        case .dataCorrupted(let context): return context.codingPath.isEmpty ? "not valid JSON" : "bad value at \(path(context))"
        @unknown default: return "not readable"
        }
    }
}
