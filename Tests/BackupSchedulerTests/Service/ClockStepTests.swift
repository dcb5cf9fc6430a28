import Foundation
import RDSClient
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
        try await ServiceHarness.with(configure: { $0.backupDuration = 30 }) { h in
            let clock = BackupServiceTests.manualClock(h)
            var configuration = BackupService.Configuration()
            configuration.watchdogInterval = .seconds(15)
            let pings = LockedBox(0)
            let schedule = try h.schedule(backups: """
                  - alias: orders
                    instance_id: \(SimulatorFixture.orders)
                    cron: "0 2 1 1 *"
                """)
            let driver = try await ServiceDriver.start(h, clock: clock, schedule: schedule, configuration: configuration, pings: pings)
            #expect(pings.get() == 1, "at start")
            func pass(_ seconds: Int) async {
                clock.advance(by: Duration.seconds(seconds))
                await driver.settle()
            }
            await pass(15)
            #expect(pings.get() == 2)
            clock.stepWall(by: -3600)
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

    @Test func aForwardWallStepWhileFollowingDoesNotEndTheCompletionWindow() async throws {
        try await ServiceHarness.with(configure: { $0.backupDuration = 60 }) { h in
            let clock = BackupServiceTests.manualClock(h)
            let schedule = try h.schedule(backups: """
                  - alias: orders
                    instance_id: \(SimulatorFixture.orders)
                    cron: "5 8 * * *"
                    completion_window: 10m
                """)
            let driver = try await ServiceDriver.start(h, clock: clock, schedule: schedule)
            let runAt = try #require(await driver.service.queuedSlots.first?.runAt)
            await driver.run(until: runAt.addingTimeInterval(1))
            #expect(try h.store.allSlots().map(\.state) == [.created], "the backup is being followed")
            // The wall clock jumps two hours ahead; the cloud (the simulator) keeps real time.
            clock.stepWall(by: 7200)
            await driver.run(until: clock.now().addingTimeInterval(120))
            try await driver.stop()
            let slot = try #require(try h.store.allSlots().first)
            #expect(slot.state == .completed, "\(slot.note ?? "")")
            #expect(h.createRequests() == 1)
            #expect(!h.logs.all.contains { $0.contains("when the completion window") })
        }
    }
}

/// After a forward step of the wall clock the service re-plans as start-up catch-up does.
@Suite struct ForwardStepTests {
    @Test func aForwardStepRunsOnlyTheNewestDueSlotAndRecordsTheOthersMissed() async throws {
        try await ServiceHarness.with(configure: { $0.backupDuration = 30 }) { h in
            let clock = BackupServiceTests.manualClock(h)
            let schedule = try h.schedule(backups: """
                  - alias: orders
                    instance_id: \(SimulatorFixture.orders)
                    cron: "*/10 * * * *"
                """)
            let driver = try await ServiceDriver.start(h, clock: clock, schedule: schedule)
            let runAt = try #require(await driver.service.queuedSlots.first?.runAt)
            await driver.run(until: runAt.addingTimeInterval(120))
            #expect(try h.store.allSlots().map(\.state) == [.completed])
            // Two hours ahead: twelve slots fell due at once; the loop notices within its re-check
            // interval and makes one create, not a burst.
            clock.stepWall(by: 7200)
            await driver.run(until: clock.now().addingTimeInterval(360))
            try await driver.stop()
            let states = try h.store.allSlots().sorted { $0.slotAt < $1.slotAt }.map(\.state)
            #expect(states.first == .completed)
            #expect(states.last == .completed)
            #expect(states.dropFirst().dropLast().allSatisfy { $0 == .missed })
            #expect(states.count == 13)
            #expect(h.createRequests() == 2)
        }
    }

    @Test func aBackwardStepRunsNothingTwice() async throws {
        try await ServiceHarness.with(configure: { $0.backupDuration = 30 }) { h in
            let clock = BackupServiceTests.manualClock(h)
            let schedule = try h.schedule(backups: """
                  - alias: orders
                    instance_id: \(SimulatorFixture.orders)
                    cron: "*/10 * * * *"
                """)
            let driver = try await ServiceDriver.start(h, clock: clock, schedule: schedule)
            let runAt = try #require(await driver.service.queuedSlots.first?.runAt)
            await driver.run(until: runAt.addingTimeInterval(120))
            #expect(try h.store.allSlots().map(\.state) == [.completed])
            // An hour back: the wall clock shows the slot's time again; it must not run again.
            clock.stepWall(by: -3600)
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
