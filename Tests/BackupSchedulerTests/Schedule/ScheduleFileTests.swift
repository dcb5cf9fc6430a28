import Foundation
import RDSClient
import Testing

@testable import BackupScheduler

/// Loading valid files: shape, inheritance, defaults.
struct ScheduleFileTests {
    static let now = T.date("2025-06-01T00:00:00Z")

    static func parse(_ yaml: String) throws -> Schedule {
        try Schedule.parse(yaml: yaml, fileName: "schedule.yaml", now: now)
    }

    @Test func theDesignExampleLoadsWithDefaultsInherited() throws {
        let schedule = try Self.parse("""
            cloud:
              region: eu-de
              project_id: 0483b6b16e954cb88930a360d2c4e663
              auth: clouds.yaml:otc
            defaults:
              timezone: Europe/Berlin
              name: "{alias}-{slot:%Y%m%d-%H%M}"
              description: "scheduled by rds-backupd"
              start_window: 1h
              completion_window: 4h
              retry: { attempts: 8, initial: 10s, max: 10m }
              retention: { keep_last: 14, keep_within: 30d }
              jitter: 5m
            backups:
              - alias: orders
                instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01
                cron: "0 2 * * *"
              - alias: payroll
                instance_id: 5e1c0c8f1d4a4b7e9b6a0f1e2d3c4b5ain04
                cron: "30 */6 * * *"
                databases: [hr, payroll]
                paused: true
                timezone: UTC
                retry: { attempts: 3 }
                retention: false
            """)
        let cloud = try #require(schedule.clouds["default"])
        #expect(cloud.region == "eu-de")
        #expect(cloud.project == .id("0483b6b16e954cb88930a360d2c4e663"))
        #expect(cloud.auth == .cloudsYAML(cloud: "otc"))
        #expect(cloud.maxConcurrent == 4 && cloud.requestsPerSecond == 5)
        #expect(schedule.entries.count == 2)
        let orders = schedule.entries[0]
        #expect(orders.alias == "orders" && orders.cloudName == "default")
        #expect(orders.timeZone.identifier == "Europe/Berlin")
        #expect(orders.startWindow == .seconds(3600) && orders.completionWindow == .seconds(14_400))
        #expect(orders.retry == RetrySettings(attempts: 8, initial: .seconds(10), max: .seconds(600)))
        #expect(orders.retention == RetentionSettings(keepLast: 14, keepWithin: .seconds(30 * 86_400)))
        #expect(orders.jitter == .seconds(300) && !orders.paused && orders.databases == nil)
        let payroll = schedule.entries[1]
        #expect(payroll.databases == ["hr", "payroll"] && payroll.paused)
        #expect(payroll.timeZone.scheduleName == "UTC")
        #expect(payroll.retry == RetrySettings(attempts: 3, initial: .seconds(10), max: .seconds(600)))
        #expect(payroll.retention == nil)
    }

    @Test func builtInDefaultsApplyWithoutADefaultsBlock() throws {
        let schedule = try Self.parse("""
            cloud: { region: eu-nl, project_name: eu-nl_prod, auth: credentials, max_concurrent: 2, requests_per_second: 1.5 }
            backups:
              - { alias: orders, instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01, cron: "@daily" }
            """)
        let entry = try #require(schedule.entries.first)
        #expect(entry.timeZone.scheduleName == "UTC")
        #expect(entry.nameTemplate.source == NameTemplate.defaultSource)
        #expect(entry.descriptionTemplate.source == DescriptionTemplate.defaultSource)
        #expect(entry.retry == .default && entry.retention == nil && entry.jitter == .zero)
        #expect(schedule.clouds["default"]?.project == .name("eu-nl_prod"))
        #expect(schedule.clouds["default"]?.maxConcurrent == 2 && schedule.clouds["default"]?.requestsPerSecond == 1.5)
    }

    @Test func namedCloudsAreChosenPerEntry() throws {
        let schedule = try Self.parse("""
            clouds:
              prod: { region: eu-de, project_id: 0483b6b16e954cb88930a360d2c4e663, auth: env, endpoint: "http://127.0.0.1:9000" }
              swiss: { region: eu-ch2, project_name: eu-ch2_x, auth: "clouds.yaml:ch" }
            defaults: { cloud: prod }
            backups:
              - { alias: a1, instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01, cron: "@daily" }
              - { alias: b1, instance_id: 5e1c0c8f1d4a4b7e9b6a0f1e2d3c4b5ain04, cron: "@daily", cloud: swiss }
            """)
        #expect(schedule.entries.map(\.cloudName) == ["prod", "swiss"])
        #expect(schedule.clouds["prod"]?.endpoint == "http://127.0.0.1:9000")
    }

    @Test func theShippedExampleAndDemoFilesAreValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        for name in ["schedule.example.yaml", "demo.yaml"] {
            let schedule = try Schedule.load(path: root.appendingPathComponent("config/\(name)").path, now: Self.now)
            #expect(!schedule.entries.isEmpty, "\(name)")
        }
    }

    @Test(arguments: [
        ("Asia/Kolkata", true), ("UTC", true), ("Etc/UTC", true), ("Etc/GMT+2", true), ("Australia/Lord_Howe", true),
        ("GMT+5", false), ("Europe/Berln", false), ("europe/berlin", false), ("../../etc/passwd", false), ("", false),
    ])
    func timeZonesAreIANANames(_ name: String, _ valid: Bool) {
        #expect((ZoneLookup.zone(name) != nil) == valid, "\(name)")
    }

    @Test func aMissingFileIsUnreadableNotInvalid() {
        #expect(throws: ScheduleFileUnreadable.self) {
            try Schedule.load(path: "/nonexistent/schedule.yaml", now: Self.now)
        }
    }

    @Test func aThousandEntryFileLoadsQuickly() throws {
        var yaml = "cloud: { region: eu-de, project_id: 0483b6b16e954cb88930a360d2c4e663, auth: env }\ndefaults: { timezone: Europe/Berlin }\nbackups:\n"
        for index in 0..<1000 {
            let hex = String(index, radix: 16)
            let id = String(repeating: "0", count: 32 - hex.count) + hex + "in01"
            yaml += "  - { alias: entry\(index), instance_id: \(id), cron: \"\(index % 60) */\(1 + index % 6) * * *\" }\n"
        }
        let clock = ContinuousClock()
        var schedule: Schedule?
        let elapsed = try clock.measure { schedule = try Self.parse(yaml) }
        #expect(schedule?.entries.count == 1000)
        // A bound on something pathological (quadratic work), not a timing: the speed is measured by
        // `make bench` (Schedule.parse, BENCHMARKS.md), well under a second in release.
        #expect(elapsed < .seconds(30), "loading 1,000 entries took \(elapsed)")
    }
}
