/// A misbehaviour the simulator shows on the next requests of a route (`RDSSimulator.inject`).
public enum SimulatedFault: Sendable, Equatable, CustomStringConvertible {
    /// Answers with this 5xx without handling: 500/503 with a `DBS.108000`-style JSON body, 502 with
    /// an HTML page as a load balancer sends it.
    case serverError(status: Int)
    /// 429 `APIG.0308` with `Retry-After: seconds`, without handling.
    case throttled(retryAfter: Int)
    /// Closes the connection (TCP reset) before handling: nothing happens on the server.
    case resetBeforeHandling
    /// Handles the request (a backup is created) and then resets the connection without answering.
    case resetAfterHandling
    /// Waits this long on the wall clock, then handles and answers (the client's timeout may fire first;
    /// the request is still handled, as by a slow server).
    case delayBeforeHandling(seconds: Double)
    /// Handles at once, answers after this long on the wall clock.
    case delayAfterHandling(seconds: Double)
    /// Handles the request, then answers 200 with a body that is not valid JSON.
    case malformedJSON
    /// Revokes every token issued so far (they answer 401 `APIG.0307`), then handles the request.
    case expireAllTokens
    /// Answers this API error without handling, e.g. 400 `DBS.200086` "This operation is not
    /// allowed by the DB instance status" while an automated backup runs.
    case apiError(status: Int, code: String, message: String)

    public var description: String {
        switch self {
        case .serverError(let status): "serverError(\(status))"
        case .throttled(let retryAfter): "throttled(retryAfter: \(retryAfter))"
        case .resetBeforeHandling: "resetBeforeHandling"
        case .resetAfterHandling: "resetAfterHandling"
        case .delayBeforeHandling(let seconds): "delayBeforeHandling(\(seconds)s)"
        case .delayAfterHandling(let seconds): "delayAfterHandling(\(seconds)s)"
        case .malformedJSON: "malformedJSON"
        case .expireAllTokens: "expireAllTokens"
        case .apiError(let status, let code, _): "apiError(\(status) \(code))"
        }
    }
}

/// The API operations a fault can be attached to; `any` matches every request.
public enum SimulatedRoute: String, Sendable, CaseIterable, Equatable {
    case token
    case createBackup
    case listBackups
    case deleteBackup
    case listInstances
    case instanceTags
    /// IAM's project list and catalog (access-key clients).
    case iam
    /// The ECS metadata service.
    case metadata
    case backupFiles
    case any
}
