/// `alert:` of one entry, `defaults` applied key by key: where to ping and what to run.
public struct AlertSettings: Sendable, Hashable {
    /// Pinged when a slot starts its first attempt.
    public var start: PingURL?
    /// Pinged when a slot's backup completed.
    public var success: PingURL?
    /// Pinged when a slot failed (retries exhausted or a permanent error) or was missed.
    public var failure: PingURL?
    /// Run when a slot failed or was missed.
    public var command: AlertCommand?

    public init(start: PingURL? = nil, success: PingURL? = nil, failure: PingURL? = nil, command: AlertCommand? = nil) {
        self.start = start
        self.success = success
        self.failure = failure
        self.command = command
    }

    /// Whether nothing is configured.
    public var isEmpty: Bool { start == nil && success == nil && failure == nil && command == nil }
}
