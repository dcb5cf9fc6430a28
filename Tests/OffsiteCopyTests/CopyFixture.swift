import Crypto
import Foundation
import OffsiteCopy
import RDSClient
import RDSSimulator
import RDSTestSupport

/// A simulator holding one completed backup whose files sit in its object storage, a client, and
/// an engine that never waits on the wall clock between attempts.
struct CopyFixture {
    let fixture: SimulatorFixture
    let client: RDSAPIClient
    let backup: SimulatedBackup
    let destination: String
    /// Waits the engine asked for (retries, bandwidth cap), instead of sleeping.
    let sleeps = Recorded<Duration>()

    var simulator: RDSSimulator { fixture.simulator }
    var storage: SimulatedObjectStorage { fixture.simulator.objectStorage }
    var directory: String { destination + "/orders/" + backup.id }

    var subject: CopySubject {
        CopySubject(
            backupID: backup.id, backupName: backup.name, instanceID: backup.instanceID, instanceName: "orders", engine: "MySQL",
            entry: "orders", slot: backup.beginTime, backupTime: backup.beginTime)
    }

    var links: CopyEngine.LinkSource {
        let client = client
        let id = backup.id
        return { try await client.backupFiles(backupID: id) }
    }

    /// Runs `body` against a simulator whose backup of `instance` has `bytes` bytes of files.
    static func with<T>(
        bytes: Int64 = 3 * 1024 * 1024 + 123, instance: String = SimulatorFixture.orders, databases: [String]? = nil,
        _ body: (CopyFixture) async throws -> T
    ) async throws -> T {
        try await SimulatorFixture.with { fixture in
            fixture.simulator.objectStorage.backupBytes = bytes
            let now = fixture.simulator.clock.now()
            let backup = SimulatedBackup(
                id: "0f" + String(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(30)) + "br01",
                instanceID: instance, name: "orders-20261206-0200", databases: databases, status: .completed,
                beginTime: now.addingTimeInterval(-900), endTime: now.addingTimeInterval(-600), sizeKB: Int(bytes / 1024))
            fixture.simulator.addBackup(backup)
            let copy = CopyFixture(fixture: fixture, client: try fixture.client(), backup: backup, destination: TestScratch.path("copies"))
            defer { try? FileManager.default.removeItem(atPath: copy.destination) }
            return try await body(copy)
        }
    }

    func engine(
        _ configure: (inout CopyEngine.Configuration) -> Void = { _ in },
        progress: (@Sendable (String, Int64) -> Void)? = nil
    ) -> CopyEngine {
        var configuration = CopyEngine.Configuration()
        configure(&configuration)
        let sleeps = sleeps
        let clock = simulator.clock
        return CopyEngine(
            transport: fixture.transport, configuration: configuration, logger: fixture.logs.logger(), now: { clock.now() },
            sleep: { sleeps.append($0) }, uptime: { sleeps.total.seconds }, progress: progress)
    }

    /// The object behind a listed file, as the storage holds it.
    func storedObject(_ name: String) -> SimulatedObjectStorage.StoredObject? {
        storage.object(key: "\(backup.instanceID)/\(backup.id)/\(name)")
    }

    /// Hex SHA-256 of what a correct copy of the stored object holds.
    func expectedSHA256(_ name: String) -> String? {
        guard let object = storedObject(name) else { return nil }
        var hasher = SHA256()
        var offset: Int64 = 0
        while offset < object.content.size {
            let piece = object.content.bytes(offset..<min(object.content.size, offset + (1 << 20)))
            hasher.update(data: piece)
            offset += Int64(piece.count)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Names in the copy's directory.
    func listing() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }
}

/// Values appended from any task.
final class Recorded<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])
    func append(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }
}

extension Recorded where Value == Duration {
    /// The time that passed on a clock that moves only when the engine sleeps.
    var total: Duration { all.reduce(.zero, +) }
}

extension Duration {
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}

import Synchronization
