import Foundation
import RDSTestSupport
import Testing

@testable import BackupScheduler

/// `contrib/prometheus/rds-backupd.rules.yml` checked and unit-tested by Prometheus' own promtool
/// (Debian package `prometheus`), and run against the metrics of a real service run: the alerts an
/// operator pastes fire on what the service exports.
@Suite struct AlertRulesTests {
    typealias Name = MetricsRecorder.Name
    static let directory = BinaryRunner.packageRoot.appendingPathComponent("contrib/prometheus")
    static let rules = directory.appendingPathComponent("rds-backupd.rules.yml")

    /// promtool, or nil after cancelling the test (failing it under CI=true, where .ci/run installs it).
    static func promtool() throws -> URL? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("promtool")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            Issue.record("promtool is missing (apt-get install prometheus); CI=true: the rule tests must run")
            return nil
        }
        try Test.cancel("promtool is not installed (apt-get install prometheus); alert rule checks skipped")
    }

    static func run(_ promtool: URL, _ arguments: [String]) async throws -> BinaryRunner.Output {
        try await BinaryRunner.runProcess(executable: promtool, arguments: arguments, environment: nil, timeout: .seconds(60))
    }

    @Test func promtoolChecksTheRulesAndPassesTheirUnitTests() async throws {
        guard let promtool = try Self.promtool() else { return }
        let check = try await Self.run(promtool, ["check", "rules", Self.rules.path])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("SUCCESS: 4 rules found"), "\(check.stdout)")
        let test = try await Self.run(promtool, ["test", "rules", Self.directory.appendingPathComponent("rds-backupd.rules.test.yml").path])
        #expect(test.status == 0, "\(test.stdout)\(test.stderr)")
    }

    @Test func promtoolCatchesABrokenRule() async throws {
        // Proves the check above means something: a misspelt function is refused.
        guard let promtool = try Self.promtool() else { return }
        let broken = URL(fileURLWithPath: TestScratch.path("rules-broken.yml"))
        try String(contentsOf: Self.rules, encoding: .utf8).replacingOccurrences(of: "increase(", with: "increse(")
            .write(to: broken, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: broken) }
        let check = try await Self.run(promtool, ["check", "rules", broken.path])
        #expect(check.status != 0)
        #expect((check.stdout + check.stderr).contains("increse"))
    }

    /// A real run (MetricsTests.runService: `orders` completes twice, `payroll` never succeeds),
    /// its metrics as input series of a promtool test: each sample flat from the run's end T (the
    /// counters at 0 before it, as primed), timestamps shifted so that T is 10 h after promtool's
    /// epoch. Then: payroll is failing, orders is not; payroll turns stale 3 h after its first slot
    /// (hourly schedule: two intervals plus an hour), orders not yet; nothing was missed.
    @Test func theRulesFireOnTheMetricsOfARealRun() async throws {
        guard let promtool = try Self.promtool() else { return }
        try await ServiceHarness.with(configure: { $0.backupDuration = 30 }) { h in
            let recorder = MetricsRecorder()
            let (end, _) = try await MetricsTests.runService(h, recorder: recorder)
            let families = try PrometheusTextParser.parse(recorder.render())
            for family in families.values {
                #expect(family.help?.isEmpty == false, "\(family.name) has no HELP line")
            }
            let t = 36_000.0  // the run's end, in promtool's time
            let shift = t - end.timeIntervalSince1970
            let firstSlot = try #require(MetricsTests.value(families, Name.firstSlot, ["entry": "payroll"])) + shift
            let ordersSuccess = try #require(MetricsTests.value(families, Name.lastSuccess, ["entry": "orders"])) + shift
            #expect(MetricsTests.value(families, Name.lastSuccess, ["entry": "payroll"]) == nil, "payroll never succeeded")
            #expect(MetricsTests.value(families, Name.scheduleInterval, ["entry": "payroll"]) == 3600)
            // payroll stale from firstSlot + 3h, firing 15 min later; orders stale only from ordersSuccess + 3h.
            let staleAt = firstSlot + 3 * 3600 + 20 * 60
            try #require(staleAt < ordersSuccess + 3 * 3600, "the run's timing leaves no moment where only payroll is stale")
            try #require(staleAt > t)

            var series: [String] = []
            let minutes = Int((staleAt + 3600) / 60)
            let before = Int(t / 60)
            for family in families.values where [Name.slots, Name.lastSuccess, Name.firstSlot, Name.scheduleInterval].contains(family.name) {
                for sample in family.samples {
                    var value = sample.value
                    if family.name == Name.lastSuccess || family.name == Name.firstSlot { value += shift }
                    let labels = (sample.labels.merging(["job": "node"]) { $1 }).sorted { $0.key < $1.key }
                        .map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ",")
                    let values = family.type == "counter"
                        ? "0x\(before) \(Int(value))x\(minutes - before)" : "\(Int(value))x\(minutes)"
                    series.append("      - series: '\(sample.name){\(labels)}'\n        values: '\(values)'")
                }
            }
            func alerts(_ name: String, at seconds: Double, _ entries: [String], severity: String, annotations: (String) -> (String, String)) -> String {
                var text = "      - eval_time: \(Int(seconds / 60))m\n        alertname: \(name)\n        exp_alerts:"
                if entries.isEmpty { return text + " []\n" }
                for entry in entries {
                    let (summary, description) = annotations(entry)
                    text += "\n          - exp_labels: { severity: \(severity), entry: \(entry), job: node }\n"
                    text += "            exp_annotations: { summary: \"\(summary)\", description: \"\(description)\" }"
                }
                return text + "\n"
            }
            let failing = { (e: String) in
                ("RDS backups of entry \(e) are failing",
                 "A slot of entry \(e) failed in the last six hours and none completed; see: rds-backupd history \(e)")
            }
            let stale = { (e: String) in
                ("RDS backup entry \(e) has no recent successful backup",
                 "No backup of entry \(e) completed within two schedule intervals plus an hour; see: rds-backupd status, journalctl -u rds-backupd")
            }
            let test = """
                rule_files:
                  - \(Self.rules.path)
                evaluation_interval: 1m
                tests:
                  - interval: 1m
                    input_series:
                \(series.joined(separator: "\n"))
                    alert_rule_test:
                \(alerts("RDSBackupFailing", at: t + 600, ["payroll"], severity: "warning", annotations: failing))\
                \(alerts("RDSBackupMissed", at: t + 600, [], severity: "warning", annotations: failing))\
                \(alerts("RDSBackupStale", at: t + 600, [], severity: "critical", annotations: stale))\
                \(alerts("RDSBackupStale", at: staleAt, ["payroll"], severity: "critical", annotations: stale))
                """
            let file = URL(fileURLWithPath: TestScratch.path("rules-real-run.test.yml"))
            try test.write(to: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: file) }
            let result = try await Self.run(promtool, ["test", "rules", file.path])
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)\n\(test)")
        }
    }

    @Test func promtoolFindsNothingToCriticiseInTheExportedMetrics() async throws {
        guard let promtool = try Self.promtool() else { return }
        try await ServiceHarness.with(configure: { $0.backupDuration = 30 }) { h in
            let recorder = MetricsRecorder()
            _ = try await MetricsTests.runService(h, recorder: recorder)
            let file = URL(fileURLWithPath: TestScratch.path("metrics.prom"))
            try recorder.render().write(to: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: file) }
            // `promtool check metrics` reads stdin; through sh so the file is its input.
            let result = try await BinaryRunner.runProcess(
                executable: URL(fileURLWithPath: "/bin/sh"), arguments: ["-c", "\"$0\" check metrics < \"$1\"", promtool.path, file.path],
                environment: nil, timeout: .seconds(60))
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            #expect(result.stdout.isEmpty && result.stderr.isEmpty, "promtool check metrics: \(result.stdout)\(result.stderr)")
        }
    }
}
