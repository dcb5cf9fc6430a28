import Foundation
import Testing

@testable import BackupScheduler

/// `status`'s overdue verdict: a slot after the last success that should have finished by now.
@Suite struct EntryFreshnessTests {
    static let now = RFC3339.parse("2026-03-10T12:00:00Z")!

    static func entry(_ extra: String = "") throws -> BackupEntry {
        let yaml = """
            cloud: { region: eu-de, project_id: 0483b6b16e954cb88930a360d2c4e663, auth: env }
            defaults: { timezone: UTC, start_window: 1h, completion_window: 4h }
            backups:
              - alias: orders
                instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01
                cron: "0 2 * * *"
            \(extra)
            """
        return try Schedule.parse(yaml: yaml, fileName: "s.yaml", now: now).entries[0]
    }

    static func record(_ slot: String, _ state: SlotState) -> SlotRecord {
        let at = RFC3339.parse(slot)!
        var record = SlotRecord(entry: "orders", instanceID: "d8e6ca5a624745bcb546a227aa3ae1cfin01", slotAt: at, runAt: at, now: at)
        record.state = state
        record.finishedAt = at.addingTimeInterval(600)
        return record
    }

    static func summary(completed: String?, last: (String, SlotState)?) -> EntrySummary {
        EntrySummary(
            entry: "orders", lastOutcome: last.map { record($0.0, $0.1) }, lastCompleted: completed.map { record($0, .completed) },
            consecutiveFailures: 0, inFlight: nil)
    }

    @Test func todaysBackupIsFreshAndItsAgeIsMeasuredAgainstTheDailySchedule() throws {
        let verdict = EntryFreshness.evaluate(
            entry: try Self.entry(), summary: Self.summary(completed: "2026-03-10T02:00:00Z", last: ("2026-03-10T02:00:00Z", .completed)),
            now: Self.now)
        #expect(!verdict.overdue)
        #expect(abs((verdict.age ?? 0) - (9 * 3600 + 50 * 60)) < 0.001)
        #expect(verdict.interval == 86_400)
        #expect(EntryFreshness.formatAge(verdict.age ?? 0) == "9h50m")
    }

    @Test func aFailedSlotAfterTheLastSuccessMakesTheEntryOverdueOnceItsWindowsHavePassed() throws {
        let entry = try Self.entry()
        let summary = Self.summary(completed: "2026-03-09T02:00:00Z", last: ("2026-03-10T02:00:00Z", .failed))
        let verdict = EntryFreshness.evaluate(entry: entry, summary: summary, now: Self.now)
        #expect(verdict.overdue)
        #expect(verdict.overdueSince == RFC3339.parse("2026-03-10T02:00:00Z"))
        // Within start_window + completion_window of the slot (02:00 + 5 h) it is not overdue yet.
        let early = EntryFreshness.evaluate(entry: entry, summary: summary, now: RFC3339.parse("2026-03-10T06:59:00Z")!)
        #expect(!early.overdue)
    }

    @Test func neverSucceededIsOverdueOnlyOnceASlotEndedWithoutABackupAndPausedNever() throws {
        let fresh = EntryFreshness.evaluate(entry: try Self.entry(), summary: Self.summary(completed: nil, last: nil), now: Self.now)
        #expect(!fresh.overdue && fresh.age == nil)
        let missed = EntryFreshness.evaluate(
            entry: try Self.entry(), summary: Self.summary(completed: nil, last: ("2026-03-10T02:00:00Z", .missed)), now: Self.now)
        #expect(missed.overdue)
        let paused = EntryFreshness.evaluate(
            entry: try Self.entry("    paused: true"), summary: Self.summary(completed: "2026-03-01T02:00:00Z", last: nil), now: Self.now)
        #expect(!paused.overdue)
    }
}
