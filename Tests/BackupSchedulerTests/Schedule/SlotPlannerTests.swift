import Foundation
import Testing

@testable import BackupScheduler

struct SlotPlannerTests {
    static let schedule: Schedule = {
        do {
            return try Schedule.parse(yaml: """
                cloud: { region: eu-de, project_id: 0483b6b16e954cb88930a360d2c4e663, auth: env }
                backups:
                  - { alias: hourly, instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01, cron: "@hourly", jitter: 10m }
                  - { alias: halfpast, instance_id: 5e1c0c8f1d4a4b7e9b6a0f1e2d3c4b5ain04, cron: "30 * * * *", timezone: Asia/Kolkata }
                  - { alias: sleeping, instance_id: 7b2d4f6a8c0e4a1b9d3f5a7c9e1b3d5fin03, cron: "* * * * *", paused: true }
                """, fileName: "s.yaml", now: T.date("2025-06-01T00:00:00Z"))
        } catch {
            fatalError("\(error)")
        }
    }()

    @Test func slotsOfAllEntriesMergeInTimeOrderWithoutPausedOnes() {
        let slots = SlotPlanner.upcoming(in: Self.schedule, after: T.date("2025-06-01T00:00:00Z"), count: 4)
        #expect(slots.map(\.alias) == ["halfpast", "hourly", "halfpast", "hourly"])
        // 30 * * * * in Kolkata (+05:30) falls on the full UTC hour.
        #expect(slots.map { RFC3339.formatUTC($0.slot) } == [
            "2025-06-01T01:00:00Z", "2025-06-01T01:00:00Z", "2025-06-01T02:00:00Z", "2025-06-01T02:00:00Z",
        ])
        #expect(slots[0].name.value == "halfpast-20250601-0630")
    }

    @Test func pausedEntriesAppearOnlyWhenAskedFor() {
        let slots = SlotPlanner.upcoming(
            in: Self.schedule, after: T.date("2025-06-01T00:00:00Z"), count: 3, alias: "sleeping", includePaused: true)
        #expect(slots.map { RFC3339.formatUTC($0.slot) } == ["2025-06-01T00:01:00Z", "2025-06-01T00:02:00Z", "2025-06-01T00:03:00Z"])
        #expect(SlotPlanner.upcoming(in: Self.schedule, after: T.date("2025-06-01T00:00:00Z"), count: 3, alias: "sleeping").isEmpty)
    }

    @Test func jitterDelaysTheRunButNotTheSlotOrItsName() throws {
        let entry = try #require(Self.schedule.entry(alias: "hourly"))
        let slot = try #require(SlotPlanner.upcoming(of: entry, after: T.date("2025-06-01T00:00:00Z"), count: 1).first)
        #expect(RFC3339.formatUTC(slot.slot) == "2025-06-01T01:00:00Z")
        #expect(slot.runAt == slot.slot.addingTimeInterval(TimeInterval(entry.jitterOffset.components.seconds)))
        #expect(entry.jitterOffset < .seconds(600))
        #expect(slot.name.value == "hourly-20250601-0100")
    }
}

struct NameUniquenessTests {
    static func problems(_ entries: String) -> [String] {
        let yaml = "cloud: { region: eu-de, project_id: 0483b6b16e954cb88930a360d2c4e663, auth: env }\nbackups:\n" + entries
        do {
            _ = try Schedule.parse(yaml: yaml, fileName: "s.yaml", now: T.date("2025-06-01T00:00:00Z"))
            return []
        } catch {
            return error.problems.map(\.message)
        }
    }

    @Test func aCoarseTemplateIsFineWhenTheCronIsAsCoarse() {
        #expect(Self.problems("""
              - { alias: daily, instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01, cron: "0 2 * * *", name: "{alias}-{slot:%Y%m%d}" }
              - { alias: hourly, instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01, cron: "15 * * * *", name: "{alias}-{slot:%Y%m%d%H}" }
              - { alias: yearly, instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01, cron: "@yearly", name: "{alias}-{slot:%y}" }
            """).isEmpty)
    }

    @Test func aTemplateMissingTheMinuteCollidesOnAQuarterHourlyCron() {
        let problems = Self.problems("""
              - { alias: often, instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01, cron: "*/15 * * * *", name: "{alias}-{slot:%Y%m%d%H}" }
            """)
        #expect(problems.count == 1)
        #expect(problems.first?.contains("renders 'often-2025060100' for two slots") == true)
    }

    @Test func aWeekdayOnlyTemplateCollidesAfterAWeek() {
        let problems = Self.problems("""
              - { alias: weekly, instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01, cron: "0 2 * * *", name: "{alias}-{slot:%a-%H%M}" }
            """)
        #expect(problems.first?.contains("renders 'weekly-Sun-0200' for two slots of backups[0] (weekly), 2025-06-01T02:00:00+00:00 and 2025-06-08T02:00:00+00:00") == true)
    }

    @Test func entriesOnDisjointTimesMayShareATemplate() {
        // Same instance and template, but 02:00 and 14:00 never render the same name.
        #expect(Self.problems("""
              - { alias: night, instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01, cron: "0 2 * * *", name: "{instance_id}-{slot:%Y%m%d%H%M}" }
              - { alias: noon, instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01, cron: "0 14 * * *", name: "{instance_id}-{slot:%Y%m%d%H%M}" }
            """).isEmpty)
    }

    @Test func aUTCAndALocalTemplateOfTheSameShapeCanStillClash() {
        // 02:00 in Berlin (CEST) is 00:00 UTC: "x-0000" from both.
        let problems = Self.problems("""
              - { alias: x, instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01, cron: "0 2 * * *", timezone: Europe/Berlin, name: "x-{slot_utc:%H%M}-{slot_utc:%Y%m%d}" }
              - { alias: y, instance_id: 5e1c0c8f1d4a4b7e9b6a0f1e2d3c4b5ain04, cron: "0 0 * * *", name: "x-{slot:%H%M}-{slot:%Y%m%d}" }
            """)
        #expect(problems.contains { $0.contains("backups[1] (y) and backups[0] (x, line 3) can both render 'x-0000-2025060") })
    }
}
