import Foundation

extension HTTPResponseData {
    /// The body decoded as `T`, or a transient `RDSError` saying which part of the answer could not
    /// be read ("the token answer could not be read (missing 'expires_at' at token)"): the next try
    /// may well get a readable one. A body that is not JSON is never quoted (it may hold anything).
    ///
    /// - Parameters:
    ///   - what: what the body is, for the message ("the answer", "the project list").
    ///   - mayHaveTakenEffect: the request was a create whose answer this is; see `RDSError`.
    func decodeJSON<T: Decodable>(
        _ type: T.Type, operation: String, what: String = "the answer", consequence: String = "",
        mayHaveTakenEffect: Bool = false
    ) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch {
            throw RDSError(
                operation: operation, errorClass: .transient, status: status,
                message: "\(what) could not be read (\(DecodingFailure.describe(error)))\(consequence)",
                requestID: requestID, mayHaveTakenEffect: mayHaveTakenEffect)
        }
    }
}
