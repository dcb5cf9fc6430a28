import Foundation
import Testing

@testable import BackupScheduler

/// The DST policy: a slot in a skipped hour runs at the first valid instant after it; a slot in a
/// repeated hour runs once, at its first occurrence (the second occurrence is skipped).
struct DSTPolicyTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let label: String
        let cron: String
        let zone: String
        let after: String
        let expected: [String]
        var testDescription: String { label }
    }

    static let table: [Case] = [
        // Europe/Berlin 2025: 30 March 02:00 CET -> 03:00 CEST; 26 October 03:00 CEST -> 02:00 CET.
        Case(label: "Berlin spring: 02:30 is skipped, runs at 03:00 CEST", cron: "30 2 * * *", zone: "Europe/Berlin",
             after: "2025-03-29T12:00:00Z", expected: ["2025-03-30T01:00:00Z", "2025-03-31T00:30:00Z"]),
        Case(label: "Berlin fall: 02:30 repeats, runs once at 02:30 CEST", cron: "30 2 * * *", zone: "Europe/Berlin",
             after: "2025-10-25T12:00:00Z", expected: ["2025-10-26T00:30:00Z", "2025-10-27T01:30:00Z"]),
        Case(label: "Berlin spring @hourly: 01:00 CET, 03:00 CEST (02:00 moved), 04:00 CEST", cron: "@hourly", zone: "Europe/Berlin",
             after: "2025-03-29T23:30:00Z", expected: ["2025-03-30T00:00:00Z", "2025-03-30T01:00:00Z", "2025-03-30T02:00:00Z"]),
        Case(label: "Berlin fall @hourly: the repeated 02:00 runs once", cron: "@hourly", zone: "Europe/Berlin",
             after: "2025-10-25T22:30:00Z", expected: ["2025-10-25T23:00:00Z", "2025-10-26T00:00:00Z", "2025-10-26T02:00:00Z"]),
        Case(label: "Berlin fall */30: second 02:00 and 02:30 are skipped", cron: "*/30 * * * *", zone: "Europe/Berlin",
             after: "2025-10-25T23:45:00Z", expected: ["2025-10-26T00:00:00Z", "2025-10-26T00:30:00Z", "2025-10-26T02:00:00Z"]),
        Case(label: "Berlin spring */30: 02:00, 02:30 and 03:00 collapse into one run", cron: "*/30 * * * *", zone: "Europe/Berlin",
             after: "2025-03-30T00:15:00Z", expected: ["2025-03-30T00:30:00Z", "2025-03-30T01:00:00Z", "2025-03-30T01:30:00Z"]),
        // America/New_York 2025: 9 March 02:00 EST -> 03:00 EDT; 2 November 02:00 EDT -> 01:00 EST.
        Case(label: "New York spring: 02:30 is skipped, runs at 03:00 EDT", cron: "30 2 * * *", zone: "America/New_York",
             after: "2025-03-08T12:00:00Z", expected: ["2025-03-09T07:00:00Z", "2025-03-10T06:30:00Z"]),
        Case(label: "New York fall: 01:30 repeats, runs once at 01:30 EDT", cron: "30 1 * * *", zone: "America/New_York",
             after: "2025-11-01T12:00:00Z", expected: ["2025-11-02T05:30:00Z", "2025-11-03T06:30:00Z"]),
        Case(label: "New York spring @hourly", cron: "@hourly", zone: "America/New_York",
             after: "2025-03-09T05:30:00Z", expected: ["2025-03-09T06:00:00Z", "2025-03-09T07:00:00Z", "2025-03-09T08:00:00Z"]),
        Case(label: "New York fall @hourly: the repeated 01:00 runs once", cron: "@hourly", zone: "America/New_York",
             after: "2025-11-02T03:30:00Z", expected: ["2025-11-02T04:00:00Z", "2025-11-02T05:00:00Z", "2025-11-02T07:00:00Z"]),
        // Australia/Lord_Howe 2025, a 30-minute shift: 6 April 02:00 (+11) -> 01:30 (+10:30);
        // 5 October 02:00 (+10:30) -> 02:30 (+11).
        Case(label: "Lord Howe spring: 02:15 is skipped, runs at 02:30", cron: "15 2 * * *", zone: "Australia/Lord_Howe",
             after: "2025-10-04T00:00:00Z", expected: ["2025-10-04T15:30:00Z", "2025-10-05T15:15:00Z"]),
        Case(label: "Lord Howe fall: 01:45 repeats, runs once at its first occurrence", cron: "45 1 * * *", zone: "Australia/Lord_Howe",
             after: "2025-04-05T00:00:00Z", expected: ["2025-04-05T14:45:00Z", "2025-04-06T15:15:00Z"]),
        Case(label: "Lord Howe spring @hourly: 02:00 moves to 02:30, 03:00 follows 30 minutes later", cron: "@hourly", zone: "Australia/Lord_Howe",
             after: "2025-10-04T14:00:00Z", expected: ["2025-10-04T14:30:00Z", "2025-10-04T15:30:00Z", "2025-10-04T16:00:00Z"]),
        Case(label: "Lord Howe fall @hourly: no hour repeats whole, every hour runs once", cron: "@hourly", zone: "Australia/Lord_Howe",
             after: "2025-04-05T12:30:00Z", expected: ["2025-04-05T13:00:00Z", "2025-04-05T14:00:00Z", "2025-04-05T15:30:00Z"]),
        Case(label: "Lord Howe fall */30: the second 01:30 is skipped", cron: "*/30 * * * *", zone: "Australia/Lord_Howe",
             after: "2025-04-05T13:45:00Z", expected: ["2025-04-05T14:00:00Z", "2025-04-05T14:30:00Z", "2025-04-05T15:30:00Z"]),
    ]

    @Test(arguments: table)
    func slotsAcrossTransitionsFollowThePolicy(_ c: Case) {
        #expect(T.slots(c.cron, c.zone, after: c.after, count: c.expected.count) == c.expected)
    }

    @Test func aSkippedLocalTimeResolvesToTheTransitionInstant() {
        let berlin = T.zone("Europe/Berlin")
        let resolution = berlin.resolve(CivilTime(year: 2025, month: 3, day: 30, hour: 2, minute: 30))
        #expect(resolution == .skipped(transition: T.date("2025-03-30T01:00:00Z")))
    }

    @Test func aRepeatedLocalTimeResolvesToBothInstants() {
        let berlin = T.zone("Europe/Berlin")
        let resolution = berlin.resolve(CivilTime(year: 2025, month: 10, day: 26, hour: 2, minute: 30))
        #expect(resolution == .repeated(first: T.date("2025-10-26T00:30:00Z"), second: T.date("2025-10-26T01:30:00Z")))
    }

    @Test func aSlotInsideTheSecondOccurrenceOfARepeatedHourIsNotRunAgain() {
        // 01:10Z is 02:10 CET, inside the repeated hour; 02:30 already ran at 00:30Z.
        #expect(T.slots("30 2 * * *", "Europe/Berlin", after: "2025-10-26T01:10:00Z", count: 1) == ["2025-10-27T01:30:00Z"])
    }

    @Test func theSlotMovedOutOfASkippedHourIsNamedByTheInstantItRuns() throws {
        let schedule = try Schedule.parse(yaml: """
            cloud: { region: eu-de, project_id: 0483b6b16e954cb88930a360d2c4e663, auth: env }
            backups:
              - { alias: orders, instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01, cron: "30 2 * * *", timezone: Europe/Berlin }
            """, fileName: "s.yaml", now: T.date("2025-01-01T00:00:00Z"))
        let entry = try #require(schedule.entries.first)
        let slot = try #require(entry.nextSlot(after: T.date("2025-03-29T12:00:00Z")))
        #expect(entry.name(for: slot).value == "orders-20250330-0300")
    }
}
