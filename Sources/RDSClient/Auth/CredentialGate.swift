import Foundation
import Synchronization

/// Keeps refused credentials from being presented again: OTC locks an IAM user after 5 failed
/// logins within 15 minutes (IAM.0061), which also locks the people who use that account.
///
/// After IAM refuses the credentials themselves (a wrong password, an unknown or refused key — not
/// an expired token), every later attempt fails fast, without a request, until one of:
/// - the source says something else when read again (it is re-read at each attempt, so an
///   operator's corrected file is picked up by the next slot),
/// - `reset()` (the service's reload),
/// - the cool-down has passed: then exactly one attempt goes out, and a second refusal starts a
///   new cool-down.
/// Synchronous (a lock, not an actor), so a reload can reset it from any context.
public final class CredentialGate: Sendable {
    public static var defaultCooldown: Duration { RefusalCooldown.defaultValue }
    public static var minimumCooldown: Duration { RefusalCooldown.minimum }

    private struct Refusal {
        var at: Date
        var credentials: Credentials
        var reason: String
    }
    private struct State {
        var credentials: Credentials
        var refusal: Refusal?
    }

    let reread: CredentialReread?
    let cooldown: Duration
    let now: @Sendable () -> Date
    private let state: Mutex<State>

    /// The credentials presented now (replaced when a re-read finds new ones).
    public var credentials: Credentials { state.withLock { $0.credentials } }

    public init(
        credentials: Credentials, reread: CredentialReread?, cooldown: Duration = CredentialGate.defaultCooldown,
        now: @escaping @Sendable () -> Date
    ) {
        self.state = Mutex(State(credentials: credentials))
        self.reread = reread
        self.cooldown = max(cooldown, Self.minimumCooldown)
        self.now = now
    }

    /// The credentials to present for `operation`, or an `.auth` error saying when they were
    /// refused, without any request.
    public func admit(operation: String) throws(RDSError) -> Credentials {
        guard let refusal = state.withLock({ $0.refusal }) else { return credentials }
        // Read outside the lock (file IO); the source is read at every attempt while closed.
        if let fresh = rereadCredentials(), fresh != refusal.credentials {
            state.withLock {
                $0.credentials = fresh
                $0.refusal = nil
            }
            return fresh
        }
        let reopens = refusal.at.addingTimeInterval(cooldown.seconds)
        if now() < reopens {
            throw RDSError(
                operation: operation, errorClass: .auth, code: RDSError.credentialsRefusedCode,
                message: "credentials refused at \(Self.clock(refusal.at)) (\(refusal.reason)); not presented again until they change, the service is reloaded, or \(Self.clock(reopens))",
                credentialsRefusedAt: refusal.at)
        }
        // The cool-down is over: exactly one attempt (a concurrent caller finds the gate open too,
        // and shares the token request; a second refusal closes it again).
        return state.withLock { state in
            state.refusal = nil
            return state.credentials
        }
    }

    /// IAM refused `refused` (the credentials presented): close the gate for them.
    public func refused(_ refused: Credentials, reason: String) {
        let at = now()
        state.withLock { $0.refusal = Refusal(at: at, credentials: refused, reason: reason) }
    }

    /// When the credentials were last refused (nil: they are not known to be refused).
    public var refusedAt: Date? { state.withLock { $0.refusal?.at } }

    /// Forgets a refusal (a reload: the operator says "try again"), re-reading the source.
    public func reset() {
        let fresh = rereadCredentials()
        state.withLock { state in
            state.refusal = nil
            if let fresh { state.credentials = fresh }
        }
    }

    /// Reads the source again; returns its credentials when they differ from the current ones and
    /// adopts them (temporary keys an external rotator replaced). Nil: unchanged or unreadable.
    public func renewFromSource() -> Credentials? {
        guard let fresh = rereadCredentials() else { return nil }
        return state.withLock { state in
            guard fresh != state.credentials else { return nil }
            state.credentials = fresh
            state.refusal = nil
            return fresh
        }
    }

    /// Whether the source can be read again at all.
    public var canReread: Bool { reread != nil }

    private func rereadCredentials() -> Credentials? {
        guard let reread else { return nil }
        return try? reread.load().credentials
    }

    /// `HH:MM UTC`.
    static func clock(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        return String(format: "%02d:%02d UTC", parts.hour ?? 0, parts.minute ?? 0)
    }
}

extension Duration {
    /// Whole and fractional seconds.
    var seconds: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
