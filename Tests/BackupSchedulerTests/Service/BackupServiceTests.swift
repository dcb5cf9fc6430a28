import Foundation
import RDSClient
import RDSSimulator
import RDSTestSupport
import Testing

@testable import BackupScheduler

/// The scheduler service on a manual clock against the simulator over loopback.
@Suite struct BackupServiceTests {
    static let orders = SimulatorFixture.orders
    static let payroll = SimulatorFixture.payroll
    static let inventory = "7a0e5f3c2b1d4e6f8a9b0c1d2e3f4a5bin03"

    static func manualClock(_ h: ServiceHarness) -> ManualServiceClock {
        let simulatorClock = h.simulator.clock
        return ManualServiceClock(start: simulatorClock.now(), autoAdvance: false) { simulatorClock.set($0) }
    }

    @Test func twoDaysOfScheduleRunInMillisecondsWithOneBackupPerSlotAndPausedEntriesSkipped() async throws {
        try await ServiceHarness.with(configure: { $0.backupDuration = 30 }) { h in
            let clock = Self.manualClock(h)
            let start = clock.now()
            let schedule = try h.schedule(backups: """
                  - alias: orders
                    instance_id: \(Self.orders)
                    cron: "0 * * * *"
                    jitter: 5m
                  - alias: payroll
                    instance_id: \(Self.payroll)
                    cron: "30 */6 * * *"
                  - alias: inventory
                    instance_id: \(Self.inventory)
                    cron: "0 * * * *"
                    paused: true
                """)
            let driver = try await ServiceDriver.start(h, clock: clock, schedule: schedule)
            await driver.run(until: start.addingTimeInterval(2 * 86_400 + 600))
            try await driver.stop()

            let slots = try h.store.allSlots()
            let orders = slots.filter { $0.entry == "orders" }
            let payroll = slots.filter { $0.entry == "payroll" }
            let inventory = slots.filter { $0.entry == "inventory" }
            #expect(orders.count == 48)
            #expect(orders.allSatisfy { $0.state == .completed })
            #expect(payroll.count == 8)
            #expect(payroll.allSatisfy { $0.state == .completed })
            #expect(inventory.count == 48)
            #expect(inventory.allSatisfy { $0.state == .skipped })
            #expect(h.backups(instance: Self.orders).count == 48)
            #expect(Set(h.backups(instance: Self.orders).map(\.name)).count == 48)
            #expect(h.backups(instance: Self.payroll).count == 8)
            #expect(h.backups(instance: Self.inventory).isEmpty)
            // Stable jitter: every orders slot ran at the same offset after its cron instant.
            let offset = schedule.entries[0].jitterOffset.timeInterval
            #expect(orders.allSatisfy { $0.runAt.timeIntervalSince($0.slotAt) == offset })
            let creates = h.simulator.requests().filter { $0.route == .createBackup && $0.status == 200 }
            #expect(creates.count == 56)
            #expect(h.logs.all.filter { $0.contains("MESSAGE_ID=\(BackupEvent.slotSkipped.messageID)") }.count == 48)
        }
    }

    @Test func slotsOfOneInstanceRunOneAtATime() async throws {
        try await ServiceHarness.with(configure: { $0.backupDuration = 20 * 60 }) { h in
            let clock = Self.manualClock(h)
            let start = clock.now()
            let schedule = try h.schedule(backups: """
                  - alias: first
                    instance_id: \(Self.orders)
                    cron: "0 * * * *"
                  - alias: second
                    instance_id: \(Self.orders)
                    cron: "10 * * * *"
                """)
            let driver = try await ServiceDriver.start(h, clock: clock, schedule: schedule)
            await driver.run(until: start.addingTimeInterval(3 * 3600))
            try await driver.stop()
            let backups = h.backups(instance: Self.orders).sorted { $0.beginTime < $1.beginTime }
            #expect(backups.count == 6)
            for (earlier, later) in zip(backups, backups.dropFirst()) {
                let end = try #require(earlier.endTime)
                #expect(later.beginTime >= end, "\(later.name) began before \(earlier.name) ended")
            }
            // Serialized, so the cloud never had to refuse a second backup as "in progress".
            #expect(!h.simulator.requests().contains { $0.route == .createBackup && $0.status == 409 })
        }
    }

    @Test func catchUpRunsTheNewestSlotInsideItsWindowOnceAndRecordsOlderOnesAsMissed() async throws {
        try await ServiceHarness.with(configure: { $0.backupDuration = 30 }) { h in
            let clock = Self.manualClock(h)
            let start = clock.now()  // 08:00 UTC
            let schedule = try h.schedule(backups: """
                  - alias: orders
                    instance_id: \(Self.orders)
                    cron: "0 * * * *"
                """)
            // First life: runs the 09:00 slot, then stops.
            let first = try await ServiceDriver.start(h, clock: clock, schedule: schedule)
            await first.run(until: start.addingTimeInterval(3600 + 120))
            try await first.stop()
            #expect(try h.store.allSlots().map(\.state) == [.completed])
            // Down from 09:02 until 14:10: 10:00-13:00 are past their 1 h window, 14:00 is inside it.
            clock.advance(to: start.addingTimeInterval(6 * 3600 + 600))
            let second = try await ServiceDriver.start(h, clock: clock, schedule: schedule)
            await second.run(until: start.addingTimeInterval(6 * 3600 + 900))
            try await second.stop()
            let slots = try h.store.allSlots()
            let hours = slots.map { Int($0.slotAt.timeIntervalSince(start) / 3600) }
            #expect(hours == [1, 2, 3, 4, 5, 6])
            #expect(slots.map(\.state) == [.completed, .missed, .missed, .missed, .missed, .completed])
            #expect(h.backups().count == 2)
            let missedLines = h.logs.all.filter { $0.contains("MESSAGE_ID=\(BackupEvent.slotMissed.messageID)") }
            #expect(missedLines.count == 4, "one line per missed slot")
            #expect(await second.service.queuedSlots.first?.slot == start.addingTimeInterval(7 * 3600))
        }
    }

    @Test func aSlotLeftCreatingByACrashIsReconciledOnStartWithoutASecondBackup() async throws {
        try await ServiceHarness.with(configure: { $0.backupDuration = 30 }) { h in
            let clock = Self.manualClock(h)
            let schedule = try h.schedule(backups: """
                  - alias: orders
                    instance_id: \(Self.orders)
                    cron: "0 2 * * *"
                """)
            // The dead process: row says creating, the cloud has the backup.
            _ = try h.store.noteEntries([("orders", Self.orders)], now: clock.now())
            var row = SlotRecord(entry: "orders", instanceID: Self.orders, slotAt: clock.now(), runAt: clock.now(), now: clock.now())
            row.state = .creating
            row.name = "orders-20270115-0800"
            row.attempts = 1
            _ = try h.store.save(row, now: clock.now())
            // Sent as the dead process sent it: the slot's name and description.
            _ = try await h.client.createBackup(
                CreateBackupRequest(
                    instanceID: Self.orders, name: try BackupName("orders-20270115-0800"),
                    description: schedule.entries[0].description(for: row.slotAt)))
            let driver = try await ServiceDriver.start(h, clock: clock, schedule: schedule)
            await driver.run(until: clock.now().addingTimeInterval(300))
            try await driver.stop()
            #expect(try h.store.allSlots().map(\.state) == [.completed])
            #expect(try h.store.allSlots().map(\.ownership) == [.adopted])
            #expect(h.createRequests() == 1, "only the dead process's create")
            #expect(h.backups().count == 1)
        }
    }

    @Test func aValidReloadReplacesTheScheduleWithoutTouchingTheSlotInFlight() async throws {
        try await ServiceHarness.with(configure: { $0.backupDuration = 600 }) { h in
            let clock = Self.manualClock(h)
            let start = clock.now()
            let path = h.stateDirectory + "/schedule.yaml"
            let one = """
                  - alias: orders
                    instance_id: \(Self.orders)
                    cron: "5 * * * *"
                """
            try ServiceHarness.yaml(iamURL: h.simulator.iamURL, backups: one).write(toFile: path, atomically: true, encoding: .utf8)
            let driver = try await ServiceDriver.start(h, clock: clock, schedule: try Schedule.load(path: path, now: start))
            await driver.run(until: start.addingTimeInterval(6 * 60))  // orders 08:05 is being followed
            #expect(await driver.service.activeSlots == 1)
            let two = one + """

                  - alias: payroll
                    instance_id: \(Self.payroll)
                    cron: "30 * * * *"
                """
            try ServiceHarness.yaml(iamURL: h.simulator.iamURL, backups: two).write(toFile: path, atomically: true, encoding: .utf8)
            guard case .reloaded(entries: 2) = await driver.service.reload(path: path) else {
                Issue.record("reload refused")
                return
            }
            await driver.run(until: start.addingTimeInterval(3600 + 40 * 60))
            try await driver.stop()
            let slots = try h.store.allSlots()
            #expect(slots.filter { $0.entry == "orders" }.map(\.state) == [.completed, .completed])
            #expect(slots.filter { $0.entry == "payroll" }.map(\.state) == [.completed, .completed])
            #expect(h.logs.all.contains { $0.contains("MESSAGE_ID=\(BackupEvent.configReloaded.messageID)") })
        }
    }

    @Test func anInvalidReloadIsRejectedWholeWithLineNumbersAndTheOldScheduleStays() async throws {
        try await ServiceHarness.with(configure: { $0.backupDuration = 30 }) { h in
            let clock = Self.manualClock(h)
            let start = clock.now()
            let path = h.stateDirectory + "/schedule.yaml"
            try ServiceHarness.yaml(iamURL: h.simulator.iamURL, backups: """
                  - alias: orders
                    instance_id: \(Self.orders)
                    cron: "0 * * * *"
                """).write(toFile: path, atomically: true, encoding: .utf8)
            let statusLines = LockedBox<[String]>([])
            let driver = try await ServiceDriver.start(
                h, clock: clock, schedule: try Schedule.load(path: path, now: start), statusLines: statusLines)
            try ServiceHarness.yaml(iamURL: h.simulator.iamURL, backups: """
                  - alias: orders
                    instance_id: \(Self.orders)
                    cron: "0 0 * * * *"
                """).write(toFile: path, atomically: true, encoding: .utf8)
            let outcome = await driver.service.reload(path: path)
            guard case .rejected(let message) = outcome else {
                Issue.record("an invalid file was accepted")
                return
            }
            #expect(message.contains("schedule.yaml:"))
            #expect(message.contains(":16:"), "line number of the cron: \(message)")
            #expect(h.logs.all.contains { $0.contains("MESSAGE_ID=\(BackupEvent.configRejected.messageID)") && $0.contains("schedule.yaml:16") })
            // The old schedule goes on: 09:00 and 10:00 run.
            let rejectedAt = statusLines.get().count
            await driver.run(until: start.addingTimeInterval(2 * 3600 + 300))
            #expect(try h.store.allSlots().map(\.state) == [.completed, .completed])
            // Every status update since leads with the rejection (none replaced it), until a good reload.
            let since = Array(statusLines.get().dropFirst(rejectedAt))
            #expect(since.count >= 2, "\(since)")
            #expect(since.allSatisfy { $0.hasPrefix(BackupService.rejectedNotice) }, "\(since)")
            try ServiceHarness.yaml(iamURL: h.simulator.iamURL, backups: """
                  - alias: orders
                    instance_id: \(Self.orders)
                    cron: "0 * * * *"
                """).write(toFile: path, atomically: true, encoding: .utf8)
            guard case .reloaded = await driver.service.reload(path: path) else {
                Issue.record("the fixed file was rejected")
                return
            }
            #expect(!(await driver.service.statusLine()).hasPrefix(BackupService.rejectedNotice))
            try await driver.stop()
        }
    }

    @Test func shutdownLeavesAFollowedSlotForTheNextStartWhichFinishesItWithoutASecondCreate() async throws {
        try await ServiceHarness.with(configure: { $0.backupDuration = 3600 }) { h in
            let clock = Self.manualClock(h)
            let start = clock.now()
            let schedule = try h.schedule(backups: """
                  - alias: orders
                    instance_id: \(Self.orders)
                    cron: "5 8 * * *"
                """)
            let first = try await ServiceDriver.start(h, clock: clock, schedule: schedule)
            await first.run(until: start.addingTimeInterval(10 * 60))
            #expect(await first.service.activeSlots == 1)
            // SIGTERM: run() returns without time passing; the slot is recorded, not lost.
            let before = clock.now()
            try await first.stop()
            #expect(clock.now() == before)
            #expect(try h.store.allSlots().map(\.state) == [.created])
            #expect(h.logs.all.contains { $0.contains("MESSAGE_ID=\(BackupEvent.serviceStopping.messageID)") })

            let second = try await ServiceDriver.start(h, clock: clock, schedule: schedule)
            await second.run(until: start.addingTimeInterval(70 * 60))
            try await second.stop()
            let first5 = try #require(try h.store.allSlots().first)
            #expect(first5.state == .completed)
            #expect(h.createRequests() == 1)
        }
    }

    @Test func removingAnEntryKeepsItsRowsAndARenameIsLogged() async throws {
        try await ServiceHarness.with(configure: { $0.backupDuration = 30 }) { h in
            let clock = Self.manualClock(h)
            let start = clock.now()
            let path = h.stateDirectory + "/schedule.yaml"
            func write(_ alias: String) throws {
                try ServiceHarness.yaml(iamURL: h.simulator.iamURL, backups: """
                      - alias: \(alias)
                        instance_id: \(Self.orders)
                        cron: "0 * * * *"
                    """).write(toFile: path, atomically: true, encoding: .utf8)
            }
            try write("orders")
            let driver = try await ServiceDriver.start(h, clock: clock, schedule: try Schedule.load(path: path, now: start))
            await driver.run(until: start.addingTimeInterval(3600 + 300))
            try write("shop")
            _ = await driver.service.reload(path: path)
            await driver.run(until: start.addingTimeInterval(2 * 3600 + 300))
            try await driver.stop()
            #expect(try h.store.history(entry: "orders").count == 1)
            #expect(try h.store.history(entry: "shop").count == 1)
            #expect(h.logs.all.contains { $0.contains("if this is a rename") && $0.contains("history --entry orders") })
        }
    }

    @Test func theWatchdogIsPingedFromTheLoopAndTheStatusLineSaysWhatIsNext() async throws {
        try await ServiceHarness.with(configure: { $0.backupDuration = 30 }) { h in
            let clock = Self.manualClock(h)
            let start = clock.now()
            var configuration = BackupService.Configuration()
            configuration.watchdogInterval = .seconds(15)
            let pings = LockedBox(0)
            let lines = LockedBox<[String]>([])
            let schedule = try h.schedule(backups: """
                  - alias: orders
                    instance_id: \(Self.orders)
                    cron: "0 2 * * *"
                """)
            let driver = try await ServiceDriver.start(h, clock: clock, schedule: schedule, configuration: configuration, statusLines: lines, pings: pings)
            await driver.run(until: start.addingTimeInterval(60))
            try await driver.stop()
            #expect(pings.get() == 5, "at 0, 15, 30, 45 and 60 s")
            #expect(lines.get().first == "1 entry · next orders 02:00 UTC · last 24h: 0 ok, 0 failed · 0 missed")
        }
    }
}
