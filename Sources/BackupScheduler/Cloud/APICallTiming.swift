/// API latency for the observer: measured on the real clock around the call itself, after the
/// gate let it through, so waiting for a permit or a token is not counted.
func timed<T>(_ operation: String, observer: any ServiceObserver, _ call: () async throws -> T) async throws -> T {
    let started = ContinuousClock.now
    defer { observer.apiCall(operation: operation, duration: ContinuousClock.now - started) }
    return try await call()
}

extension SlotRunner {
    func timed<T>(_ operation: String, _ call: () async throws -> T) async throws -> T {
        try await BackupScheduler.timed(operation, observer: observer, call)
    }
}
