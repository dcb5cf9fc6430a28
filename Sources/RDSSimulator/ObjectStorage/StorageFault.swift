/// A misbehaviour of the simulated object storage on the next download requests
/// (`SimulatedObjectStorage.inject`). Offsets count body bytes of that one response.
public enum StorageFault: Sendable, Equatable, CustomStringConvertible {
    /// Sends `afterBytes` bytes of the body, then resets the connection (TCP RST).
    case reset(afterBytes: Int64)
    /// Sends `afterBytes` bytes of the body, then closes the connection in order: fewer bytes
    /// than `Content-Length` announced.
    case truncate(afterBytes: Int64)
    /// Sends the body in chunks of `chunkBytes`, waiting `delaySeconds` (wall clock, capped by the
    /// simulator's `maxInjectedDelay`) before each.
    case slowBody(chunkBytes: Int, delaySeconds: Double)
    /// Answers 403 `AccessDenied` "Request has expired", as object storage does for a link past
    /// its expiry, whatever the link's time.
    case expiredLink
    /// Serves an object `byBytes` longer (or shorter, when negative) than the one listed, with a
    /// consistent `Content-Length` (the `ETag` stays the listed object's): the listed size tells.
    case wrongLength(byBytes: Int64)
    /// Flips the bits of the byte at this offset of the object (the `ETag` still names the
    /// right content): only a checksum can tell.
    case corruptByte(atOffset: Int64)
    /// Answers 503 `ServiceUnavailable` without a body stream.
    case unavailable

    public var description: String {
        switch self {
        case .reset(let bytes): "reset(afterBytes: \(bytes))"
        case .truncate(let bytes): "truncate(afterBytes: \(bytes))"
        case .slowBody(let chunk, let delay): "slowBody(chunkBytes: \(chunk), delaySeconds: \(delay))"
        case .expiredLink: "expiredLink"
        case .wrongLength(let bytes): "wrongLength(byBytes: \(bytes))"
        case .corruptByte(let offset): "corruptByte(atOffset: \(offset))"
        case .unavailable: "unavailable"
        }
    }
}
