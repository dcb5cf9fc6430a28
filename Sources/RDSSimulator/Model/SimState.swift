import Foundation

/// A token the simulator issued. The value itself is the dictionary key; it never reaches a record.
struct TokenRecord: Sendable {
    var userName: String
    /// nil for a domain-scoped or unscoped token, which RDS refuses.
    var projectID: String?
    var issuedAt: Date
    var expiresAt: Date
    /// Set by the `expireAllTokens` fault: the gateway answers APIG.0307.
    var revoked = false
}

/// Everything the simulator remembers.
struct SimState: Sendable {
    var configuration: SimulatorConfiguration
    var instances: [SimulatedInstance]
    var backups: [BackupRecord] = []
    var tokens: [String: TokenRecord] = [:]
    var faults: [SimulatedRoute: [(fault: SimulatedFault, remaining: Int)]] = [:]
    /// Faults drawn at random per request (`RDSSimulator.injectRandomFaults`).
    var randomFaults: RandomFaults?
    var requests: [RecordedRequest] = []
    var tokensIssued = 0
    /// Refused password logins per user name (for IAM's lockout).
    var failedLogins: [String: [Date]] = [:]
    /// Agency key pairs issued by the metadata service, by period number.
    var agencyPairs: [Int: SimulatorConfiguration.AccessKey] = [:]
    var backupsCreated = 0
    /// The rate limit's bucket: tokens left when last refilled, and when that was.
    var rateTokens: Double?
    var rateRefilledAt: Date?

    mutating func setAuth(_ kind: RecordedRequest.AuthKind, at index: Int) {
        requests[index].auth = kind
    }

    /// Takes one use of the first fault queued on this route, else on `any`.
    mutating func popFault(for route: SimulatedRoute?) -> SimulatedFault? {
        if let fault = randomFaults?.draw(route: route) { return fault }
        for key in [route, .any].compactMap({ $0 }) {
            guard var queue = faults[key], !queue.isEmpty else { continue }
            let fault = queue[0].fault
            queue[0].remaining -= 1
            if queue[0].remaining <= 0 { queue.removeFirst() }
            faults[key] = queue
            return fault
        }
        return nil
    }

    /// Takes a token of the rate limit's bucket; returns the `Retry-After` seconds when it is empty.
    mutating func throttle(route: SimulatedRoute?, now: Date) -> Int? {
        guard let limit = configuration.rateLimit, route != .token, route != nil, limit.requestsPerSecond > 0 else {
            return nil
        }
        let capacity = Double(max(1, limit.burst))
        let elapsed = max(0, now.timeIntervalSince(rateRefilledAt ?? now))
        var tokens = min(capacity, (rateTokens ?? capacity) + elapsed * limit.requestsPerSecond)
        rateRefilledAt = now
        defer { rateTokens = tokens }
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        return max(1, Int(((1 - tokens) / limit.requestsPerSecond).rounded(.up)))
    }

    func instance(_ id: String) -> SimulatedInstance? { instances.first { $0.id == id } }

    /// The instance has a backup in BUILDING now.
    func isBackingUp(_ instanceID: String, at now: Date) -> Bool {
        backups.contains { $0.instanceID == instanceID && $0.status(at: now) == .building }
    }
}
