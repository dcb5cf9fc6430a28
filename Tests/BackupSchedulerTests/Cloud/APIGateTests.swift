import Foundation
import RDSClient
import RDSTestSupport
import Testing

@testable import BackupScheduler

/// The API gate on its own.
@Suite struct APIGateTests {
    @Test func theTokenBucketAllowsABurstThenTheRate() async throws {
        let clock = ManualServiceClock(start: Date(timeIntervalSince1970: 0))
        let gate = APIGate(maxConcurrent: 10, requestsPerSecond: 5, clock: clock)
        var times: [TimeInterval] = []
        for _ in 0..<8 {
            times.append(try await gate.perform { clock.now().timeIntervalSince1970 })
        }
        #expect(times.map { ($0 * 10).rounded() / 10 } == [0, 0, 0, 0, 0, 0.2, 0.4, 0.6])
    }

    @Test func noMoreThanMaxConcurrentCallsRunAtOnce() async throws {
        let clock = ManualServiceClock(start: Date(timeIntervalSince1970: 0))
        let gate = APIGate(maxConcurrent: 2, requestsPerSecond: 1000, clock: clock)
        let release = ShutdownSignal()
        let entered = LockedBox(0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<5 {
                group.addTask {
                    try await gate.perform {
                        entered.update { $0 += 1 }
                        await release.wait()
                    }
                }
            }
            while entered.get() < 2 { await Task.yield() }
            try await Task.sleep(for: .milliseconds(20))
            #expect(entered.get() == 2, "the other three wait for a permit")
            release.fire()
            try await group.waitForAll()
        }
        let counters = await gate.counters()
        #expect(counters.peak == 2)
        #expect(counters.started == 5)
        #expect(counters.inFlight == 0)
    }
}


/// The one decorator every scheduler call to the cloud goes through.
@Suite struct GatedCloudTests {
    /// A cloud answering every operation at once, counting them.
    final class CountingCloud: CloudAPI, @unchecked Sendable {
        let calls = LockedBox(0)
        func instance(id: String) async throws -> Instance? { calls.update { $0 += 1 }; return nil }
        func listInstances(_ query: InstanceQuery, tagged tags: [InstanceTag]) async throws -> [Instance] { calls.update { $0 += 1 }; return [] }
        func tags(ofInstance id: String) async throws -> [InstanceTag] { calls.update { $0 += 1 }; return [] }
        func listBackups(_ query: BackupQuery) async throws -> [Backup] { calls.update { $0 += 1 }; return [] }
        func backup(id: String, instanceID: String) async throws -> Backup? { calls.update { $0 += 1 }; return nil }
        func createBackup(_ request: CreateBackupRequest) async throws -> Backup {
            calls.update { $0 += 1 }
            return Backup(id: "b1", instanceID: request.instanceID, name: request.name.value, status: .building)
        }
        func deleteBackup(id: String) async throws -> Bool { calls.update { $0 += 1 }; return true }
    }

    /// Records the operation label of every timed call.
    final class LabelRecorder: APICallObserver, @unchecked Sendable {
        let labels = LockedBox<[String]>([])
        func apiCall(operation: String, duration: Duration) { labels.update { $0.append(operation) } }
    }

    @Test func everyOperationWaitsForTheGateAndIsTimedUnderItsLabel() async throws {
        let clock = ManualServiceClock(start: Date(timeIntervalSince1970: 0))
        let gate = APIGate(maxConcurrent: 1, requestsPerSecond: 1000, clock: clock)
        let base = CountingCloud()
        let recorder = LabelRecorder()
        let cloud = GatedCloud(base, gate: gate, observer: recorder)
        let name = try BackupName("orders-1")
        _ = try await cloud.instance(id: "i1")
        _ = try await cloud.listInstances(InstanceQuery(), tagged: [])
        _ = try await cloud.tags(ofInstance: "i1")
        _ = try await cloud.listBackups(BackupQuery(instanceID: "i1", type: .manual))
        _ = try await cloud.backup(id: "b1", instanceID: "i1")
        _ = try await cloud.createBackup(CreateBackupRequest(instanceID: "i1", name: name))
        _ = try await cloud.deleteBackup(id: "b1")
        _ = try await cloud.manualBackup(named: name, instanceID: "i1", window: nil)
        #expect(base.calls.get() == 8)
        #expect(await gate.counters().started == 8, "no call skipped the gate")
        #expect(recorder.labels.get() == [
            "instance", "list_instances", "instance_tags", "list_backups", "show_backup", "create_backup", "delete_backup",
            "list_backups",
        ])
    }

    @Test func withoutAGateCallsAreStillTimed() async throws {
        let recorder = LabelRecorder()
        let cloud = GatedCloud(CountingCloud(), observer: recorder)
        _ = try await cloud.instance(id: "i1")
        #expect(recorder.labels.get() == ["instance"])
    }
}
