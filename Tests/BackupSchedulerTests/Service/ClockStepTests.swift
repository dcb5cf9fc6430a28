import Foundation
import RDSClient
import RDSSimulator
import RDSTestSupport
import Testing

@testable import BackupScheduler

/// Two clocks: a step of the wall clock (NTP, a VM resume) moves slot instants only; every wait,
/// rate limit, watchdog interval and completion window runs on the monotonic clock.
@Suite struct ClockStepTests {
    @Test func aBackwardWallStepWhileACallWaitsOnTheRateLimiterDoesNotStallIt() async throws {
        let clock = ManualServiceClock(start: Date(timeIntervalSince1970: 1_800_000_000), autoAdvance: false)
        let gate = APIGate(maxConcurrent: 4, requestsPerSecond: 1, burst: 1, clock: clock)
        let startedAt = clock.monotonicNow()
        try await gate.perform {}
        let done = LockedBox(false)
        let waiting = Task {
            try await gate.perform {}
            done.set(true)
        }
        // The second call waits one second for its token; the wall clock steps back an hour meanwhile.
        try await pollUntil("the second call waits for its token") { clock.sleeperCount == 1 }
        #expect(clock.nextMonotonicDeadline == startedAt.advanced(by: .seconds(1)))
        clock.stepWall(by: -3600)
        clock.advance(by: Duration.seconds(1))
        try await waiting.value
        #expect(done.get())
        // A third call, after the step, waits one second as well, not an hour.
        let third = Task { try await gate.perform {} }
        try await pollUntil("the third call waits for its token") { clock.sleeperCount == 1 }
        #expect(clock.nextMonotonicDeadline == startedAt.advanced(by: .seconds(2)))
        clock.advance(by: Duration.seconds(1))
        try await third.value
        #expect(clock.monotonicNow() == startedAt.advanced(by: .seconds(2)))
    }

    @Test func watchdogPingsKeepTheirCadenceAcrossABackwardAndAForwardStep() async throws {
        var configuration = BackupService.Configuration()
        configuration.watchdogInterval = .seconds(15)
        let pings = LockedBox(0)
        try await ServiceHarness.withServiceOnManualClock(
            backups: Self.entry(cron: "0 2 1 1 *"), configuration: configuration, pings: pings
        ) { h, driver in
            let clock = driver.clock
            #expect(pings.get() == 1, "at start")
            func pass(_ seconds: Int) async {
                clock.advance(by: Duration.seconds(seconds))
                await driver.settle()
            }
            await pass(15)
            #expect(pings.get() == 2)
            clock.stepWall(by: -3600)
            await driver.settle()
            await pass(14)
            #expect(pings.get() == 2, "not before the interval ended")
            await pass(1)
            #expect(pings.get() == 3, "15 s after the last ping, whatever the wall clock says")
            clock.stepWall(by: 7200)
            await driver.settle()
            await pass(14)
            #expect(pings.get() == 3, "a forward step does not ping early")
            await pass(1)
            #expect(pings.get() == 4)
            await pass(15)
            #expect(pings.get() == 5)
            try await driver.stop()
        }
    }

    @Test(arguments: [7200.0, -3600.0])
    func aWallStepWhileFollowingNeitherEndsNorStretchesTheCompletionWindow(step: TimeInterval) async throws {
        try await ServiceHarness.withServiceOnManualClock(
            backupDuration: 60, backups: Self.entry(cron: "5 8 * * *", extra: "completion_window: 10m")
        ) { h, driver in
            let clock = driver.clock
            let runAt = try #require(await driver.service.queuedSlots.first?.runAt)
            await driver.run(until: runAt.addingTimeInterval(1))
            #expect(try h.store.allSlots().map(\.state) == [.created], "the backup is being followed")
            // The wall clock jumps; the cloud (the simulator) keeps true time.
            clock.stepWall(by: step)
            await driver.run(until: clock.now().addingTimeInterval(120))
            try await driver.stop()
            let slot = try #require(try h.store.allSlots().first)
            #expect(slot.state == .completed, "\(slot.note ?? "")")
            #expect(h.createRequests() == 1)
            #expect(!h.logs.all.contains { $0.contains("when the completion window") })
        }
    }

    /// A slot whose calls wait on the rate limiter when the wall clock steps: each call still
    /// waits its interval on the monotonic clock, the slot completes, and nothing else runs.
    @Test(arguments: [7200.0, -3600.0])
    func aWallStepWhileASlotWaitsOnTheRateLimiterNeitherStallsNorHurriesIt(step: TimeInterval) async throws {
        try await ServiceHarness.withServiceOnManualClock(
            backups: Self.entry(cron: "5 8 * * *"),
            gate: { APIGate(maxConcurrent: 4, requestsPerSecond: 0.1, burst: 1, clock: $0) }
        ) { h, driver in
            let clock = driver.clock
            let runAt = try #require(await driver.service.queuedSlots.first?.runAt)
            clock.advance(to: runAt)
            await driver.settle()
            // The instance check took the one token; the list check waits ten seconds for the next.
            let waitingUntil = try #require(clock.nextMonotonicDeadline)
            #expect(clock.monotonicNow().duration(to: waitingUntil) == .seconds(10))
            clock.stepWall(by: step)
            await driver.settle()
            let requests = h.simulator.requests().count
            clock.advance(by: clock.monotonicNow().duration(to: waitingUntil) - .milliseconds(1))
            await driver.settle()
            #expect(h.simulator.requests().count == requests, "not before its token")
            clock.advance(by: Duration.milliseconds(1))
            await driver.settle()
            #expect(h.simulator.requests().count == requests + 1, "when its token comes, whatever the wall clock says")
            await driver.run(until: clock.now().addingTimeInterval(300))
            try await driver.stop()
            #expect(try h.store.allSlots().map(\.state) == [.completed])
            #expect(h.createRequests() == 1)
            #expect(h.logs.all.contains { $0.contains("the wall clock was stepped \(step > 0 ? "forward by 2h" : "back by 1h")") })
        }
    }

    /// While a slot waits between attempts, the wall clock jumps past its start window: the
    /// window is a length of time, so the retries go on and the backup is made.
    @Test func aForwardStepDuringRetriesDoesNotCloseTheStartWindow() async throws {
        try await ServiceHarness.withServiceOnManualClock(backups: Self.entry(cron: "5 8 * * *", extra: "start_window: 10m")) { h, driver in
            let clock = driver.clock
            _ = try await Self.runUntilTheFirstCreateFailed(h, driver, failures: 3)
            clock.stepWall(by: 7200)
            await driver.run(until: clock.now().addingTimeInterval(300))
            try await driver.stop()
            let slot = try #require(try h.store.allSlots().first)
            #expect(slot.state == .completed, "\(slot.errorMessage ?? slot.note ?? "")")
            #expect(h.backups().count == 1)
            #expect(try h.store.allSlots().count == 1, "no other slot fell due")
        }
    }

    /// The wall clock steps an hour back while a slot retries: its start window still ends
    /// after its length (here 2 minutes), not an hour later.
    @Test func aBackwardStepDuringRetriesDoesNotStretchTheStartWindow() async throws {
        try await ServiceHarness.withServiceOnManualClock(backups: Self.entry(cron: "5 8 * * *", extra: "start_window: 2m")) { h, driver in
            let clock = driver.clock
            let runAt = try await Self.runUntilTheFirstCreateFailed(h, driver, failures: 100)
            clock.stepWall(by: -3600)
            // Backoffs of 5, 10, 20 and 40 s (jitter 0.5): the next, 80 s, would end past the window.
            await driver.run(until: clock.now().addingTimeInterval(178))
            try await driver.stop()
            let slot = try #require(try h.store.allSlots().first)
            #expect(slot.state == .failed)
            #expect(slot.errorMessage?.contains("the start window closed") == true, "\(slot.errorMessage ?? "")")
            #expect(h.createRequests() == 5)
            #expect(try #require(slot.finishedAt).timeIntervalSince(runAt) < 120 - 3600, "failed within the window's 2 minutes")
        }
    }

    /// Makes the next `failures` creates fail with a 503 and runs the service until two seconds
    /// after its first slot's run time (returned): the first create has failed and the slot waits
    /// 5 s (10 s with jitter 0.5) to try again.
    static func runUntilTheFirstCreateFailed(_ h: ServiceHarness, _ driver: ServiceDriver, failures: Int) async throws -> Date {
        h.simulator.inject(.serverError(status: 503), on: .createBackup, count: failures)
        let runAt = try #require(await driver.service.queuedSlots.first?.runAt)
        await driver.run(until: runAt.addingTimeInterval(2))
        #expect(h.logs.all.contains { $0.contains("HTTP 503") && $0.contains(" in 5.0s") }, "the first create failed and waits")
        return runAt
    }

    /// The YAML of the entry `orders` (the simulator's HA MySQL instance) on `cron`.
    static func entry(cron: String, extra: String = "") -> String {
        var text = """
              - alias: orders
                instance_id: \(SimulatorFixture.orders)
                cron: "\(cron)"
            """
        if !extra.isEmpty { text += "\n" + extra.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") }
        return text
    }
}

/// After a step of the wall clock the service re-plans: forward as start-up catch-up does, back
/// without running anything twice. The kernel tells of a step at once (a timerfd: the manual
/// clock's `stepWall`); a step nobody tells of (libfaketime: `unnoticed`) is seen by the loop's
/// re-check within 5 minutes.
@Suite struct ForwardStepTests {
    @Test(arguments: [false, true])
    func aForwardStepRunsOnlyTheNewestDueSlotAndRecordsTheOthersMissed(unnoticed: Bool) async throws {
        try await ServiceHarness.withServiceOnManualClock(backups: ClockStepTests.entry(cron: "*/10 * * * *")) { h, driver in
            let clock = driver.clock
            let runAt = try #require(await driver.service.queuedSlots.first?.runAt)
            await driver.run(until: runAt.addingTimeInterval(120))
            #expect(try h.store.allSlots().map(\.state) == [.completed])
            // Two hours ahead: twelve slots fell due at once; one create, not a burst.
            clock.stepWall(by: 7200, unnoticed: unnoticed)
            await driver.settle()
            if unnoticed {
                #expect(h.createRequests() == 1, "nobody told of the step")
                // The idle loop's one wake-up is its re-check, at most 5 minutes after its last pass.
                let recheck = try #require(clock.nextMonotonicDeadline)
                #expect(clock.monotonicNow().duration(to: recheck) <= .seconds(300))
                clock.advance(by: clock.monotonicNow().duration(to: recheck) - .milliseconds(1))
                await driver.settle()
                #expect(h.createRequests() == 1, "not seen before the re-check")
                clock.advance(by: Duration.milliseconds(1))
                await driver.settle()
            }
            #expect(h.createRequests() == 2, "the newest slot starts at once when the step is told, at the re-check otherwise")
            await driver.run(until: clock.now().addingTimeInterval(60))
            try await driver.stop()
            let states = try h.store.allSlots().sorted { $0.slotAt < $1.slotAt }.map(\.state)
            #expect(states.first == .completed)
            #expect(states.last == .completed)
            #expect(states.dropFirst().dropLast().allSatisfy { $0 == .missed })
            #expect(states.count == 13)
            #expect(h.createRequests() == 2)
            #expect(h.logs.all.filter { $0.contains("the wall clock was stepped forward by 2h") }.count == 1)
        }
    }

    @Test func aBackwardStepRunsNothingTwice() async throws {
        try await ServiceHarness.withServiceOnManualClock(backups: ClockStepTests.entry(cron: "*/10 * * * *")) { h, driver in
            let clock = driver.clock
            let runAt = try #require(await driver.service.queuedSlots.first?.runAt)
            await driver.run(until: runAt.addingTimeInterval(120))
            #expect(try h.store.allSlots().map(\.state) == [.completed])
            // An hour back: the wall clock shows the slot's time again; it must not run again.
            clock.stepWall(by: -3600)
            await driver.settle()
            #expect(h.logs.all.contains { $0.contains("the wall clock was stepped back by 1h") })
            await driver.run(until: runAt.addingTimeInterval(25 * 60))
            try await driver.stop()
            let slots = try h.store.allSlots()
            #expect(Set(slots.map(\.slotAt)).count == slots.count)
            #expect(slots.allSatisfy { $0.state == .completed })
            #expect(slots.count == 3, "the slot before the step and the two after the wall clock caught up again")
            #expect(h.createRequests() == slots.count)
        }
    }
}
