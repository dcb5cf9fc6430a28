import Foundation
import Testing

@testable import BackupScheduler

/// The pure keep/delete decision: each rule, GFS buckets in the entry's zone across month, ISO-week
/// and year ends, the newest completed backup, and failed backups after `keep_failed_for`.
@Suite struct RetentionPlannerTests {
    static let berlin = TimeZone(identifier: "Europe/Berlin")!
    static let utc = TimeZone(identifier: "UTC")!

    static func at(_ text: String) -> Date { RFC3339.parse(text)! }

    /// Items named by their time, so expectations read as times.
    static func items(_ times: [String]) -> [RetentionItem] { times.map { RetentionItem(id: $0, time: at($0)) } }

    /// The ids kept, sorted.
    static func kept(
        _ times: [String], _ settings: RetentionSettings, zone: TimeZone = berlin, now: String = "2027-01-15T08:00:00Z"
    ) -> [String] {
        RetentionPlanner.plan(completed: items(times), failed: [], settings: settings, timeZone: zone, now: at(now))
            .filter { !$0.value.isDelete }.keys.sorted()
    }

    @Test func keepLastKeepsTheNNewestWhateverTheInputOrder() {
        let times = ["2027-01-10T02:00:00Z", "2027-01-14T02:00:00Z", "2027-01-11T02:00:00Z", "2027-01-13T02:00:00Z", "2027-01-12T02:00:00Z"]
        #expect(Self.kept(times, RetentionSettings(keepLast: 2)) == ["2027-01-13T02:00:00Z", "2027-01-14T02:00:00Z"])
        #expect(Self.kept(times.reversed(), RetentionSettings(keepLast: 2)) == ["2027-01-13T02:00:00Z", "2027-01-14T02:00:00Z"])
        #expect(Self.kept(times, RetentionSettings(keepLast: 10)).count == 5)
    }

    @Test func keepWithinIsMeasuredFromNowAndIncludesItsBoundary() {
        let times = ["2027-01-08T08:00:00Z", "2027-01-08T07:59:59Z", "2027-01-14T08:00:00Z", "2026-12-01T00:00:00Z"]
        let kept = Self.kept(times, RetentionSettings(keepWithin: .seconds(7 * 86_400)), now: "2027-01-15T08:00:00Z")
        #expect(kept == ["2027-01-08T08:00:00Z", "2027-01-14T08:00:00Z"])
    }

    @Test func keepDailyKeepsTheNewestOfEachCalendarDayInTheEntrysZone() {
        // 22:30Z on the 10th is 23:30 in Berlin (the 10th); 23:30Z is 00:30 on the 11th in Berlin.
        let times = ["2027-01-09T12:00:00Z", "2027-01-10T22:30:00Z", "2027-01-10T23:30:00Z"]
        #expect(Self.kept(times, RetentionSettings(keepDaily: 2), zone: Self.berlin) == ["2027-01-10T22:30:00Z", "2027-01-10T23:30:00Z"])
        #expect(Self.kept(times, RetentionSettings(keepDaily: 2), zone: Self.utc) == ["2027-01-09T12:00:00Z", "2027-01-10T23:30:00Z"])
    }

    @Test func gfsCountsOnlyPeriodsThatHaveABackup() {
        // Days 1, 5, 9 and two on the 10th: three daily buckets reach back to the 5th, not the 8th.
        let times = ["2027-01-01T12:00:00Z", "2027-01-05T12:00:00Z", "2027-01-09T12:00:00Z", "2027-01-10T08:00:00Z", "2027-01-10T12:00:00Z"]
        #expect(Self.kept(times, RetentionSettings(keepDaily: 3)) == ["2027-01-05T12:00:00Z", "2027-01-09T12:00:00Z", "2027-01-10T12:00:00Z"])
    }

    @Test func keepWeeklyUsesISOWeeksThatSpanTheYearEndInTheEntrysZone() {
        // 2026-12-28 (Mon) to 2027-01-03 (Sun) is ISO week 2026-W53; 2027-01-03T23:30Z is Monday
        // 2027-01-04 00:30 in Berlin (2027-W01) but still Sunday (W53) in UTC.
        let times = ["2026-12-27T12:00:00Z", "2026-12-31T12:00:00Z", "2027-01-02T12:00:00Z", "2027-01-03T23:30:00Z"]
        #expect(
            Self.kept(times, RetentionSettings(keepWeekly: 3), zone: Self.berlin)
                == ["2026-12-27T12:00:00Z", "2027-01-02T12:00:00Z", "2027-01-03T23:30:00Z"])
        // In UTC the last two share W53: week 52's and week 53's newest stay, nothing older exists for a third.
        #expect(Self.kept(times, RetentionSettings(keepWeekly: 3), zone: Self.utc) == ["2026-12-27T12:00:00Z", "2027-01-03T23:30:00Z"])
    }

    @Test func keepMonthlyKeepsTheNewestOfEachCalendarMonthAcrossTheYearEndInTheEntrysZone() {
        // 2026-12-31T23:30Z is already January 2027 in Berlin.
        let times = ["2026-11-15T12:00:00Z", "2026-12-20T12:00:00Z", "2026-12-31T23:30:00Z", "2027-01-10T12:00:00Z"]
        #expect(
            Self.kept(times, RetentionSettings(keepMonthly: 3), zone: Self.berlin)
                == ["2026-11-15T12:00:00Z", "2026-12-20T12:00:00Z", "2027-01-10T12:00:00Z"])
        #expect(
            Self.kept(times, RetentionSettings(keepMonthly: 3), zone: Self.utc)
                == ["2026-11-15T12:00:00Z", "2026-12-31T23:30:00Z", "2027-01-10T12:00:00Z"])
    }

    @Test func aBackupKeptByAnyRuleStaysAndNamesEveryRuleThatKeepsIt() {
        let times = ["2026-12-15T12:00:00Z", "2027-01-13T12:00:00Z", "2027-01-14T12:00:00Z"]
        let plan = RetentionPlanner.plan(
            completed: Self.items(times), failed: [],
            settings: RetentionSettings(keepLast: 1, keepDaily: 2, keepMonthly: 2), timeZone: Self.berlin, now: Self.at("2027-01-15T08:00:00Z"))
        #expect(plan["2027-01-14T12:00:00Z"] == .keep([.newestCompleted, .keepLast, .keepDaily, .keepMonthly]))
        #expect(plan["2027-01-13T12:00:00Z"] == .keep([.keepDaily]))
        #expect(plan["2026-12-15T12:00:00Z"] == .keep([.keepMonthly]))
    }

    @Test func theNewestCompletedIsKeptEvenWhenNoRuleWould() {
        let times = ["2026-10-01T12:00:00Z", "2026-11-01T12:00:00Z"]
        let plan = RetentionPlanner.plan(
            completed: Self.items(times), failed: [], settings: RetentionSettings(keepWithin: .seconds(86_400)),
            timeZone: Self.berlin, now: Self.at("2027-01-15T08:00:00Z"))
        #expect(plan["2026-11-01T12:00:00Z"] == .keep([.newestCompleted]))
        #expect(plan["2026-10-01T12:00:00Z"] == .delete(nil))
    }

    @Test func failedBackupsGoAfterKeepFailedForWhichDefaultsToSevenDays() {
        let failed = Self.items(["2027-01-07T08:00:00Z", "2027-01-09T08:00:00Z", "2027-01-14T08:00:00Z"])
        let now = Self.at("2027-01-15T08:00:00Z")
        let byDefault = RetentionPlanner.plan(completed: [], failed: failed, settings: RetentionSettings(keepLast: 1), timeZone: Self.utc, now: now)
        #expect(byDefault["2027-01-07T08:00:00Z"] == .delete(.keepFailedFor))
        #expect(byDefault["2027-01-09T08:00:00Z"] == .keep([.keepFailedFor]))
        let twoDays = RetentionPlanner.plan(
            completed: [], failed: failed, settings: RetentionSettings(keepLast: 1, keepFailedFor: .seconds(2 * 86_400)),
            timeZone: Self.utc, now: now)
        #expect(twoDays.filter { $0.value.isDelete }.keys.sorted() == ["2027-01-07T08:00:00Z", "2027-01-09T08:00:00Z"])
        // Failed backups never count as the newest completed one and never take a keep_last place.
        let mixed = RetentionPlanner.plan(
            completed: Self.items(["2027-01-01T08:00:00Z", "2027-01-02T08:00:00Z"]), failed: failed,
            settings: RetentionSettings(keepLast: 1), timeZone: Self.utc, now: now)
        #expect(mixed["2027-01-02T08:00:00Z"] == .keep([.newestCompleted, .keepLast]))
        #expect(mixed["2027-01-01T08:00:00Z"] == .delete(nil))
    }

    @Test func theSummaryNamesTheSettingsAsWritten() {
        #expect(RetentionSettings(keepLast: 14, keepWithin: .seconds(30 * 86_400), keepMonthly: 6).summary == "keep_last=14 keep_within=30d keep_monthly=6")
    }
}
