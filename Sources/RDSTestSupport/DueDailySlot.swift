import Foundation

/// For tests that run the built binary on the wall clock: the slot of the whole minute before
/// `now` and the daily cron (UTC) that has it, so a schedule with that cron finds exactly that
/// slot due at once and no other for a day.
public struct DueDailySlot: Sendable {
    public var slot: Date
    /// `MINUTE HOUR * * *`, in UTC.
    public var cron: String

    public init(now: Date = Date()) {
        slot = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 60).rounded(.down) * 60 - 60)
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let parts = utc.dateComponents([.hour, .minute], from: slot)
        cron = "\(parts.minute ?? 0) \(parts.hour ?? 0) * * *"
    }
}
