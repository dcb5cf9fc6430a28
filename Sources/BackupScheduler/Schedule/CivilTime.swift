import Foundation
import RDSClient

/// A wall-clock date and time with no zone attached (proleptic Gregorian calendar).
///
/// Cron matching runs on civil times; `TimeZone.instant(for:)` maps one back to a `Date` under the
/// DST policy. The arithmetic is done here rather than through `Calendar` so that a skipped or
/// repeated local time is handled by one explicit rule instead of a platform's choice.
public struct CivilTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int

    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// Builds the civil time `seconds` after 1970-01-01T00:00:00 (civil, so no zone).
    public init(secondsSinceEpoch seconds: Int) {
        let days = Self.floorDiv(seconds, 86_400)
        let rest = seconds - days * 86_400
        let (y, m, d) = Self.civilFromDays(days)
        self.init(year: y, month: m, day: d, hour: rest / 3600, minute: (rest % 3600) / 60, second: rest % 60)
    }

    /// Seconds since 1970-01-01T00:00:00 of this civil time, read as if it were UTC.
    public var secondsSinceEpoch: Int {
        Self.daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
    }

    /// Day of the week, 0 = Sunday ... 6 = Saturday.
    public var weekday: Int { Self.weekday(year, month, day) }

    /// Day of the year, 1 ... 366.
    public var dayOfYear: Int { Self.daysFromCivil(year, month, day) - Self.daysFromCivil(year, 1, 1) + 1 }

    public static func < (lhs: CivilTime, rhs: CivilTime) -> Bool {
        lhs.secondsSinceEpoch < rhs.secondsSinceEpoch
    }

    public var description: String {
        String(format: "%04d-%02d-%02dT%02d:%02d:%02d", year, month, day, hour, minute, second)
    }

    // MARK: - Calendar arithmetic (Howard Hinnant's algorithms)

    static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    static func daysInMonth(_ year: Int, _ month: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func floorDiv(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        CivilDays.days(year: year, month: month, day: day)
    }

    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let date = CivilDays.date(days: days)
        return (date.year, date.month, date.day)
    }

    static func weekday(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let days = daysFromCivil(year, month, day)
        return ((days % 7) + 7 + 4) % 7  // 1970-01-01 was a Thursday
    }
}

/// How a civil time exists in a zone.
public enum CivilResolution: Sendable, Equatable {
    /// The civil time happens exactly once.
    case unique(Date)
    /// The civil time happens twice (fall back); `first` is the earlier instant.
    case repeated(first: Date, second: Date)
    /// The civil time never happens (spring forward); `transition` is the first valid instant after it.
    case skipped(transition: Date)
}

extension TimeZone {
    /// The civil time shown by a clock in this zone at `date` (whole seconds, rounded down).
    public func civilTime(at date: Date) -> CivilTime {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let offset = secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds)))
        return CivilTime(secondsSinceEpoch: seconds + offset)
    }

    /// Whether `civil` happens once, twice or never in this zone.
    public func resolve(_ civil: CivilTime) -> CivilResolution {
        let c = civil.secondsSinceEpoch
        // Transitions near a civil time lie within a day of it, so the offsets a day before and a
        // day after are the only candidates (no real zone changes offset twice in two days).
        let before = offset(at: c - 86_400)
        let after = offset(at: c + 86_400)
        let valid = Set([before, after]).filter { offset(at: c - $0) == $0 }.map { c - $0 }.sorted()
        switch valid.count {
        case 1:
            return .unique(Date(timeIntervalSince1970: Double(valid[0])))
        case 2:
            return .repeated(
                first: Date(timeIntervalSince1970: Double(valid[0])),
                second: Date(timeIntervalSince1970: Double(valid[1])))
        default:
            guard before != after else {
                return .unique(Date(timeIntervalSince1970: Double(c - before)))
            }
            // In a gap: find the transition between the two candidate instants by bisection.
            var low = c - max(before, after)
            var high = c - min(before, after)
            let lowOffset = offset(at: low)
            while high - low > 1 {
                let mid = low + (high - low) / 2
                if offset(at: mid) == lowOffset { low = mid } else { high = mid }
            }
            return .skipped(transition: Date(timeIntervalSince1970: Double(high)))
        }
    }

    /// The instant a slot scheduled at `civil` runs, under the DST policy: a unique time as is, a
    /// repeated time at its first occurrence, a skipped time at the first valid instant after it.
    public func instant(for civil: CivilTime) -> Date {
        switch resolve(civil) {
        case .unique(let date): return date
        case .repeated(let first, _): return first
        case .skipped(let transition): return transition
        }
    }

    private func offset(at seconds: Int) -> Int {
        secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds)))
    }
}
