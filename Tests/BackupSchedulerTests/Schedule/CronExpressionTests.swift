import Foundation
import Testing

@testable import BackupScheduler

struct CronExpressionTests {
    @Test func numbersRangesStepsListsAndNamesMatch() {
        #expect(T.slots("5,35 8-9 * * mon-fri", "UTC", after: "2025-06-06T08:10:00Z", count: 4)
            == ["2025-06-06T08:35:00Z", "2025-06-06T09:05:00Z", "2025-06-06T09:35:00Z", "2025-06-09T08:05:00Z"])
        #expect(T.slots("0 0 1 jan,jul *", "UTC", after: "2025-02-01T00:00:00Z", count: 2)
            == ["2025-07-01T00:00:00Z", "2026-01-01T00:00:00Z"])
        #expect(T.slots("10-20/5 * * * *", "UTC", after: "2025-06-01T00:00:00Z", count: 4)
            == ["2025-06-01T00:10:00Z", "2025-06-01T00:15:00Z", "2025-06-01T00:20:00Z", "2025-06-01T01:10:00Z"])
        #expect(T.slots("0 22 * * SUN", "UTC", after: "2025-06-01T00:00:00Z", count: 1) == ["2025-06-01T22:00:00Z"])
    }

    @Test func sevenIsSundayLikeZero() {
        #expect(T.cron("0 0 * * 7").hasSameSchedule(as: T.cron("@weekly")))
    }

    @Test(arguments: [
        ("@hourly", "0 * * * *"), ("@daily", "0 0 * * *"), ("@weekly", "0 0 * * 0"),
        ("@monthly", "0 0 1 * *"), ("@yearly", "0 0 1 1 *"), ("@annually", "0 0 1 1 *"), ("@DAILY", "0 0 * * *"),
    ])
    func macrosExpandToTheirClassicFields(_ macro: String, _ fields: String) {
        #expect(T.cron(macro).hasSameSchedule(as: T.cron(fields)))
    }

    @Test func february29thIsFoundInTheNextLeapYear() {
        #expect(T.slots("0 0 29 2 *", "UTC", after: "2025-01-01T00:00:00Z", count: 2)
            == ["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"])
    }

    @Test func day31SkipsShortMonths() {
        #expect(T.slots("0 0 31 * *", "UTC", after: "2025-04-01T00:00:00Z", count: 3)
            == ["2025-05-31T00:00:00Z", "2025-07-31T00:00:00Z", "2025-08-31T00:00:00Z"])
    }

    @Test func restrictedDayOfMonthAndDayOfWeekMatchEither() {
        // 29 February OR any Monday of February (classic cron: the month still applies).
        #expect(T.slots("0 0 29 2 1", "UTC", after: "2028-02-27T00:00:00Z", count: 3)
            == ["2028-02-28T00:00:00Z", "2028-02-29T00:00:00Z", "2029-02-05T00:00:00Z"])
        #expect(T.slots("0 0 13 * fri", "UTC", after: "2025-06-01T00:00:00Z", count: 3)
            == ["2025-06-06T00:00:00Z", "2025-06-13T00:00:00Z", "2025-06-20T00:00:00Z"])
    }

    @Test func aStarDayOfMonthLeavesOnlyTheDayOfWeek() {
        #expect(T.slots("0 0 */2 * 1", "UTC", after: "2025-06-01T00:00:00Z", count: 2)
            == ["2025-06-09T00:00:00Z", "2025-06-23T00:00:00Z"])  // odd days that are Mondays
    }

    @Test func yearEndsRollOver() {
        #expect(T.slots("59 23 31 12 *", "UTC", after: "2025-12-31T23:59:00Z", count: 1) == ["2026-12-31T23:59:00Z"])
        #expect(T.slots("@yearly", "UTC", after: "2025-12-31T23:59:30Z", count: 1) == ["2026-01-01T00:00:00Z"])
        #expect(T.slots("@yearly", "Pacific/Kiritimati", after: "2025-12-31T09:59:00Z", count: 1) == ["2025-12-31T10:00:00Z"])
    }

    @Test func nextIsStrictlyAfterEvenOnAMatchingInstant() {
        #expect(T.slots("0 2 * * *", "UTC", after: "2025-06-01T02:00:00Z", count: 1) == ["2025-06-02T02:00:00Z"])
        #expect(T.slots("0 2 * * *", "UTC", after: "2025-06-01T01:59:59.5Z", count: 1) == ["2025-06-01T02:00:00Z"])
    }

    @Test(arguments: [
        ("0 0 2 * * *", "has 6 fields; a seconds (or year) field is not supported"),
        ("0 0 0 2 * * 2025", "has 7 fields (Quartz style"),
        ("0 2 * *", "has 4 fields; write 5 fields"),
        ("", "is empty"),
        ("60 * * * *", "minute 60 is out of range; minute is 0-59"),
        ("0 24 * * *", "hour 24 is out of range; hour is 0-23"),
        ("0 0 0 * *", "day-of-month 0 is out of range; day-of-month is 1-31"),
        ("0 0 * 13 *", "month 13 is out of range; month is 1-12 or jan-dec"),
        ("0 0 * * 8", "day-of-week 8 is out of range; day-of-week is 0-7"),
        ("0 0 * foo *", "month 'foo' is not a number or name"),
        ("0 0 ? * mon", "Quartz syntax"),
        ("0 0 L * *", "Quartz syntax"),
        ("*/0 * * * *", "step '0' is not a positive number"),
        ("0 0 * * fri-mon", "range 'fri-mon' runs backwards"),
        ("0 0 1,,2 * *", "empty list item"),
        ("@reboot", "'@reboot' is not a time"),
        ("@fortnightly", "unknown macro '@fortnightly'"),
        ("0 0 31 2 *", "never matches: day-of-month '31' does not occur in month '2'"),
        ("0 0 30 feb,apr *", nil as String?),
    ])
    func malformedExpressionsExplainThemselves(_ text: String, _ fragment: String?) {
        do {
            _ = try CronExpression(text)
            #expect(fragment == nil, "'\(text)' was accepted")
        } catch {
            #expect(fragment != nil, "'\(text)': \(error)")
            if let fragment { #expect(error.message.contains(fragment), "'\(text)': \(error.message)") }
        }
    }

    /// Debian's cron reads `a-b/n` with n wider than the range as the range's first value; so do we,
    /// with a note that `check-config` prints as a warning.
    @Test(arguments: [
        ("50-53/4 * * * *", "2025-06-01T10:00:00Z", ["2025-06-01T10:50:00Z", "2025-06-01T11:50:00Z"], "minute '50-53/4' selects only 50"),
        ("0 9-10/5 * * *", "2025-06-01T00:00:00Z", ["2025-06-01T09:00:00Z", "2025-06-02T09:00:00Z"], "hour '9-10/5' selects only 9"),
        ("*/90 * * * *", "2025-06-01T10:00:00Z", ["2025-06-01T11:00:00Z", "2025-06-01T12:00:00Z"], "minute '*/90' selects only 0: the step /90 is wider than the range 0-59, so cron takes the range's first value; write 0 if that is meant; one field cannot repeat less often than its range"),
    ])
    func aStepWiderThanItsRangeSelectsTheRangesFirstValue(_ text: String, _ after: String, _ expected: [String], _ note: String) throws {
        let cron = try CronExpression(text)
        #expect(T.slots(text, "UTC", after: after, count: 2) == expected)
        #expect(cron.notes.count == 1)
        #expect(cron.notes.first?.contains(note) == true, "\(cron.notes)")
        #expect(try CronExpression("50-53/4 9-10/5 * * *").hasSameSchedule(as: CronExpression("50 9 * * *")))
        #expect(try CronExpression("50-53/2 * * * *").notes.isEmpty, "a step that fits its range is no surprise")
    }

    @Test func nextJumpsFieldsInsteadOfWalkingMinutes() {
        // A yearly slot 8 years ahead is found without visiting minutes (a walker would need 4M steps).
        let cron = T.cron("0 0 29 2 *")
        let start = CivilTime(year: 2029, month: 3, day: 1)
        #expect(cron.nextCivil(atOrAfter: start) == CivilTime(year: 2032, month: 2, day: 29))
    }
}

/// Properties over random expressions, zones and start times.
struct CronPropertyTests {
    static let zones = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "America/Sao_Paulo"]

    static func randomField(_ range: ClosedRange<Int>, _ rng: inout SeededRandom) -> String {
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: return "*"
        case 1: return "*/\(Int.random(in: 1...max(1, (range.upperBound - range.lowerBound) / 2), using: &rng))"
        case 2: return "\(Int.random(in: range, using: &rng))"
        case 3:
            let a = Int.random(in: range, using: &rng)
            let b = Int.random(in: a...range.upperBound, using: &rng)
            return "\(a)-\(b)"
        case 4:
            let a = Int.random(in: range, using: &rng)
            let b = Int.random(in: range, using: &rng)
            return "\(a),\(b)"
        default:
            let a = Int.random(in: range, using: &rng)
            return "\(a)-\(range.upperBound)/\(Int.random(in: 1...3, using: &rng))"
        }
    }

    static func randomExpression(_ rng: inout SeededRandom) -> CronExpression {
        while true {
            let text = [
                randomField(0...59, &rng), randomField(0...23, &rng), randomField(1...28, &rng),
                randomField(1...12, &rng), randomField(0...6, &rng),
            ].joined(separator: " ")
            if let cron = try? CronExpression(text) { return cron }
        }
    }

    @Test func nextStrictlyIncreasesAndAlwaysMatches() throws {
        var rng = SeededRandom(seed: 42)
        for _ in 0..<300 {
            let cron = Self.randomExpression(&rng)
            let zone = T.zone(Self.zones.randomElement(using: &rng)!)
            var cursor = Date(timeIntervalSince1970: Double(Int.random(in: 1_577_836_800...1_893_456_000, using: &rng)))
            for _ in 0..<40 {
                let slot = try #require(cron.nextSlot(after: cursor, in: zone), "\(cron) in \(zone.identifier)")
                #expect(slot.instant > cursor, "\(cron) in \(zone.identifier) after \(cursor)")
                #expect(cron.matches(slot.scheduled), "\(cron): \(slot.scheduled) does not match")
                switch zone.resolve(slot.scheduled) {
                case .unique(let instant):
                    #expect(instant == slot.instant)
                    #expect(zone.civilTime(at: slot.instant) == slot.scheduled)
                case .repeated(let first, _):
                    #expect(first == slot.instant)
                case .skipped(let transition):
                    #expect(transition == slot.instant)
                }
                cursor = slot.instant
            }
        }
    }

    @Test func nextMissesNoMatchingMinuteInUTC() {
        // Brute force over two days, minute by minute, against the jumping search.
        var rng = SeededRandom(seed: 7)
        let utc = T.zone("UTC")
        for _ in 0..<40 {
            let cron = Self.randomExpression(&rng)
            let start = Int.random(in: 1_700_000_000...1_800_000_000, using: &rng) / 60 * 60
            var expected: [Date] = []
            for minute in 1...(2 * 1440) {
                let date = Date(timeIntervalSince1970: Double(start + minute * 60))
                if cron.matches(utc.civilTime(at: date)) { expected.append(date) }
            }
            var found: [Date] = []
            var cursor = Date(timeIntervalSince1970: Double(start))
            while let next = cron.next(after: cursor, in: utc), next <= Date(timeIntervalSince1970: Double(start + 2 * 86_400)) {
                found.append(next)
                cursor = next
            }
            #expect(found == expected, "\(cron)")
        }
    }
}
