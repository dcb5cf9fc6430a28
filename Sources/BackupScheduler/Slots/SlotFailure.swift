import RDSClient

/// Why a slot failed, in the words a person needs: what, the API's code and request id if any.
public struct SlotFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: String?
    public var message: String
    public var requestID: String?

    public init(code: String? = nil, message: String, requestID: String? = nil) {
        self.code = code
        self.message = message
        self.requestID = requestID
    }

    /// The failure an error stands for.
    public init(_ error: any Error) {
        switch error {
        case let failure as SlotFailure:
            self = failure
        case let error as RDSError:
            self.init(code: error.code, message: error.description, requestID: error.requestID)
        case let exhausted as RetriesExhausted:
            self.init(code: exhausted.lastError.code, message: exhausted.description, requestID: exhausted.lastError.requestID)
        default:
            self.init(message: "\(error)")
        }
    }

    public var description: String {
        var text = message
        if let code, !message.contains(code) { text += " (\(code))" }
        if let requestID, !message.contains(requestID) { text += " [request \(requestID)]" }
        return text
    }
}
