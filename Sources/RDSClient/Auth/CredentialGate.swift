import Foundation

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
public actor CredentialGate {
    /// 30 minutes: with slots every minute, IAM sees one attempt per half hour at most.
    public static let defaultCooldown: Duration = .seconds(30 * 60)
    /// OTC's lockout window; a shorter cool-down is refused when the profile is loaded.
    public static let minimumCooldown: Duration = .seconds(15 * 60)

    /// The credentials presented now (replaced when a re-read finds new ones).
    public private(set) var credentials: Credentials
    let reread: CredentialReread?
    let cooldown: Duration
    let now: @Sendable () -> Date
    private var refusal: (at: Date, credentials: Credentials, reason: String)?

    public init(
        credentials: Credentials, reread: CredentialReread?, cooldown: Duration = CredentialGate.defaultCooldown,
        now: @escaping @Sendable () -> Date
    ) {
        self.credentials = credentials
        self.reread = reread
        self.cooldown = max(cooldown, Self.minimumCooldown)
        self.now = now
    }

    /// The credentials to present for `operation`, or an `.auth` error saying when they were
    /// refused, without any request.
    public func admit(operation: String) throws(RDSError) -> Credentials {
        guard let refusal else { return credentials }
        if let fresh = rereadCredentials(), fresh != refusal.credentials {
            credentials = fresh
            self.refusal = nil
            return fresh
        }
        let reopens = refusal.at.addingTimeInterval(cooldown.seconds)
        if now() < reopens {
            throw RDSError(
                operation: operation, errorClass: .auth,
                message: "credentials refused at \(Self.clock(refusal.at)) (\(refusal.reason)); not presented again until they change, the service is reloaded, or \(Self.clock(reopens))",
                credentialsRefusedAt: refusal.at)
        }
        self.refusal = nil
        return credentials
    }

    /// IAM refused `refused` (the credentials presented): close the gate for them.
    public func refused(_ refused: Credentials, reason: String) {
        refusal = (now(), refused, reason)
    }

    /// When the credentials were last refused (nil: they are not known to be refused).
    public var refusedAt: Date? { refusal?.at }

    /// Forgets a refusal (a reload: the operator says "try again"), re-reading the source.
    public func reset() {
        refusal = nil
        if let fresh = rereadCredentials() { credentials = fresh }
    }

    /// Reads the source again; returns its credentials when they differ from the current ones and
    /// adopts them (temporary keys an external rotator replaced). Nil: unchanged or unreadable.
    public func renewFromSource() -> Credentials? {
        guard let fresh = rereadCredentials(), fresh != credentials else { return nil }
        credentials = fresh
        refusal = nil
        return fresh
    }

    /// Whether the source can be read again at all.
    public nonisolated var canReread: Bool { reread != nil }

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

    /// `900`, `900s`, `15m`, `1h` → a duration; nil when not readable.
    public static func parseCooldown(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let unit = trimmed.last else { return nil }
        let factor: Int64
        var digits = Substring(trimmed)
        switch unit {
        case "s": factor = 1; digits = digits.dropLast()
        case "m": factor = 60; digits = digits.dropLast()
        case "h": factor = 3600; digits = digits.dropLast()
        default: factor = 1
        }
        guard let value = Int64(digits), value >= 0, value < 1_000_000 else { return nil }
        return .seconds(value * factor)
    }
}

extension Duration {
    /// Whole and fractional seconds.
    var seconds: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
