import Foundation
import RDSClient
import RDSTestSupport
import Testing

@testable import BackupScheduler

/// "Stop means stop": after SIGTERM the service returns within the shutdown timeout plus the
/// cancellation grace whatever is in flight, and an unfinished slot stays recorded for the next start.
@Suite struct ShutdownBoundTests {
    /// Also when the wall clock steps back or ahead meanwhile: the bound is on the monotonic clock.
    @Test(arguments: [0.0, -3600.0, 7200.0])
    func aSlotStalledInACreateThatNeverAnswersDoesNotHoldTheServiceBeyondTheBound(wallStep: TimeInterval) async throws {
        try await ServiceHarness.with { h in
            let clock = BackupServiceTests.manualClock(h)
            let schedule = try h.schedule(backups: """
                  - alias: orders
                    instance_id: \(SimulatorFixture.orders)
                    cron: "5 8 * * *"
                """)
            let stall = StallingCreates(base: h.client)
            var configuration = BackupService.Configuration()
            configuration.shutdownTimeout = .seconds(30)
            configuration.cancellationGrace = .seconds(5)
            let driver = try await ServiceDriver.start(h, clock: clock, schedule: schedule, configuration: configuration, cloud: stall)
            let returned = LockedBox(false)
            let watcher = Task {
                _ = try? await driver.task.value
                returned.update { $0 = true }
            }
            defer { watcher.cancel() }

            // The slot starts and its create never answers (and ignores cancellation).
            let runAt = try #require(await driver.service.queuedSlots.first?.runAt)
            clock.advance(to: runAt)
            try await pollUntil("the create is sent") { stall.entered }
            #expect(try h.store.allSlots().map(\.state) == [.creating])

            let stoppedAt = clock.now()
            let stoppedAtMonotonic = clock.monotonicNow()
            await driver.service.requestStop()
            clock.stepWall(by: wallStep)
            // It waits the shutdown timeout on the service clock...
            try await pollUntil("the shutdown timeout is waited for") { clock.nextMonotonicDeadline == stoppedAtMonotonic.advanced(by: .seconds(30)) }
            #expect(!returned.get())
            clock.advance(by: 30)
            // ...then cancels the slot and waits the grace, and then stops without it.
            try await pollUntil("the cancellation grace is waited for") { clock.nextMonotonicDeadline == stoppedAtMonotonic.advanced(by: .seconds(35)) }
            #expect(!returned.get())
            clock.advance(by: 5)
            try await pollUntil("run() returns") { returned.get() }
            #expect(clock.monotonicNow() == stoppedAtMonotonic.advanced(by: .seconds(35)))
            #expect(abs(clock.now().timeIntervalSince(stoppedAt) - 35 - wallStep) < 0.001)
            #expect(stall.answered == false)
            // The unfinished slot is recorded for the next start, which settles it by listing first.
            #expect(try h.store.allSlots().map(\.state) == [.creating])
            #expect(try h.store.unfinished().count == 1)
            #expect(h.logs.all.contains { $0.contains("slots still running after the shutdown timeout are cancelled") })
            #expect(h.logs.all.contains { $0.contains("1 slot did not end within 5s of being cancelled") })
            stall.release()
        }
    }

    @Test func boundedWaitLeavesWorkThatNeverEndsBehind() async throws {
        let clock = ManualServiceClock(start: Date(timeIntervalSince1970: 1_800_000_000), autoAdvance: false)
        let never = StallingCreates.Gate()
        let result = LockedBox<Bool?>(nil)
        let waiter = Task {
            let ended = await BoundedWait.run(atMost: .seconds(10), on: clock) { await never.wait() }
            result.update { $0 = ended }
        }
        try await pollUntil("the bound is waited for") { clock.sleeperCount == 1 }
        #expect(result.get() == nil)
        clock.advance(by: 10)
        try await pollUntil("the wait returns") { result.get() != nil }
        #expect(result.get() == false)
        never.open()
        await waiter.value

        let quick = await BoundedWait.run(atMost: .seconds(10), on: clock) {}
        #expect(quick)
    }
}

/// Polls `condition` every millisecond for at most 20 s of real time (a bound, never a wait for
/// the service clock), failing the test when it does not become true.
func pollUntil(_ what: String, _ condition: @escaping @Sendable () async throws -> Bool) async throws {
    let limit = ContinuousClock.now + .seconds(20)
    while ContinuousClock.now < limit {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(1))
    }
    Issue.record("timed out waiting until \(what)")
    throw CancellationError()
}

/// A cloud whose creates never answer and ignore cancellation (a call the network swallowed);
/// every other call goes to `base`.
final class StallingCreates: CloudAPI, @unchecked Sendable {
    /// A door that stays shut until `open()`; waiting on it ignores cancellation.
    final class Gate: @unchecked Sendable {
        private let lock = NSLock()
        private var isOpen = false
        private var waiters: [CheckedContinuation<Void, Never>] = []

        func wait() async {
            await withCheckedContinuation { continuation in
                let now: Bool = lock.withLock {
                    if isOpen { return true }
                    waiters.append(continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        }

        func open() {
            let woken: [CheckedContinuation<Void, Never>] = lock.withLock {
                isOpen = true
                defer { waiters = [] }
                return waiters
            }
            for continuation in woken { continuation.resume() }
        }
    }

    let base: any CloudAPI
    private let door = Gate()
    private let lock = NSLock()
    private var didEnter = false
    private var didAnswer = false

    init(base: any CloudAPI) { self.base = base }

    var entered: Bool { lock.withLock { didEnter } }
    var answered: Bool { lock.withLock { didAnswer } }

    /// Lets the stalled creates end (with an error), so the test leaves nothing suspended.
    func release() { door.open() }

    func instance(id: String) async throws -> Instance? { try await base.instance(id: id) }
    func listInstances(_ query: InstanceQuery, tagged tags: [InstanceTag]) async throws -> [Instance] {
        try await base.listInstances(query, tagged: tags)
    }
    func tags(ofInstance id: String) async throws -> [InstanceTag] { try await base.tags(ofInstance: id) }
    func listBackups(_ query: BackupQuery) async throws -> [Backup] { try await base.listBackups(query) }
    func backup(id: String, instanceID: String) async throws -> Backup? { try await base.backup(id: id, instanceID: instanceID) }
    func deleteBackup(id: String) async throws -> Bool { try await base.deleteBackup(id: id) }

    func createBackup(_ request: CreateBackupRequest) async throws -> Backup {
        lock.withLock { didEnter = true }
        await door.wait()
        lock.withLock { didAnswer = true }
        throw CancellationError()
    }
}
