import Foundation
import RDSClient
import RDSSimulator
import RDSTestSupport
import Testing

@testable import BackupScheduler

/// The Prometheus metrics: what the service records, the textfile and the loopback listener.
@Suite struct MetricsTests {
    typealias Name = MetricsRecorder.Name

    /// Two hourly entries on a manual clock for 2 h 10 m: `orders` completes twice (its first create
    /// answered 503 once, so retried), `payroll` backs up a read replica and fails twice; both have
    /// ping URLs with tokens that must not leak.
    static func runService(_ h: ServiceHarness, recorder: MetricsRecorder) async throws -> (end: Date, schedule: Schedule) {
        let simulatorClock = h.simulator.clock
        let clock = ManualServiceClock(start: simulatorClock.now(), autoAdvance: false) { simulatorClock.set($0) }
        let start = clock.now()
        let schedule = try h.schedule(backups: """
              - alias: orders
                instance_id: \(SimulatorFixture.orders)
                cron: "0 * * * *"
                alert: { failure: "https://hc.example.com/ping/tok-metrics-77/fail" }
                retention: { keep_last: 1 }
              - alias: payroll
                instance_id: \(SimulatorFixture.replica)
                cron: "30 * * * *"
                alert: { failure: "https://hc.example.com/ping/tok-metrics-77/fail" }
            """)
        recorder.prime(schedule: schedule, store: h.store, now: start)
        var configuration = BackupService.Configuration()
        configuration.observer = recorder
        h.simulator.inject(.serverError(status: 503), on: .createBackup, count: 1)
        let driver = try await ServiceDriver.start(h, clock: clock, schedule: schedule, configuration: configuration)
        await driver.run(until: start.addingTimeInterval(2 * 3600 + 600))
        let end = clock.now()
        try await driver.stop()
        return (end, schedule)
    }

    static func value(_ families: [String: PrometheusTextParser.Family], _ name: String, _ labels: [String: String]) -> Double? {
        let base = ["_bucket", "_count", "_sum"].first { name.hasSuffix($0) }.map { String(name.dropLast($0.count)) }
        let family = families[name] ?? base.flatMap { families[$0] }
        return family?.samples.first { $0.name == name && $0.labels == labels }?.value
    }

    @Test func theServiceRecordsOutcomesRetriesLatencyAndTimesAndTheTextParsesBack() async throws {
        try await ServiceHarness.with(configure: { $0.backupDuration = 30 }) { h in
            let recorder = MetricsRecorder()
            let (end, schedule) = try await Self.runService(h, recorder: recorder)
            let text = recorder.render()
            let families = try PrometheusTextParser.parse(text)

            let orders = ["entry": "orders"], payroll = ["entry": "payroll"]
            #expect(Self.value(families, Name.slots, ["entry": "orders", "outcome": "completed"]) == 2)
            #expect(Self.value(families, Name.slots, ["entry": "orders", "outcome": "failed"]) == 0)
            #expect(Self.value(families, Name.slots, ["entry": "payroll", "outcome": "failed"]) == 2)
            #expect(Self.value(families, Name.slots, ["entry": "payroll", "outcome": "missed"]) == 0)
            #expect(Self.value(families, Name.backupsCreated, orders) == 2)
            #expect(Self.value(families, Name.backupsCompleted, orders) == 2)
            #expect(Self.value(families, Name.backupsFailed, payroll) == 2)
            #expect(Self.value(families, Name.backupsCreated, payroll) == 0)
            #expect(Self.value(families, Name.backupsPruned, orders) == 1)
            #expect(Self.value(families, Name.retries, ["entry": "orders", "error_class": "transient"]) == 1)
            #expect(families[Name.slots]?.type == "counter")
            #expect(families[Name.apiDuration]?.type == "histogram")
            let calls = Self.value(families, Name.apiDuration + "_count", ["operation": "instance"]) ?? 0
            #expect(calls >= 4)
            #expect(Self.value(families, Name.apiDuration + "_count", ["operation": "list_backups"]) ?? 0 >= 2)
            #expect(Self.value(families, Name.apiDuration + "_count", ["operation": "show_backup"]) ?? 0 >= 2)
            // Creates (BackupCreator) and deletes (Pruner) are timed too: orders' two creates and one prune.
            #expect(Self.value(families, Name.apiDuration + "_count", ["operation": "create_backup"]) ?? 0 >= 2)
            #expect(Self.value(families, Name.apiDuration + "_count", ["operation": "delete_backup"]) == 1)

            // Last success: when the second orders backup completed; next slot: the queued run times.
            let completed = try h.store.allSlots().filter { $0.entry == "orders" && $0.state == .completed }.compactMap(\.finishedAt).max()
            let lastSuccess = try #require(Self.value(families, Name.lastSuccess, orders))
            #expect(abs(lastSuccess - (try #require(completed)).timeIntervalSince1970) < 1)
            #expect(Self.value(families, Name.lastSuccess, payroll) == nil)
            // After a restart the gauge comes back from the state, so an age alert keeps working.
            let restarted = MetricsRecorder()
            restarted.prime(schedule: schedule, store: h.store)
            let primed = try PrometheusTextParser.parse(restarted.render())
            #expect(Self.value(primed, Name.lastSuccess, orders) == lastSuccess)
            #expect(Self.value(primed, Name.slots, ["entry": "payroll", "outcome": "failed"]) == 0)
            #expect(families[Name.lastSuccess]?.type == "gauge")
            let nextOrders = try #require(schedule.entries[0].nextSlot(after: end))
            #expect(Self.value(families, Name.nextSlot, orders) == schedule.entries[0].runTime(of: nextOrders).timeIntervalSince1970)
            #expect(Self.value(families, Name.nextSlot, payroll) != nil)

            // Every family says what it is (# HELP), and the version is there to alert on mixed fleets.
            for family in families.values {
                #expect(family.help == MetricsRecorder.help[family.name] && family.help?.isEmpty == false, "\(family.name): \(family.help ?? "no HELP")")
            }
            #expect(Self.value(families, Name.buildInfo, ["version": RDSClientVersion.current]) == 1)
            #expect(families[Name.buildInfo]?.type == "gauge")
            // An entry that never succeeded still has a time to count staleness from: its first slot
            // after it was first seen (payroll: the first :30 of the run), and the schedule's spacing.
            let payrollSeen = try #require(try h.store.firstSeenTimes()["payroll"])
            let firstPayroll = try #require(schedule.entries[1].nextSlot(after: payrollSeen))
            #expect(Self.value(families, Name.firstSlot, payroll) == schedule.entries[1].runTime(of: firstPayroll).timeIntervalSince1970)
            #expect(Self.value(families, Name.scheduleInterval, payroll) == 3600)
            #expect(Self.value(families, Name.scheduleInterval, orders) == 3600)
        }
    }

    @Test func anEntryNeverSeenCountsFromItsNextSlot() throws {
        // Primed before the service noted the entry (first start): its first slot is the next one after now.
        let recorder = MetricsRecorder(version: "9.9.9-test")
        let schedule = try Schedule.parse(yaml: """
            cloud: { region: eu-de, project_id: 0483b6b16e954cb88930a360d2c4e663, auth: env }
            backups:
              - { alias: fresh, instance_id: \(SimulatorFixture.orders), cron: "0 2 * * *", timezone: UTC }
            """, fileName: "schedule.yaml", now: Date())
        let directory = TestScratch.path("rds-metrics-fresh")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try StateStore(directory: directory)
        let now = Date(timeIntervalSince1970: 1_800_000_000)  // 2027-01-15T08:00:00Z
        recorder.prime(schedule: schedule, store: store, now: now)
        let families = try PrometheusTextParser.parse(recorder.render())
        #expect(Self.value(families, Name.firstSlot, ["entry": "fresh"]) == 1_800_064_800)  // 2027-01-16T02:00:00Z
        #expect(Self.value(families, Name.scheduleInterval, ["entry": "fresh"]) == 86_400)
        #expect(Self.value(families, Name.lastSuccess, ["entry": "fresh"]) == nil)
        #expect(Self.value(families, Name.buildInfo, ["version": "9.9.9-test"]) == 1)
    }

    @Test func noSecretOrURLEverBecomesALabel() async throws {
        try await ServiceHarness.with(configure: { $0.backupDuration = 30 }) { h in
            let recorder = MetricsRecorder()
            _ = try await Self.runService(h, recorder: recorder)
            let text = recorder.render()
            #expect(!text.contains("tok-metrics-77") && !text.contains("http") && !text.contains("hc.example.com"))
            #expect(!text.contains(h.fixture.configuration.users[0].password.reveal()))
            let families = try PrometheusTextParser.parse(text)
            let allowed: Set<String> = ["entry", "outcome", "error_class", "operation", "le", "version"]
            let allowedValues = Set(["orders", "payroll", RDSClientVersion.current] + SlotObservation.Kind.allCases.map(\.rawValue) + ErrorClass.allCases.map(\.rawValue) + ["instance", "list_backups", "show_backup", "create_backup", "delete_backup"])
            for family in families.values {
                #expect(family.name.hasPrefix("rds_backupd_"))
                for sample in family.samples {
                    #expect(Set(sample.labels.keys).isSubset(of: allowed), "\(sample)")
                    for (key, value) in sample.labels where key != "le" {
                        #expect(allowedValues.contains(value), "\(sample.name) \(key)=\(value)")
                    }
                }
            }
        }
    }

    @Test func theTextfileIsWrittenAtomicallyReadableAndParsesBack() async throws {
        let directory = TestScratch.path("rds-metrics")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/rds_backupd.prom"
        let recorder = MetricsRecorder()
        let textfile = MetricsTextfile(path: path, recorder: recorder, logger: CapturedLogs().logger())
        let task = Task { await textfile.run() }
        let record = SlotRecord(
            entry: "orders", instanceID: SimulatorFixture.orders, slotAt: Date(timeIntervalSince1970: 1_800_000_000),
            runAt: Date(timeIntervalSince1970: 1_800_000_000), now: Date(timeIntervalSince1970: 1_800_000_000))
        recorder.slot(SlotObservation(.completed, record: record, alert: nil, at: Date(timeIntervalSince1970: 1_800_000_100)))

        // Rewritten after the change (bounded wait for the writer task; generous for sanitizer builds).
        let deadline = ContinuousClock.now + .seconds(30)
        var text = ""
        while ContinuousClock.now < deadline {
            text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            if text.contains(Name.lastSuccess) { break }
            try await Task.sleep(for: .milliseconds(2))
        }
        let families = try PrometheusTextParser.parse(text)
        #expect(Self.value(families, Name.lastSuccess, ["entry": "orders"]) == 1_800_000_100)
        #expect(Self.value(families, Name.slots, ["entry": "orders", "outcome": "completed"]) == 1)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o644)
        task.cancel()
        await task.value
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["rds_backupd.prom"])

        // A missing directory is an error the writer reports, not a crash.
        let lost = MetricsTextfile(path: directory + "/missing/x.prom", recorder: recorder, logger: CapturedLogs().logger())
        #expect(throws: (any Error).self) { try lost.write() }
    }

    @Test func theLoopbackListenerServesTheSameMetricsAndRefusesOtherAddresses() async throws {
        let recorder = MetricsRecorder()
        let record = SlotRecord(
            entry: "orders", instanceID: SimulatorFixture.orders, slotAt: Date(timeIntervalSince1970: 1_800_000_000),
            runAt: Date(timeIntervalSince1970: 1_800_000_000), now: Date(timeIntervalSince1970: 1_800_000_000))
        recorder.slot(SlotObservation(.failed, record: record, alert: nil, at: Date(timeIntervalSince1970: 1_800_000_100)))
        recorder.apiCall(operation: "instance", duration: .milliseconds(42))
        let listener = MetricsListener(address: LoopbackAddress(host: "127.0.0.1", port: 0), recorder: recorder, logger: CapturedLogs().logger())
        let port = try await listener.start()
        var quick = HTTPTransport.Configuration()
        quick.connectTimeout = .milliseconds(500)
        let transport = try HTTPTransport(configuration: quick, environment: [:])
        do {
            let response = try await transport.send(HTTPRequestSpec(method: .GET, url: "http://127.0.0.1:\(port)/metrics", headers: []))
            #expect(response.status == 200)
            #expect(response.headers.first(name: "Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
            let body = String(decoding: response.body, as: UTF8.self)
            #expect(body == recorder.render())
            let families = try PrometheusTextParser.parse(body)
            #expect(Self.value(families, Name.backupsFailed, ["entry": "orders"]) == 1)
            #expect(Self.value(families, Name.apiDuration + "_bucket", ["operation": "instance", "le": "0.05"]) == 1)
            #expect(Self.value(families, Name.apiDuration + "_bucket", ["operation": "instance", "le": "0.025"]) == 0)

            let other = try await transport.send(HTTPRequestSpec(method: .GET, url: "http://127.0.0.1:\(port)/", headers: []))
            #expect(other.status == 404)
            let post = try await transport.send(HTTPRequestSpec(method: .POST, url: "http://127.0.0.1:\(port)/metrics", headers: []))
            #expect(post.status == 405)
        } catch {
            try? await transport.shutdown()
            await listener.stop()
            throw error
        }
        await listener.stop()
        // Closed: the port no longer answers.
        await #expect(throws: TransportFailure.self) {
            _ = try await transport.send(HTTPRequestSpec(method: .GET, url: "http://127.0.0.1:\(port)/metrics", headers: []))
        }
        try await transport.shutdown()

        let wide = MetricsListener(address: LoopbackAddress(host: "0.0.0.0", port: 0), recorder: recorder, logger: CapturedLogs().logger())
        await #expect(throws: MetricsListenerError.self) { try await wide.start() }
    }

    @Test func theTextParserRejectsWhatPrometheusRejects() {
        let bad = [
            "a_total 1",  // no final newline
            "# TYPE a counter\na 1\n# TYPE a counter\n",
            "a{b=\"1\"} 1\nc 2\na{b=\"2\"} 3\n",  // interleaved
            "a 1\na 2\n",  // duplicate series
            "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
            "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",
            "1a 1\n", "a{b=\"x} 1\n", "a one\n", "# TYPE c counter\nc -1\n",
        ]
        for text in bad {
            #expect(throws: PrometheusTextParser.ParseError.self, "\(text)") { try PrometheusTextParser.parse(text) }
        }
        #expect(throws: Never.self) {
            try PrometheusTextParser.parse("# HELP a The a.\n# TYPE a gauge\na{x=\"q\\\"\\\\\"} 1.5e9\nb NaN\n")
        }
    }
}
