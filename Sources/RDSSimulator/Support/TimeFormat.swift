import Foundation

/// The time strings of the wire: RDS `2018-08-06T12:41:14+0800`, keystone `2015-11-09T01:42:57.527363Z`,
/// and the signer's `X-Sdk-Date` `20191115T033655Z`.
enum TimeFormat {
    private static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    private static func pad(_ value: Int, _ width: Int) -> String {
        let s = String(value)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }

    /// `yyyy-MM-ddTHH:mm:ss±hhmm`, shown at a fixed UTC offset (seconds).
    static func rds(_ date: Date, utcOffset: Int) -> String {
        let c = utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date.addingTimeInterval(TimeInterval(utcOffset)))
        let sign = utcOffset < 0 ? "-" : "+"
        let minutes = abs(utcOffset) / 60
        return "\(pad(c.year!, 4))-\(pad(c.month!, 2))-\(pad(c.day!, 2))T\(pad(c.hour!, 2)):\(pad(c.minute!, 2)):\(pad(c.second!, 2))"
            + "\(sign)\(pad(minutes / 60, 2))\(pad(minutes % 60, 2))"
    }

    /// Keystone's `2015-11-09T01:42:57.527363Z`.
    static func keystone(_ date: Date) -> String {
        let c = utc.dateComponents([.year, .month, .day, .hour, .minute, .second, .nanosecond], from: date)
        return "\(pad(c.year!, 4))-\(pad(c.month!, 2))-\(pad(c.day!, 2))T\(pad(c.hour!, 2)):\(pad(c.minute!, 2)):\(pad(c.second!, 2))"
            + ".\(pad((c.nanosecond ?? 0) / 1000, 6))Z"
    }

    /// Parses the documented query format `yyyy-mm-ddThh:mm:ss±hhmm` (exactly; `+` must have
    /// arrived as `%2B`, a `+` decoded to a space fails as it would on the real service).
    static func parseRDS(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count == 24, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
            b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
            b[19] == UInt8(ascii: "+") || b[19] == UInt8(ascii: "-")
        else { return nil }
        guard let year = number(b, 0, 4), let month = number(b, 5, 2), let day = number(b, 8, 2),
            let hour = number(b, 11, 2), let minute = number(b, 14, 2), let second = number(b, 17, 2),
            let offH = number(b, 20, 2), let offM = number(b, 22, 2)
        else { return nil }
        let offset = (offH * 3600 + offM * 60) * (b[19] == UInt8(ascii: "-") ? -1 : 1)
        return utcDate(year, month, day, hour, minute, second)?.addingTimeInterval(TimeInterval(-offset))
    }

    /// Parses `X-Sdk-Date` (`YYYYMMDDTHHMMSSZ`).
    static func parseSDKDate(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count == 16, b[8] == UInt8(ascii: "T"), b[15] == UInt8(ascii: "Z") else { return nil }
        guard let year = number(b, 0, 4), let month = number(b, 4, 2), let day = number(b, 6, 2),
            let hour = number(b, 9, 2), let minute = number(b, 11, 2), let second = number(b, 13, 2)
        else { return nil }
        return utcDate(year, month, day, hour, minute, second)
    }

    private static func utcDate(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int) -> Date? {
        guard (1...12).contains(mo), (1...31).contains(d), (0...23).contains(h), (0...59).contains(mi), (0...60).contains(s)
        else { return nil }
        let components = DateComponents(year: y, month: mo, day: d, hour: h, minute: mi, second: s)
        guard let date = utc.date(from: components),
            utc.component(.day, from: date) == d  // refuses 2024-02-31 instead of rolling it over
        else { return nil }
        return date
    }

    private static func number(_ bytes: [UInt8], _ start: Int, _ count: Int) -> Int? {
        var value = 0
        for byte in bytes[start..<start + count] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}
