import Foundation

/// A 5-field cron expression (minute hour day-of-month month day-of-week) evaluated in a time zone.
///
/// Supports numbers, names (`jan`, `mon`), `*`, ranges, steps, lists and the macros `@hourly`
/// `@daily` `@weekly` `@monthly` `@yearly`. When day-of-month and day-of-week are both restricted
/// (neither starts with `*`) a day matches if either does, as in classic cron.
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    /// The text as written.
    public let source: String
    let minutes: CronField
    let hours: CronField
    let daysOfMonth: CronField
    let months: CronField
    let daysOfWeek: CronField
    let dayOfMonthIsStar: Bool
    let dayOfWeekIsStar: Bool
    /// What the expression does that its author may not expect, one sentence each (today: a step
    /// wider than its range, which selects the range's first value only). `check-config` prints
    /// them as warnings; the expression is valid.
    public let notes: [String]

    public var description: String { source }

    /// Parses `text`; throws a `CronError` that says what is wrong and what is allowed.
    public init(_ text: String) throws(CronError) {
        source = text
        var trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("@") {
            let macros = [
                "@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
                "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *",
                "@annually": "0 0 1 1 *",
            ]
            let key = trimmed.lowercased()
            if key == "@reboot" {
                throw CronError("'@reboot' is not a time; rds-backupd schedules backups by time, use one of @hourly @daily @weekly @monthly @yearly or 5 fields")
            }
            guard let expansion = macros[key] else {
                throw CronError("unknown macro '\(trimmed)'; allowed macros are @hourly @daily @weekly @monthly @yearly, or 5 fields: minute hour day-of-month month day-of-week")
            }
            trimmed = expansion
        }
        let fields = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        switch fields.count {
        case 5:
            break
        case 6:
            throw CronError("has 6 fields; a seconds (or year) field is not supported: write 5 fields, minute hour day-of-month month day-of-week, e.g. '0 2 * * *'")
        case 7:
            throw CronError("has 7 fields (Quartz style with seconds and year); write 5 fields, minute hour day-of-month month day-of-week, e.g. '0 2 * * *'")
        case 0:
            throw CronError("is empty; write 5 fields, minute hour day-of-month month day-of-week, e.g. '0 2 * * *', or a macro like @daily")
        default:
            throw CronError("has \(fields.count) fields; write 5 fields, minute hour day-of-month month day-of-week, e.g. '0 2 * * *'")
        }
        minutes = try CronField(fields[0], kind: .minute)
        hours = try CronField(fields[1], kind: .hour)
        daysOfMonth = try CronField(fields[2], kind: .dayOfMonth)
        months = try CronField(fields[3], kind: .month)
        daysOfWeek = try CronField(fields[4], kind: .dayOfWeek)
        dayOfMonthIsStar = fields[2].hasPrefix("*")
        dayOfWeekIsStar = fields[4].hasPrefix("*")
        notes = [minutes, hours, daysOfMonth, months, daysOfWeek].flatMap(\.notes)
        // With a star day-of-week only day-of-month decides: refuse a day no allowed month has.
        if dayOfWeekIsStar && !canEverMatchDayOfMonth() {
            throw CronError("never matches: day-of-month '\(fields[2])' does not occur in month '\(fields[3])'; pick days that exist in those months (29 February exists in leap years)")
        }
    }

    /// Whether a civil time (to the minute) matches the expression.
    public func matches(_ civil: CivilTime) -> Bool {
        minutes.contains(civil.minute) && hours.contains(civil.hour) && months.contains(civil.month)
            && dayMatches(year: civil.year, month: civil.month, day: civil.day)
    }

    /// The next slot strictly after `after`, evaluated in `zone` under the DST policy.
    ///
    /// Local times are matched, then mapped to instants: a slot in a skipped hour (spring forward)
    /// runs at the first valid instant after it, so several skipped slots collapse into that one
    /// instant; a slot in a repeated hour (fall back) runs once, at its first occurrence, and the
    /// second occurrence of that local time is skipped. Returns nil only if nothing matches within
    /// a hundred years.
    public func next(after: Date, in zone: TimeZone) -> Date? {
        nextSlot(after: after, in: zone)?.instant
    }

    /// Like `next(after:in:)`, also telling the local time the slot was scheduled for.
    public func nextSlot(after: Date, in zone: TimeZone) -> CronSlot? {
        var from = CivilTime(secondsSinceEpoch: (zone.civilTime(at: after).secondsSinceEpoch / 60 + 1) * 60)
        // A local time whose first occurrence is not after `after` (we are inside a repeated hour)
        // is passed over; a repeated hour holds at most a few hundred such minutes.
        for _ in 0..<2_000 {
            guard let civil = nextCivil(atOrAfter: from) else { return nil }
            let instant = zone.instant(for: civil)
            if instant > after {
                return CronSlot(instant: instant, scheduled: civil)
            }
            from = CivilTime(secondsSinceEpoch: civil.secondsSinceEpoch + 60)
        }
        return nil
    }

    /// The first civil minute at or after `start` that matches, jumping field by field.
    func nextCivil(atOrAfter start: CivilTime) -> CivilTime? {
        var year = start.year, month = start.month, day = start.day
        var hour = start.hour, minute = start.minute
        let lastYear = start.year + 100
        while year <= lastYear {
            guard months.contains(month) else {
                if let nextMonth = months.next(atOrAfter: month + 1) {
                    month = nextMonth
                } else {
                    year += 1
                    month = months.first
                }
                day = 1; hour = 0; minute = 0
                continue
            }
            if day > CivilTime.daysInMonth(year, month) {
                month += 1
                if month > 12 { month = 1; year += 1 }
                day = 1; hour = 0; minute = 0
                continue
            }
            guard dayMatches(year: year, month: month, day: day) else {
                day += 1; hour = 0; minute = 0
                continue
            }
            guard let nextHour = hours.next(atOrAfter: hour) else {
                day += 1; hour = 0; minute = 0
                continue
            }
            if nextHour != hour { hour = nextHour; minute = 0 }
            guard let nextMinute = minutes.next(atOrAfter: minute) else {
                hour += 1; minute = 0
                if hour > 23 { day += 1; hour = 0 }
                continue
            }
            return CivilTime(year: year, month: month, day: day, hour: hour, minute: nextMinute)
        }
        return nil
    }

    func dayMatches(year: Int, month: Int, day: Int) -> Bool {
        let domMatch = daysOfMonth.contains(day)
        let dowMatch = daysOfWeek.contains(CivilTime.weekday(year, month, day))
        if dayOfMonthIsStar || dayOfWeekIsStar {
            return domMatch && dowMatch
        }
        return domMatch || dowMatch
    }

    private func canEverMatchDayOfMonth() -> Bool {
        (1...12).contains { month in
            months.contains(month) && (1...CivilTime.daysInMonth(2000, month)).contains { daysOfMonth.contains($0) }
        }
    }

    /// Same schedule, whatever the spelling (`0 0 * * 7` equals `@weekly`).
    public func hasSameSchedule(as other: CronExpression) -> Bool {
        minutes.bits == other.minutes.bits && hours.bits == other.hours.bits && daysOfMonth.bits == other.daysOfMonth.bits
            && months.bits == other.months.bits && daysOfWeek.bits == other.daysOfWeek.bits
            && (dayOfMonthIsStar || dayOfWeekIsStar) == (other.dayOfMonthIsStar || other.dayOfWeekIsStar)
    }
}

/// One slot of a cron expression: the instant it runs and the local time it was scheduled for.
public struct CronSlot: Sendable, Hashable {
    /// When the slot runs (its identity).
    public let instant: Date
    /// The local time the expression matched; differs from the instant's local time only when the
    /// slot fell into a skipped hour and was moved to the first valid instant after it.
    public let scheduled: CivilTime
}

/// Why a cron expression was refused, with what is allowed.
public struct CronError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The allowed values of one cron field, as a bit set.
struct CronField: Sendable, Hashable {
    enum Kind: Sendable {
        case minute, hour, dayOfMonth, month, dayOfWeek

        var name: String {
            switch self {
            case .minute: "minute"
            case .hour: "hour"
            case .dayOfMonth: "day-of-month"
            case .month: "month"
            case .dayOfWeek: "day-of-week"
            }
        }

        var range: ClosedRange<Int> {
            switch self {
            case .minute: 0...59
            case .hour: 0...23
            case .dayOfMonth: 1...31
            case .month: 1...12
            case .dayOfWeek: 0...7
            }
        }

        var names: [String] {
            switch self {
            case .month: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
            case .dayOfWeek: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
            default: []
            }
        }

        var allowed: String {
            switch self {
            case .minute: "minute is 0-59"
            case .hour: "hour is 0-23"
            case .dayOfMonth: "day-of-month is 1-31"
            case .month: "month is 1-12 or jan-dec"
            case .dayOfWeek: "day-of-week is 0-7 (0 and 7 are Sunday) or sun-sat"
            }
        }
    }

    private(set) var bits: UInt64 = 0
    /// See `CronExpression.notes`.
    private(set) var notes: [String] = []

    init(_ text: String, kind: Kind) throws(CronError) {
        let syntax = "use *, a number, a range a-b, a step */n or a-b/n, or a list a,b"
        if text.contains(where: { "?LW#".contains($0) }) {
            throw CronError("\(kind.name) '\(text)' uses Quartz syntax (? L W #), which classic cron does not have; \(syntax)")
        }
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty else {
                throw CronError("\(kind.name) '\(text)' has an empty list item; \(syntax)")
            }
            let parts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2 else {
                throw CronError("\(kind.name) '\(item)' has more than one '/'; \(syntax)")
            }
            var step = 1
            if parts.count == 2 {
                guard let value = Int(parts[1]), value >= 1 else {
                    throw CronError("\(kind.name) step '\(parts[1])' is not a positive number; \(syntax)")
                }
                step = value
            }
            let base = String(parts[0])
            var low: Int
            var high: Int
            if base == "*" {
                low = kind.range.lowerBound
                high = kind == .dayOfWeek ? 6 : kind.range.upperBound
            } else if let dash = base.firstIndex(of: "-") {
                low = try Self.value(String(base[..<dash]), kind: kind)
                high = try Self.value(String(base[base.index(after: dash)...]), kind: kind)
                if low > high {
                    throw CronError("\(kind.name) range '\(base)' runs backwards; write the low end first, or split it into two ranges (e.g. 'fri-sat,sun-mon')")
                }
            } else {
                low = try Self.value(base, kind: kind)
                high = parts.count == 2 ? (kind == .dayOfWeek ? 6 : kind.range.upperBound) : low
            }
            if step > high - low && parts.count == 2 && high > low {
                // cron (cronie, and Debian's) takes a step wider than its range as the range's first
                // value: accepted, with a note. `*/90` often means "every 90 minutes", which one
                // field cannot express, so the note says so.
                let hint = base.contains("-") ? "" : "; one field cannot repeat less often than its range: list the values instead"
                notes.append("\(kind.name) '\(item)' selects only \(low): the step /\(step) is wider than the range \(low)-\(high), so cron takes the range's first value; write \(low) if that is meant\(hint)")
            }
            var value = low
            while value <= high {
                bits |= 1 << UInt64(kind == .dayOfWeek && value == 7 ? 0 : value)
                value += step
            }
        }
    }

    private static func value(_ text: String, kind: Kind) throws(CronError) -> Int {
        if let number = Int(text) {
            guard kind.range.contains(number) else {
                throw CronError("\(kind.name) \(number) is out of range; \(kind.allowed)")
            }
            return number
        }
        if let index = kind.names.firstIndex(of: text.lowercased()) {
            return kind == .month ? index + 1 : index
        }
        if text.isEmpty {
            throw CronError("\(kind.name) has an empty value; \(kind.allowed)")
        }
        throw CronError("\(kind.name) '\(text)' is not a number or name; \(kind.allowed)")
    }

    func contains(_ value: Int) -> Bool { value >= 0 && value < 64 && bits & (1 << UInt64(value)) != 0 }

    /// The smallest allowed value at or above `value`, if any.
    func next(atOrAfter value: Int) -> Int? {
        guard value < 64 else { return nil }
        let masked = bits & ~((1 << UInt64(max(value, 0))) &- 1)
        return masked == 0 ? nil : masked.trailingZeroBitCount
    }

    var first: Int { bits.trailingZeroBitCount }
    var count: Int { bits.nonzeroBitCount }
}
