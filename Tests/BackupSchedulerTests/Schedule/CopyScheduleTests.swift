import Foundation
import OffsiteCopy
import Testing

@testable import BackupScheduler

/// `copy:` in the schedule file: inheritance from `defaults`, the path template, and errors with
/// line, column, field and what is allowed.
@Suite struct CopyScheduleTests {
    static let now = RFC3339.parse("2026-03-01T00:00:00Z")!

    static func yaml(defaults: String = "", entry: String = "") -> String {
        AlertScheduleTests.yaml(defaults: defaults, entry: entry)
    }

    static func problems(_ yaml: String) -> [ScheduleProblem] {
        AlertScheduleTests.problems(yaml)
    }

    @Test func entriesInheritCopyKeysFromDefaultsAndKeepRulesAsAWholeAndCopyFalseSwitchesItOff() throws {
        let schedule = try Schedule.parse(
            yaml: Self.yaml(
                defaults: """
                      copy:
                        destination: /srv/rds-copies/
                        keep_last: 7
                        keep_monthly: 12
                        bandwidth: 20MiB/s
                        after_copy: [/usr/local/bin/ship, --to, offsite]
                    """,
                entry: """
                        copy:
                          path: "{alias}/{slot_utc:%Y/%m/%d-%H%M}"
                          keep_within: 30d
                          after_copy_timeout: 2h
                    """),
            fileName: "s.yaml", now: Self.now)
        let orders = try #require(schedule.entry(alias: "orders")?.copy)
        #expect(orders.destination == "/srv/rds-copies")
        #expect(orders.path.source == "{alias}/{slot_utc:%Y/%m/%d-%H%M}")
        #expect(orders.retention == CopyRetentionRules(keepWithin: .seconds(30 * 86_400)), "the entry's keep rules replace the defaults'")
        #expect(orders.bandwidthBytesPerSecond == Int64(20_971_520))
        #expect(orders.afterCopy == AlertCommand(argv: ["/usr/local/bin/ship", "--to", "offsite"], timeout: .seconds(7200)))
        let payroll = try #require(schedule.entry(alias: "payroll")?.copy)
        #expect(payroll.path == .default)
        #expect(payroll.retention == CopyRetentionRules(keepLast: 7, keepMonthly: 12))
        #expect(payroll.afterCopy?.timeout == CopySettings.defaultAfterCopyTimeout)

        let off = try Schedule.parse(
            yaml: Self.yaml(defaults: "  copy: { destination: /srv/c }", entry: "    copy: false"), fileName: "s.yaml", now: Self.now)
        #expect(off.entry(alias: "orders")?.copy == nil)
        #expect(off.entry(alias: "payroll")?.copy?.destination == "/srv/c")
        let none = try Schedule.parse(yaml: Self.yaml(), fileName: "s.yaml", now: Self.now)
        #expect(none.entries.allSatisfy { $0.copy == nil })
    }

    @Test func theDirectoryOfACopyStaysBelowTheDestinationWhateverTheVariablesHold() throws {
        let settings = CopySettings(destination: "/srv/copies", path: try CopyPathTemplate("{instance_name}/{alias}-{slot:%Y%m%d-%H%M}"))
        let slot = RFC3339.parse("2026-03-01T02:00:00Z")!
        for hostile in ["../../etc", "..", "a/b/../../..", ".", "x\ny", "/abs"] {
            let context = NameContext(alias: "orders", instanceID: "d8e6ca5a624745bcb546a227aa3ae1cfin01", instanceName: hostile)
            let directory = settings.directory(slot: slot, context: context, timeZone: TimeZone(identifier: "UTC")!)
            #expect(directory.hasPrefix("/srv/copies/"))
            let parts = directory.dropFirst("/srv/copies/".count).split(separator: "/", omittingEmptySubsequences: false)
            #expect(parts.count == 2, "\(hostile) -> \(directory)")
            #expect(!parts.contains { $0.isEmpty || $0 == "." || $0 == ".." }, "\(hostile) -> \(directory)")
            #expect(parts.last == "orders-20260301-0200")
        }
        let normal = CopySettings(destination: "/srv/copies").directory(
            slot: slot, context: NameContext(alias: "orders", instanceID: "d8e6ca5a624745bcb546a227aa3ae1cfin01"),
            timeZone: TimeZone(identifier: "Europe/Berlin")!)
        #expect(normal == "/srv/copies/orders/d8e6ca5a624745bcb546a227aa3ae1cfin01/20260301-0300")
    }

    @Test func bandwidthIsReadInBytesAndBits() {
        #expect(CopySettings.parseBandwidth("20MiB/s") == Int64(20_971_520))
        #expect(CopySettings.parseBandwidth("500kB/s") == 500_000)
        #expect(CopySettings.parseBandwidth("100Mbit") == 12_500_000)
        #expect(CopySettings.parseBandwidth("1.5 GB/s") == 1_500_000_000)
        #expect(CopySettings.parseBandwidth("20") == nil)
        #expect(CopySettings.parseBandwidth("fast") == nil)
        #expect(CopySettings.parseBandwidth("-5MB") == nil)
    }

    typealias Case = AlertScheduleTests.Case

    static let cases: [Case] = [
        Case(
            name: "relative destination", yaml: yaml(defaults: "  copy: { destination: copies }"), line: 8, column: 24,
            path: "defaults.copy.destination", says: ["'copies' is not an absolute path", "/srv/rds-copies"]),
        Case(
            name: "dot-dot destination", yaml: yaml(defaults: "  copy: { destination: /srv/../etc }"), line: 8, column: 24,
            path: "defaults.copy.destination", says: ["'..' part"]),
        Case(
            name: "no destination", yaml: yaml(entry: "    copy: { keep_last: 3 }"), line: 13, column: 11,
            path: "backups[0].copy.destination", says: ["is missing", "destination: /srv/rds-copies"]),
        Case(
            name: "misspelt key", yaml: yaml(entry: "    copy: { destination: /srv/c, keep_lats: 3 }"), line: 13, column: 34,
            path: "backups[0].copy.keep_lats", says: ["unknown key `keep_lats` (did you mean `keep_last`?)"]),
        Case(
            name: "misspelt copy", yaml: yaml(defaults: "  cpoy: { destination: /srv/c }"), line: 8, column: 3,
            path: "defaults.cpoy", says: ["did you mean `copy`?"]),
        Case(
            name: "path without a slot", yaml: yaml(entry: "    copy: { destination: /srv/c, path: \"{alias}\" }"), line: 13, column: 40,
            path: "backups[0].copy.path", says: ["has no slot token"]),
        Case(
            name: "path climbing out", yaml: yaml(entry: "    copy: { destination: /srv/c, path: \"../{slot:%Y}\" }"), line: 13,
            column: 40, path: "backups[0].copy.path", says: ["'..' directory"]),
        Case(
            name: "absolute path", yaml: yaml(entry: "    copy: { destination: /srv/c, path: \"/x/{slot:%Y}\" }"), line: 13,
            column: 40, path: "backups[0].copy.path", says: ["must be relative to the destination"]),
        Case(
            name: "bandwidth without a unit", yaml: yaml(defaults: "  copy: { destination: /srv/c, bandwidth: 50 }"), line: 8,
            column: 43, path: "defaults.copy.bandwidth", says: ["'50' is not a rate", "20MiB/s"]),
        Case(
            name: "relative after_copy", yaml: yaml(defaults: "  copy: { destination: /srv/c, after_copy: rclone }"), line: 8,
            column: 44, path: "defaults.copy.after_copy", says: ["not an absolute path"]),
        Case(
            name: "keep_last zero", yaml: yaml(defaults: "  copy: { destination: /srv/c, keep_last: 0 }"), line: 8, column: 43,
            path: "defaults.copy.keep_last", says: ["a whole number from 1"]),
        Case(
            name: "empty copy", yaml: yaml(defaults: "  copy: {}"), line: 8, column: 9, path: "defaults.copy",
            says: ["is empty", "copy: false"]),
    ]

    @Test(arguments: cases)
    func brokenCopySettingsNameLineColumnPathAndWhatIsAllowed(_ c: Case) throws {
        try AlertScheduleTests.expectOneProblem(c)
    }
}
