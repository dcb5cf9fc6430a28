import Foundation
import RDSClient
import RDSSimulator
import RDSTestSupport
import Testing

@testable import BackupScheduler

/// `select:` entries in the running service against the simulator over loopback, on a manual
/// clock: refresh on schedule, instances appearing and vanishing, failures, collisions.
@Suite struct FleetRefreshTests {
    static let shopA = SimulatedInstance(id: "aa000000000000000000000000000000in01", name: "shop-a", engine: .mysql, version: "8.0", tags: ["backup": "daily"])
    static let shopB = SimulatedInstance(id: "bb000000000000000000000000000000in03", name: "shop-b", engine: .postgreSQL, version: "13", tags: ["backup": "daily"])
    static let shopC = SimulatedInstance(id: "cc000000000000000000000000000000in01", name: "shop-c", engine: .mysql, version: "8.0", tags: ["backup": "weekly"])
    static let shopD = SimulatedInstance(id: "dd000000000000000000000000000000in01", name: "shop-d", engine: .mysql, version: "8.0", tags: ["backup": "daily"])
    static let shopReplica = SimulatedInstance(
        id: "ee000000000000000000000000000000in01", name: "shop-a-replica", engine: .mysql, version: "8.0", type: .replica,
        tags: ["backup": "daily"])

    static let fleetEntry = """
          - alias: fleet
            select: { name: "shop-*", tags: { backup: daily } }
            refresh: 15m
            cron: "0 * * * *"
            name: "{alias}-{instance_name}-{slot:%Y%m%d-%H%M}"
        """

    static func start(
        _ h: ServiceHarness, schedule: Schedule, clock: ManualServiceClock
    ) async throws -> ServiceDriver {
        let store = h.store, client = h.client, logger = h.logs.logger()
        let gate = APIGate(maxConcurrent: 4, requestsPerSecond: 1000, clock: clock)
        let service = BackupService(
            schedule: schedule, store: store, clock: clock, logger: logger,
            makeRunner: { _ in
                SlotRunner(client: client, store: store, gate: gate, clock: clock, logger: logger, pollInterval: .seconds(10), random: { 0.5 })
            },
            selectInstances: { entry in
                try await SelectionResolver(client: client, gate: gate).resolve(entry.selector!)
            })
        let task = Task { try await service.run() }
        let driver = ServiceDriver(service: service, clock: clock, task: task)
        await driver.settleWithRefresh()
        return driver
    }

    static func manualClock(_ h: ServiceHarness) -> ManualServiceClock {
        let simulatorClock = h.simulator.clock
        return ManualServiceClock(start: simulatorClock.now(), autoAdvance: false) { simulatorClock.set($0) }
    }

    static func withFleet(_ body: (ServiceHarness) async throws -> Void) async throws {
        try await ServiceHarness.with(configure: { $0.instances += [shopA, shopB, shopC, shopReplica] }) { h in try await body(h) }
    }

    func selectionEvents(_ h: ServiceHarness, _ word: String) -> [String] {
        h.logs.all.filter { $0.contains(BackupEvent.instanceSelectionChanged.messageID) && $0.contains(word) }
    }

    @Test func refreshAddsAppearingInstancesAtTheirNextSlotAndStopsVanishedOnesWithoutTouchingTheOthers() async throws {
        try await Self.withFleet { h in
            let clock = Self.manualClock(h)
            let start = clock.now()  // on the hour
            let driver = try await Self.start(h, schedule: try h.schedule(backups: Self.fleetEntry), clock: clock)
            #expect(await driver.service.selections["fleet"]?.map(\.instanceID) == [Self.shopA.id, Self.shopB.id])

            await driver.runWithRefresh(until: start.addingTimeInterval(3 * 3600 + 300))
            let changedAt = clock.now()
            h.simulator.addInstance(Self.shopD)
            h.simulator.removeInstance(id: Self.shopB.id)
            await driver.runWithRefresh(until: start.addingTimeInterval(6 * 3600 + 300))
            try await driver.stop()

            let slots = try h.store.allSlots()
            func slotTimes(_ instance: SimulatedInstance) -> [TimeInterval] {
                slots.filter { $0.instanceID == instance.id }.map { $0.slotAt.timeIntervalSince(start) }.sorted()
            }
            // The instance that stays: every hour once, none lost, none twice, all completed.
            #expect(slotTimes(Self.shopA) == (1...6).map { TimeInterval($0 * 3600) })
            #expect(slots.filter { $0.instanceID == Self.shopA.id }.allSatisfy { $0.state == .completed && $0.entry == "fleet@\(Self.shopA.id)" })
            #expect(Set(h.backups(instance: Self.shopA.id).map(\.name)).count == 6)
            #expect(h.backups(instance: Self.shopA.id).count == 6)
            // The vanished one stops at the refresh that saw it gone (≤ 15 min later); its history stays.
            #expect(slotTimes(Self.shopB) == [3600, 7200, 10_800])
            // The new one starts at its first slot after the refresh that found it.
            let firstD = try #require(slotTimes(Self.shopD).first)
            #expect(firstD > changedAt.timeIntervalSince(start))
            #expect(slotTimes(Self.shopD) == [14_400, 18_000, 21_600] as [TimeInterval])
            let format = DateFormatter()
            format.timeZone = TimeZone(identifier: "UTC")
            format.dateFormat = "yyyyMMdd-HHmm"
            #expect(h.backups(instance: Self.shopD.id).map(\.name).sorted().first == "fleet-shop-d-" + format.string(from: start.addingTimeInterval(4 * 3600)))
            // Never the untagged one or the replica.
            #expect(slotTimes(Self.shopC).isEmpty)
            #expect(slotTimes(Self.shopReplica).isEmpty)
            // One journal entry per change.
            #expect(selectionEvents(h, "now matches entry fleet").count == 3)
            #expect(selectionEvents(h, "no longer matches entry fleet").count == 1)
            #expect(selectionEvents(h, Self.shopB.id).count == 2)
        }
    }

    @Test func aFailedRefreshKeepsTheLastSelectionAndTriesAgainSooner() async throws {
        try await Self.withFleet { h in
            let clock = Self.manualClock(h)
            let start = clock.now()
            let driver = try await Self.start(h, schedule: try h.schedule(backups: Self.fleetEntry), clock: clock)
            await driver.runWithRefresh(until: start.addingTimeInterval(600))
            // The next instance list is the refresh at :15; it fails, and so does its retry at :20.
            h.simulator.removeInstance(id: Self.shopB.id)
            h.simulator.inject(.serverError(status: 503), on: .listInstances, count: 2)
            await driver.runWithRefresh(until: start.addingTimeInterval(16 * 60))
            #expect(await driver.service.selections["fleet"]?.map(\.instanceID) == [Self.shopA.id, Self.shopB.id])
            #expect(await driver.service.currentSchedule.entries.count == 2)
            let failures = h.logs.all.filter { $0.contains(BackupEvent.selectionRefreshFailed.messageID) }
            #expect(failures.count == 1)
            #expect(failures.first?.contains("keeping the last known 2 instances, trying again in 5m") == true)
            await driver.runWithRefresh(until: start.addingTimeInterval(21 * 60))
            #expect(h.logs.all.filter { $0.contains(BackupEvent.selectionRefreshFailed.messageID) }.count == 2)
            #expect(await driver.service.selections["fleet"]?.count == 2)
            // The one at :25 succeeds and drops B.
            await driver.runWithRefresh(until: start.addingTimeInterval(26 * 60))
            #expect(await driver.service.selections["fleet"]?.map(\.instanceID) == [Self.shopA.id])
            try await driver.stop()
        }
    }

    @Test func aRestartStartsFromTheKnownStreamsBeforeAnyAPICall() async throws {
        try await Self.withFleet { h in
            let clock = Self.manualClock(h)
            let schedule = try h.schedule(backups: Self.fleetEntry)
            let first = try await Self.start(h, schedule: schedule, clock: clock)
            try await first.stop()
            #expect(try h.store.knownStreams()["fleet"]?.map(\.instanceID).sorted() == [Self.shopA.id, Self.shopB.id])
            // The API is down for the next start: the streams are still there.
            h.simulator.inject(.serverError(status: 503), on: .listInstances, count: 1)
            let second = try await Self.start(h, schedule: schedule, clock: clock)
            #expect(await second.service.currentSchedule.entries.map(\.alias).sorted() == ["fleet@\(Self.shopA.id)", "fleet@\(Self.shopB.id)"])
            try await second.stop()
        }
    }

    @Test func aNewInstanceWhoseNamesWouldClashWithAnotherEntryIsNotAdded() async throws {
        try await Self.withFleet { h in
            let clock = Self.manualClock(h)
            // `orders` renders "fleet-shop-a-…" by hand: shop-a's stream would render the same names.
            let schedule = try h.schedule(backups: Self.fleetEntry + """

                  - alias: orders
                    instance_id: \(SimulatorFixture.orders)
                    cron: "0 * * * *"
                    name: "fleet-shop-a-{slot:%Y%m%d-%H%M}"
                """)
            let driver = try await Self.start(h, schedule: schedule, clock: clock)
            #expect(await driver.service.selections["fleet"]?.map(\.instanceID) == [Self.shopB.id])
            #expect(h.logs.all.contains { $0.contains("instance \(Self.shopA.id) matches entry fleet but is not backed up") })
            try await driver.stop()
        }
    }

    @Test func reloadListsTheInstancesOfAChangedSelectorAtOnce() async throws {
        try await Self.withFleet { h in
            let clock = Self.manualClock(h)
            let driver = try await Self.start(h, schedule: try h.schedule(backups: Self.fleetEntry), clock: clock)
            await driver.service.replace(with: try h.schedule(backups: Self.fleetEntry.replacingOccurrences(of: "backup: daily", with: "backup: weekly")))
            await driver.settleWithRefresh()
            #expect(await driver.service.selections["fleet"]?.map(\.instanceID) == [Self.shopC.id])
            try await driver.stop()
        }
    }
}

extension ServiceDriver {
    /// `settle`, and also until no selection refresh is listing instances (it runs beside the loop).
    func settleWithRefresh() async {
        while true {
            await settle()
            if await !service.refreshInFlight {
                await settle()
                if await !service.refreshInFlight { return }
            }
            try? await Task.sleep(for: .milliseconds(1))
        }
    }

    /// `run(until:)` that lets every refresh finish before time moves on.
    func runWithRefresh(until date: Date) async {
        await run(until: date, settling: { await $0.settleWithRefresh() })
    }
}
