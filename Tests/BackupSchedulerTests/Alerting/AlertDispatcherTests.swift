import Foundation
import Logging
import RDSClient
import RDSSimulator
import RDSTestSupport
import Testing

@testable import BackupScheduler

/// Pings and the failure command, end to end: the slot runner and the service against the
/// simulator over loopback, the pings to a local HTTP receiver on loopback.
@Suite struct AlertDispatcherTests {
    /// A dispatcher whose retries do not wait, running in a task of its own.
    struct Running {
        let dispatcher: AlertDispatcher
        let task: Task<Void, Never>

        static func start(logger: Logger, attempts: Int = 3, timeout: Duration = .seconds(5)) throws -> Running {
            var configuration = PingSender.Configuration()
            configuration.attempts = attempts
            configuration.timeout = timeout
            let sender = try PingSender(configuration: configuration, environment: [:], sleep: { _ in })
            let dispatcher = AlertDispatcher(sender: sender, runner: FailureCommandRunner(environment: ["PATH": "/usr/bin:/bin"]), logger: logger)
            return Running(dispatcher: dispatcher, task: Task { await dispatcher.run() })
        }

        /// Lets queued alerts go out, then ends the loops.
        func finish() async {
            dispatcher.finish()
            await task.value
        }
    }

    static func alertYAML(_ receiver: PingReceiver, command: String? = nil) -> String {
        var text = """
            alert:
              start: \(receiver.url("/ping/tok-start-5f2a"))
              success: \(receiver.url("/ping/tok-success-5f2a"))
              failure: \(receiver.url("/ping/tok-failure-5f2a"))
            """
        if let command { text += "\n  command: \(command)" }
        return text
    }

    @Test func startSuccessFailureAndMissedEachPingTheirURLWithAShortBodyAndNoSecret() async throws {
        let receiver = try await PingReceiver.start()
        defer { Task { await receiver.stop() } }
        let directory = TestScratch.path("rds-alert")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await ServiceHarness.with { h in
            let running = try Running.start(logger: h.logs.logger())
            let command = "[/bin/sh, -c, 'env > \"$0/$RDS_EVENT.env\"', \(directory)]"
            let entry = try h.ordersEntry("retry: { attempts: 2, initial: 1s, max: 1s }\n" + Self.alertYAML(receiver, command: command))
            var runner = h.runner()
            runner.observer = running.dispatcher

            // A slot that completes: start, then success.
            let done = await runner.run(try h.claim(entry), entry: entry)
            #expect(done.state == .completed)
            // A slot whose create fails twice with 500: retries exhausted, failure ping and command.
            h.simulator.inject(.serverError(status: 500), on: .createBackup, count: 10)
            let failed = await runner.run(try h.claim(entry, slotAt: h.clock.now().addingTimeInterval(60)), entry: entry)
            #expect(failed.state == .failed)
            h.simulator.clearFaults()
            // A slot that could not start within its start window: missed, failure ping and command.
            let missed = await runner.run(try h.claim(entry, slotAt: h.clock.now().addingTimeInterval(-7200)), entry: entry)
            #expect(missed.state == .missed)
            await running.finish()

            let received = await receiver.waitFor(5)
            #expect(received.map(\.path) == [
                "/ping/tok-start-5f2a", "/ping/tok-success-5f2a", "/ping/tok-start-5f2a", "/ping/tok-failure-5f2a",
                "/ping/tok-failure-5f2a",
            ])
            #expect(received.allSatisfy { $0.method == "POST" && $0.contentType?.hasPrefix("text/plain") == true })
            let slot = RFC3339.formatUTC(done.slotAt)
            #expect(received[1].body.contains("rds-backupd: slot completed\nentry: orders\ninstance: \(SimulatorFixture.orders)\nslot: \(slot)\n"))
            let failure = received[3].body
            #expect(failure.contains("rds-backupd: slot failed\nentry: orders\n"))
            #expect(failure.contains("slot: \(RFC3339.formatUTC(failed.slotAt))"))
            #expect(failure.contains("error code: \(try #require(failed.errorCode))"))
            #expect(failure.contains("request id: \(try #require(failed.requestID))"))
            #expect(failure.contains("message: "))
            #expect(received[4].body.contains("rds-backupd: slot missed\n"))
            #expect(received[4].body.contains("slot: \(RFC3339.formatUTC(missed.slotAt))"))
            for item in received {
                #expect(!item.body.contains("tok-") && !item.body.contains("http"))
                #expect(item.body.utf8.count < 1024)
            }
            let password = h.fixture.configuration.users[0].password.reveal()
            #expect(!received.contains { $0.body.contains(password) })

            // The command ran for the failure and for the miss, with the details in RDS_* variables.
            let failedEnv = try Self.environment(directory + "/failed.env")
            #expect(failedEnv["RDS_ENTRY"] == "orders")
            #expect(failedEnv["RDS_INSTANCE_ID"] == SimulatorFixture.orders)
            #expect(failedEnv["RDS_SLOT"] == RFC3339.formatUTC(failed.slotAt))
            #expect(failedEnv["RDS_ERROR_CODE"] == failed.errorCode)
            #expect(failedEnv["RDS_REQUEST_ID"] == failed.requestID)
            #expect(failedEnv["RDS_ATTEMPT"] == "\(failed.attempts)")
            #expect(failedEnv["RDS_EVENT"] == "failed")
            let missedEnv = try Self.environment(directory + "/missed.env")
            #expect(missedEnv["RDS_EVENT"] == "missed")
            #expect(missedEnv["RDS_SLOT"] == RFC3339.formatUTC(missed.slotAt))
            #expect(h.logs.all.contains { $0.contains("alert command /bin/sh exited with status 0") })
            #expect(!h.logs.all.contains { $0.contains("tok-") })
        }
    }

    @Test func aDeadReceiverDoesNotDelayTheNextSlot() async throws {
        let receiver = try await PingReceiver.start(.silent)
        defer { Task { await receiver.stop() } }
        try await ServiceHarness.with(configure: { $0.backupDuration = 30 }) { h in
            // A ping timeout far longer than the test: if a slot waited for a ping, it would stall.
            let running = try Running.start(logger: h.logs.logger(), timeout: .seconds(60))
            let simulatorClock = h.simulator.clock
            let clock = ManualServiceClock(start: simulatorClock.now(), autoAdvance: false) { simulatorClock.set($0) }
            let start = clock.now()
            let schedule = try h.schedule(backups: """
                  - alias: orders
                    instance_id: \(SimulatorFixture.orders)
                    cron: "0 * * * *"
                \(Self.alertYAML(receiver).split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
                """)
            var configuration = BackupService.Configuration()
            configuration.observer = running.dispatcher
            let began = ContinuousClock.now
            let driver = try await ServiceDriver.start(h, clock: clock, schedule: schedule, configuration: configuration)
            await driver.run(until: start.addingTimeInterval(3 * 3600 + 600))
            try await driver.stop()
            let elapsed = ContinuousClock.now - began

            // Three hourly slots ran to completion while the first ping (of three) still hangs.
            let slots = try h.store.allSlots().filter { $0.entry == "orders" }
            #expect(slots.count == 3)
            #expect(slots.allSatisfy { $0.state == .completed })
            let hanging = await receiver.waitFor(1)
            #expect(hanging.map(\.path) == ["/ping/tok-start-5f2a"])
            #expect(elapsed < .seconds(30), "the schedule waited for the dead receiver: \(elapsed)")

            // Stopping does not wait for the ping's timeout either.
            let stopping = ContinuousClock.now
            running.task.cancel()
            await running.task.value
            #expect(ContinuousClock.now - stopping < .seconds(10))
        }
    }

    @Test func aRefusingReceiverIsRetriedAFewTimesAndOnlyLoggedWithoutItsToken() async throws {
        let receiver = try await PingReceiver.start(.answer(status: 503))
        defer { Task { await receiver.stop() } }
        let logs = CapturedLogs()
        let running = try Running.start(logger: logs.logger(), attempts: 3)
        let url = try #require(PingURL(receiver.url("/ping/tok-9c1e")))
        let record = SlotRecord(
            entry: "orders", instanceID: SimulatorFixture.orders, slotAt: Date(timeIntervalSince1970: 1_800_000_000),
            runAt: Date(timeIntervalSince1970: 1_800_000_000), now: Date(timeIntervalSince1970: 1_800_000_000))
        running.dispatcher.slot(SlotObservation(.started, record: record, alert: AlertSettings(start: url), at: record.runAt))
        #expect(await receiver.waitFor(3).count == 3)
        await running.finish()
        #expect(receiver.received.count == 3, "a refused ping is tried three times, no more")
        let warning = try #require(logs.all.first { $0.contains("answered with HTTP 503") })
        #expect(warning.contains("http://127.0.0.1:\(receiver.port)/<redacted>"))
        #expect(!logs.all.contains { $0.contains("tok-9c1e") })
    }

    @Test func aFullQueueDropsAlertsAtOnceAndLogsTheBurstOnce() async throws {
        let receiver = try await PingReceiver.start(.silent)
        defer { Task { await receiver.stop() } }
        let logs = CapturedLogs()
        var configuration = AlertDispatcher.Configuration()
        configuration.queueLimit = 2
        let dispatcher = AlertDispatcher(
            sender: try PingSender(environment: [:], sleep: { _ in }), runner: FailureCommandRunner(environment: [:]), logger: logs.logger(),
            configuration: configuration)
        let task = Task { await dispatcher.run() }
        let url = try #require(PingURL(receiver.url("/ping/tok-burst")))
        let began = ContinuousClock.now
        for minute in 0..<50 {
            let at = Date(timeIntervalSince1970: 1_800_000_000 + Double(minute) * 60)
            let record = SlotRecord(entry: "orders", instanceID: SimulatorFixture.orders, slotAt: at, runAt: at, now: at)
            dispatcher.slot(SlotObservation(.missed, record: record, alert: AlertSettings(failure: url), at: at))
        }
        // A queue that waited for the receiver would take 50 ping timeouts (5 s each); a bound, not a
        // timing (the parallel suite on two cores can stall this task for seconds).
        #expect(ContinuousClock.now - began < .seconds(30), "queueing must never wait")
        let drops = logs.all.filter { $0.contains("dropped") }
        #expect(drops.count == 1, "\(drops)")
        #expect(drops.first?.contains("(1 alerts dropped since start)") == true)
        #expect(!logs.all.contains { $0.contains("tok-burst") })
        task.cancel()
        await task.value
    }

    static func environment(_ path: String) throws -> [String: String] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            result[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return result
    }
}
