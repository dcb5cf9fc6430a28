import Foundation
import Logging
import RDSTestSupport

@testable import BackupScheduler

/// Runs a `BackupService` on a manual clock: time moves only when every task is waiting on the
/// clock (quiescent), straight to the next deadline, so days of schedule pass in milliseconds
/// and nothing races.
struct ServiceDriver {
    let service: BackupService
    let clock: ManualServiceClock
    let task: Task<Void, any Error>

    /// Builds a service on `harness` (its clock must be manual, not auto-advancing) and starts it.
    static func start(
        _ harness: ServiceHarness, clock: ManualServiceClock, schedule: Schedule,
        configuration: BackupService.Configuration = .init(), gate: APIGate? = nil,
        statusLines: LockedBox<[String]>? = nil, pings: LockedBox<Int>? = nil, cloud: (any CloudAPI)? = nil,
        settle settles: Bool = true
    ) async throws -> ServiceDriver {
        let store = harness.store
        let client: any CloudAPI = cloud ?? harness.client
        let logger = harness.logs.logger()
        let sharedGate = gate ?? APIGate(maxConcurrent: 4, requestsPerSecond: 1000, clock: clock)
        var notifications = ServiceNotifications()
        notifications.watchdog = { pings?.update { $0 += 1 } }
        notifications.status = { line in statusLines?.update { $0.append(line) } }
        let service = BackupService(
            schedule: schedule, store: store, clock: clock, logger: logger, configuration: configuration,
            makeRunner: { _ in
                SlotRunner(client: client, store: store, gate: sharedGate, clock: clock, logger: logger, pollInterval: .seconds(10), random: { 0.5 })
            },
            notifications: notifications)
        let task = Task { try await service.run() }
        let driver = ServiceDriver(service: service, clock: clock, task: task)
        if settles { await driver.settle() }
        return driver
    }

    /// Waits until the loop and every running slot sleep on the clock, and the service waits for
    /// a wall step (so a `stepWall` right after is noticed).
    func settle() async {
        while true {
            let started = await service.isStarted
            let active = await service.activeSlots
            if started && clock.sleeperCount == active + 1 && clock.wallStepWaiterCount >= 1 {
                // Re-check after letting other tasks run: quiescence must be stable.
                try? await Task.sleep(for: .milliseconds(1))
                if await service.activeSlots == active && clock.sleeperCount == active + 1 { return }
            }
            try? await Task.sleep(for: .milliseconds(1))
        }
    }

    /// Lets time pass until `date`, jumping from deadline to deadline; `settle` decides when all
    /// is quiet before each jump (`settle()` unless given).
    func run(until date: Date, settling settle: ((ServiceDriver) async -> Void)? = nil) async {
        let settle = settle ?? { await $0.settle() }
        while true {
            await settle(self)
            guard let next = clock.nextDeadline, next <= date else { break }
            clock.advance(to: next)
        }
        clock.advance(to: date)
        await settle(self)
    }

    /// Stops the service and waits for `run()` to return.
    func stop() async throws {
        await service.requestStop()
        try await task.value
    }
}
