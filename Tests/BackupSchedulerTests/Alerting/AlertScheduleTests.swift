import Foundation
import Testing

@testable import BackupScheduler

/// `alert:` and `metrics:` in the schedule file: inheritance, and errors with line, column and
/// what is allowed.
@Suite struct AlertScheduleTests {
    static let now = RFC3339.parse("2026-03-01T00:00:00Z")!

    static func yaml(top: String = "", defaults: String = "", entry: String = "") -> String {
        """
        cloud:
          region: eu-de
          project_id: 0483b6b16e954cb88930a360d2c4e663
          auth: env
        \(top)
        defaults:
          timezone: UTC
        \(defaults)
        backups:
          - alias: orders
            instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01
            cron: "0 2 * * *"
        \(entry)
          - alias: payroll
            instance_id: 5e1c0c8f1d4a4b7e9b6a0f1e2d3c4b5ain04
            cron: "30 */6 * * *"
        """
    }

    static func problems(_ yaml: String) -> [ScheduleProblem] {
        do {
            _ = try Schedule.parse(yaml: yaml, fileName: "s.yaml", now: now)
            return []
        } catch {
            return error.problems
        }
    }

    @Test func entriesInheritAlertKeysFromDefaultsOneByOneAndAlertFalseSwitchesThemOff() throws {
        let schedule = try Schedule.parse(
            yaml: Self.yaml(
                defaults: """
                      alert:
                        failure: https://hc.example.com/ping/default-uuid/fail
                        command: /usr/local/bin/notify --team db
                        command_timeout: 20s
                    """,
                entry: """
                        alert:
                          start: https://hc.example.com/ping/orders-uuid/start
                          success: http://hc.internal:8000/ping/orders-uuid
                    """),
            fileName: "s.yaml", now: Self.now)
        let orders = try #require(schedule.entry(alias: "orders")?.alert)
        #expect(orders.start?.reveal() == "https://hc.example.com/ping/orders-uuid/start")
        #expect(orders.success?.reveal() == "http://hc.internal:8000/ping/orders-uuid")
        #expect(orders.failure?.reveal() == "https://hc.example.com/ping/default-uuid/fail")
        #expect(orders.command == AlertCommand(argv: ["/usr/local/bin/notify", "--team", "db"], timeout: .seconds(20)))
        let payroll = try #require(schedule.entry(alias: "payroll")?.alert)
        #expect(payroll.start == nil && payroll.success == nil)
        #expect(payroll.failure?.reveal() == "https://hc.example.com/ping/default-uuid/fail")

        let off = try Schedule.parse(
            yaml: Self.yaml(defaults: "  alert: { failure: https://hc.example.com/x }", entry: "    alert: false"),
            fileName: "s.yaml", now: Self.now)
        #expect(off.entry(alias: "orders")?.alert == nil)
        #expect(off.entry(alias: "payroll")?.alert?.failure != nil)
    }

    @Test func aPingURLNeverShowsItsTokenInADescription() throws {
        let url = try #require(PingURL("https://hc-ping.com/0a1b2c3d-secret-token?x=1"))
        #expect("\(url)" == "https://hc-ping.com/<redacted>")
        #expect(!String(describing: AlertSettings(failure: url)).contains("secret-token"))
    }

    @Test func aCommandListIsTakenAsArgvWithoutAShell() throws {
        let schedule = try Schedule.parse(
            yaml: Self.yaml(entry: "    alert: { command: [/usr/bin/logger, -t, \"rds backup\", \"$HOME\"] }"),
            fileName: "s.yaml", now: Self.now)
        #expect(schedule.entry(alias: "orders")?.alert?.command?.argv == ["/usr/bin/logger", "-t", "rds backup", "$HOME"])
        #expect(schedule.entry(alias: "orders")?.alert?.command?.timeout == AlertCommand.defaultTimeout)
    }

    @Test func metricsTextfileAndLoopbackListenerAreRead() throws {
        let schedule = try Schedule.parse(
            yaml: Self.yaml(top: "metrics:\n  textfile: /var/lib/node_exporter/textfile_collector/rds_backupd.prom\n  listen: \"[::1]:9468\""),
            fileName: "s.yaml", now: Self.now)
        #expect(schedule.metrics.textfile == "/var/lib/node_exporter/textfile_collector/rds_backupd.prom")
        #expect(schedule.metrics.listen == LoopbackAddress(host: "::1", port: 9468))
        let plain = try Schedule.parse(yaml: Self.yaml(), fileName: "s.yaml", now: Self.now)
        #expect(plain.metrics.isEmpty)
        #expect(LoopbackAddress.parse("localhost:9468") == LoopbackAddress(host: "127.0.0.1", port: 9468))
        #expect(LoopbackAddress.parse("127.0.0.2:1") != nil)
        for refused in ["0.0.0.0:9468", "10.0.0.1:9468", "[::]:9468", "example.com:9468", "127.0.0.1", "127.0.0.1:99999", "1270.0.0.1:80"] {
            #expect(LoopbackAddress.parse(refused) == nil, "\(refused)")
        }
    }

    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var yaml: String
        var line: Int
        var column: Int
        var path: String
        var says: [String]
        var description: String { name }
    }

    // Line numbers: `top` starts on line 5, `defaults` text on line 8, `entry` text on line 13.
    static let cases: [Case] = [
        Case(
            name: "file URL", yaml: yaml(entry: "    alert: { failure: \"file:///etc/passwd\" }"), line: 13, column: 23,
            path: "backups[0].alert.failure", says: ["'file://' URLs are not allowed", "https://HOST/PATH or http://HOST/PATH"]),
        Case(
            name: "URL with a password", yaml: yaml(entry: "    alert: { start: \"https://user:hunter2@hc.example.com/x\" }"),
            line: 13, column: 21, path: "backups[0].alert.start", says: ["holds a user or password"]),
        Case(
            name: "non-loopback listener", yaml: yaml(top: "metrics: { listen: 0.0.0.0:9468 }"), line: 5, column: 20,
            path: "metrics.listen", says: ["'0.0.0.0:9468' is not allowed", "loopback", "127.0.0.1:9468"]),
        Case(
            name: "relative textfile", yaml: yaml(top: "metrics:\n  textfile: metrics/rds.prom"), line: 6, column: 13,
            path: "metrics.textfile", says: ["not an absolute path", "/var/lib/node_exporter/textfile_collector/rds_backupd.prom"]),
        Case(
            name: "textfile without .prom", yaml: yaml(top: "metrics:\n  textfile: /var/lib/rds.txt"), line: 6, column: 13,
            path: "metrics.textfile", says: ["does not end in .prom"]),
        Case(
            name: "relative command", yaml: yaml(defaults: "  alert: { command: notify-send }"), line: 8, column: 21,
            path: "defaults.alert.command", says: ["not an absolute path", "without a shell"]),
        Case(
            name: "shell syntax in a command string", yaml: yaml(defaults: "  alert: { command: \"/bin/echo $RDS_ENTRY | mail\" }"),
            line: 8, column: 21, path: "defaults.alert.command", says: ["contains '$'", "write it as a list"]),
        Case(
            name: "misspelt alert key", yaml: yaml(entry: "    alert: { sucess: https://hc.example.com/x }"), line: 13, column: 14,
            path: "backups[0].alert.sucess", says: ["unknown key `sucess` (did you mean `success`?)", "start, success, failure, command, command_timeout"]),
        Case(
            name: "misspelt alert", yaml: yaml(entry: "    alrt: { failure: https://hc.example.com/x }"), line: 13, column: 5,
            path: "backups[0].alrt", says: ["did you mean `alert`?"]),
        Case(
            name: "misspelt metrics", yaml: yaml(top: "metrix: { listen: 127.0.0.1:9468 }"), line: 5, column: 1,
            path: "metrix", says: ["did you mean `metrics`?"]),
        Case(
            name: "overlong command timeout", yaml: yaml(defaults: "  alert: { command: /bin/true, command_timeout: 1h }"), line: 8,
            column: 49, path: "defaults.alert.command_timeout", says: ["at most 10m"]),
    ]

    @Test(arguments: cases)
    func brokenAlertAndMetricsSettingsNameLineColumnPathAndWhatIsAllowed(_ c: Case) throws {
        try Self.expectOneProblem(c)
    }

    /// The case's YAML has exactly one problem, at its line, column and path, saying its words.
    static func expectOneProblem(_ c: Case) throws {
        let problems = Self.problems(c.yaml)
        let problem = try #require(problems.first, "no problem reported for \(c.name)")
        #expect(problems.count == 1, "\(problems)")
        #expect(problem.line == c.line && problem.column == c.column, "\(problem)")
        #expect(problem.path == c.path, "\(problem)")
        for text in c.says { #expect(problem.message.contains(text), "\(problem.message)") }
        #expect(!problem.description.contains("hunter2"))
    }
}
