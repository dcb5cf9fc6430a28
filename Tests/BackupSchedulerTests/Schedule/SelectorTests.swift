import Foundation
import RDSClient
import Testing

@testable import BackupScheduler

/// `select:` in the schedule file and the selector's matching, without the API.
@Suite struct SelectorTests {
    static func parse(_ entries: String) throws(ScheduleFileError) -> Schedule {
        let yaml = "cloud: { region: eu-de, project_id: 0483b6b16e954cb88930a360d2c4e663, auth: env }\nbackups:\n" + entries
        return try Schedule.parse(yaml: yaml, fileName: "s.yaml", now: T.date("2025-06-01T00:00:00Z"))
    }

    static func problems(_ entries: String) -> [String] {
        do {
            _ = try parse(entries)
            return []
        } catch {
            return error.problems.map { "\($0.path): \($0.message)" }
        }
    }

    static func instance(
        _ name: String, engine: String = "MySQL", type: String = "Single", tags: [String: String]? = [:], id: String? = nil
    ) -> Instance {
        Instance(
            id: id ?? name, name: name, status: "ACTIVE", type: type, datastoreType: engine,
            tags: tags.map { $0.sorted { $0.key < $1.key }.map { InstanceTag(key: $0.key, value: $0.value) } })
    }

    @Test func globMatchesStarAndQuestionMarkOverTheWholeName() {
        #expect(GlobPattern("orders-*").matches("orders-eu"))
        #expect(GlobPattern("orders-*").matches("orders-"))
        #expect(!GlobPattern("orders-*").matches("my-orders-eu"))
        #expect(GlobPattern("*-db?").matches("shop-db1"))
        #expect(!GlobPattern("*-db?").matches("shop-db12"))
        #expect(GlobPattern("*").matches(""))
        #expect(!GlobPattern("Orders").matches("orders"), "case-sensitive, as the API compares names")
        #expect(GlobPattern("a*b*c*d").matches("a-b-c-x-b-c-d"))
        #expect(!GlobPattern(String(repeating: "*a", count: 30) + "b").matches(String(repeating: "a", count: 64)))
    }

    @Test func selectorMatchesNameEngineAndEveryTagButNeverAReplica() throws {
        let schedule = try Self.parse("""
              - alias: fleet
                select: { name: "shop-*", engine: [mysql, PostgreSQL], tags: { backup: daily, team: "*" } }
                cron: "0 2 * * *"
                name: "{instance_name}-{slot:%Y%m%d-%H%M}"
            """)
        let selector = try #require(schedule.entries[0].selector)
        #expect(selector.refresh == .seconds(900))
        #expect(schedule.entries[0].instanceID == "")
        let tags = ["backup": "daily", "team": "shop"]
        #expect(selector.selects(Self.instance("shop-eu", tags: tags)))
        #expect(selector.selects(Self.instance("shop-pg", engine: "PostgreSQL", tags: tags)))
        #expect(!selector.selects(Self.instance("shop-ms", engine: "SQLServer", tags: tags)), "engine")
        #expect(!selector.selects(Self.instance("orders", tags: tags)), "name")
        #expect(!selector.selects(Self.instance("shop-eu", tags: ["backup": "weekly", "team": "shop"])), "tag value")
        #expect(!selector.selects(Self.instance("shop-eu", tags: ["backup": "daily"])), "every tag must be there")
        #expect(!selector.selects(Self.instance("shop-eu", tags: nil)), "unknown tags count as none")
        #expect(!selector.selects(Self.instance("shop-eu", type: "Replica", tags: tags)), "replicas are never selected")
    }

    @Test func exclusionsWithTheSameKeysRemoveMatches() throws {
        let schedule = try Self.parse("""
              - alias: fleet
                select:
                  name: "*"
                  exclude:
                    - name: "*-test"
                    - tags: { backup: none }
                    - engine: sqlserver
                refresh: 5m
                cron: "0 2 * * *"
                name: "{alias}-{instance_id}-{slot:%Y%m%d-%H%M}"
            """)
        let selector = try #require(schedule.entries[0].selector)
        #expect(selector.refresh == .seconds(300))
        #expect(selector.exclude.count == 3)
        #expect(selector.selects(Self.instance("orders")))
        #expect(!selector.selects(Self.instance("orders-test")))
        #expect(!selector.selects(Self.instance("orders", tags: ["backup": "none"])))
        #expect(!selector.selects(Self.instance("payroll", engine: "SQLServer")))
        #expect(selector.needsTags)
    }

    @Test func instanceIDAndSelectAreMutuallyExclusiveAndRefreshNeedsSelect() {
        #expect(Self.problems("""
              - alias: fleet
                instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01
                select: { name: "orders-*" }
                cron: "0 2 * * *"
                name: "{instance_name}-{slot:%Y%m%d-%H%M}"
            """) == ["backups[0].instance_id: both `instance_id` and `select` are set; an entry backs up one instance (`instance_id`) or every instance its selector matches (`select`), not both"])
        #expect(Self.problems("""
              - alias: orders
                instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01
                refresh: 5m
                cron: "0 2 * * *"
            """).first?.hasPrefix("backups[0].refresh: `refresh` only applies to an entry with `select:`") == true)
        #expect(Self.problems("""
              - alias: orders
                cron: "0 2 * * *"
            """).first?.contains("or `select:` instances by name, engine or tags") == true)
    }

    @Test func aTemplateThatWouldCollideBetweenInstancesIsAConfigError() {
        let problems = Self.problems("""
              - alias: fleet
                select: { tags: { backup: daily } }
                cron: "0 2 * * *"
            """)
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("backups[0].name: name template '{alias}-{slot:%Y%m%d-%H%M}' has no {instance_id} or {instance_name}") == true)
        #expect(Self.problems("""
              - alias: fleet
                select: { tags: { backup: daily } }
                cron: "0 2 * * *"
                name: "fleet-{instance_id}-{slot:%Y%m%d-%H%M}"
            """) == [])
    }

    @Test func badSelectorsAreReportedWithTheirFieldPath() {
        #expect(Self.problems("""
              - alias: fleet
                select: { engine: [mysql, oracle] }
                cron: "0 2 * * *"
                name: "{instance_name}-{slot:%Y%m%d-%H%M}"
            """) == ["backups[0].select.engine[1]: unknown engine 'oracle'; allowed are mysql, postgresql, sqlserver"])
        #expect(Self.problems("""
              - alias: fleet
                select: { exclude: [{ name: "*-test" }] }
                cron: "0 2 * * *"
                name: "{instance_name}-{slot:%Y%m%d-%H%M}"
            """).first?.hasPrefix("backups[0].select: selects nothing") == true)
        #expect(Self.problems("""
              - alias: fleet
                select: { nmae: "x" }
                cron: "0 2 * * *"
                name: "{instance_name}-{slot:%Y%m%d-%H%M}"
            """).first?.contains("unknown key `nmae` (did you mean `name`?)") == true)
        #expect(Self.problems("""
              - alias: fleet
                select: { name: "*" }
                refresh: 10s
                cron: "0 2 * * *"
                name: "{instance_name}-{slot:%Y%m%d-%H%M}"
            """).first?.hasPrefix("backups[0].refresh: 10s is not allowed") == true)
    }

    @Test func twoSelectEntriesOnOneCronAreNotDuplicatesOfOneInstance() throws {
        let schedule = try Self.parse("""
              - alias: shop
                select: { name: "shop-*" }
                cron: "0 2 * * *"
                name: "{alias}-{instance_name}-{slot:%Y%m%d-%H%M}"
              - alias: data
                select: { name: "data-*" }
                cron: "0 2 * * *"
                name: "{alias}-{instance_name}-{slot:%Y%m%d-%H%M}"
            """)
        #expect(schedule.selectorEntries.map(\.alias) == ["shop", "data"])
    }

    @Test func expansionMakesOneStreamPerInstanceNamedAliasAtInstanceID() throws {
        let schedule = try Self.parse("""
              - alias: fleet
                select: { name: "*" }
                cron: "0 2 * * *"
                name: "{alias}-{instance_name}-{slot:%Y%m%d}"
              - alias: orders
                instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01
                cron: "0 3 * * *"
            """)
        let expanded = schedule.expanded(with: ["fleet": [SelectedStream(instanceID: "bbbin01", instanceName: "shop-b"), SelectedStream(instanceID: "aaain01", instanceName: "shop-a")]])
        #expect(expanded.entries.map(\.alias) == ["fleet@aaain01", "fleet@bbbin01", "orders"])
        let stream = try #require(expanded.entry(alias: "fleet@aaain01"))
        #expect(stream.instanceID == "aaain01")
        #expect(stream.selectedFrom == "fleet")
        #expect(stream.selector == nil)
        #expect(stream.name(for: T.date("2025-06-02T02:00:00Z")).value == "fleet-shop-a-20250602", "{alias} is the configured alias")
        #expect(StreamAlias.split("fleet@aaain01")! == ("fleet", "aaain01"))
        #expect(StreamAlias.split("orders") == nil)
        #expect(schedule.expanded(with: [:]).entries.map(\.alias) == ["orders"])
    }
}
