import Foundation
import OffsiteCopy
import RDSClient
import RDSSimulator
import RDSTestSupport
import Synchronization
import Testing

/// The copy engine over loopback against the simulator's backup-files route and object storage.
@Suite struct CopyEngineTests {
    @Test func aCompletedBackupArrivesByteIdenticalAndItsManifestVerifies() async throws {
        try await CopyFixture.with { copy in
            let result = try await copy.engine().copy(copy.subject, into: copy.directory, links: copy.links)
            let name = "\(copy.backup.id).qp"
            #expect(copy.listing() == [name, CopyManifest.fileName])
            #expect(result.manifest.files.map(\.name) == [name])
            #expect(result.manifest.files[0].bytes == 3 * 1024 * 1024 + 123)
            #expect(result.manifest.files[0].sha256 == copy.expectedSHA256(name))
            #expect(result.manifest.files[0].md5 != nil, "the storage's ETag is the MD5, so it was checked")
            #expect(result.bytesFetched == 3 * 1024 * 1024 + 123)
            #expect(result.bytesReused == 0)
            #expect(!result.wasComplete)
            #expect(result.manifest.backupID == copy.backup.id)
            #expect(result.manifest.instanceID == SimulatorFixture.orders)
            #expect(result.manifest.engine == "MySQL")
            #expect(result.manifest.slot == copy.backup.beginTime)
            #expect(result.manifest.bucket == SimulatedObjectStorage.backupBucket)

            let report = try CopyVerifier.verify(directory: copy.directory)
            #expect(report.isIntact)
            #expect(try CopyManifest.read(from: copy.directory) == result.manifest)

            #expect(SecureFiles.mode(of: copy.directory + "/" + name) == 0o600)
            #expect(SecureFiles.mode(of: copy.directory + "/" + CopyManifest.fileName) == 0o600)
            #expect(SecureFiles.mode(of: copy.directory) == 0o700)
            #expect(SecureFiles.mode(of: copy.destination + "/orders") == 0o700)
            #expect(SecureFiles.mode(of: copy.destination) == 0o700)

            // A second run finds the manifest and fetches nothing.
            let served = copy.storage.bodyBytesServed
            let again = try await copy.engine().copy(copy.subject, into: copy.directory, links: copy.links)
            #expect(again.wasComplete)
            #expect(copy.storage.bodyBytesServed == served)
            #expect(!copy.fixture.logs.all.joined().contains("Signature="), "no download link in any log line")
        }
    }

    @Test func sqlServerFilesAllArrive() async throws {
        try await CopyFixture.with(bytes: 2 * 1024 * 1024 + 7, instance: SimulatorFixture.payroll, databases: ["hr", "pay"]) { copy in
            let result = try await copy.engine().copy(copy.subject, into: copy.directory, links: copy.links)
            #expect(result.manifest.files.map(\.name) == ["hr_\(copy.backup.id).bak", "pay_\(copy.backup.id).bak"])
            for file in result.manifest.files { #expect(file.sha256 == copy.expectedSHA256(file.name)) }
            #expect(result.manifest.totalBytes == 2 * 1024 * 1024 + 7)
            #expect(try CopyVerifier.verify(directory: copy.directory).isIntact)
        }
    }

    @Test func aMultipartETagIsNoChecksumButTheCopyIsStillHashed() async throws {
        try await CopyFixture.with { copy in
            copy.storage.md5ETagLimit = 1024
            copy.storage.inject(.corruptByte(atOffset: 5))
            let result = try await copy.engine().copy(copy.subject, into: copy.directory, links: copy.links)
            let name = "\(copy.backup.id).qp"
            #expect(copy.storedObject(name)?.etag.contains("-") == true)
            #expect(result.manifest.files[0].md5 == nil)
            // Without an MD5 to compare, a flipped byte is not seen in transit: the manifest's
            // SHA-256 is of what arrived, and differs from the stored object's.
            #expect(result.manifest.files[0].sha256 != copy.expectedSHA256(name))
        }
    }

    /// Faults after which the engine must end with a correct copy.
    static let recoverable: [StorageFault] = [
        .reset(afterBytes: 1_000_000), .truncate(afterBytes: 1_500_000), .slowBody(chunkBytes: 256 * 1024, delaySeconds: 0.005),
        .expiredLink, .unavailable, .corruptByte(atOffset: 2_000_000),
    ]

    @Test(arguments: recoverable)
    func aFaultMidStreamEndsInACorrectCopy(fault: StorageFault) async throws {
        try await CopyFixture.with { copy in
            copy.storage.inject(fault)
            let result = try await copy.engine().copy(copy.subject, into: copy.directory, links: copy.links)
            let name = "\(copy.backup.id).qp"
            #expect(result.manifest.files[0].sha256 == copy.expectedSHA256(name))
            #expect(try CopyVerifier.verify(directory: copy.directory).isIntact)
            #expect(copy.listing() == [name, CopyManifest.fileName], "no partial file left")
            #expect(copy.storage.pendingFaults == 0)
            let served = copy.storage.servedRequests()
            switch fault {
            case .reset, .truncate:
                #expect(served.count == 2)
                #expect(served[1].rangeStart != nil && served[1].rangeStart! > 0, "resumed with Range, not from the start")
                #expect(served[1].rangeStart! + served[1].bodyBytes == 3 * 1024 * 1024 + 123)
            case .expiredLink:
                #expect(result.linkRefreshes == 1)
                #expect(copy.simulator.requests().filter { $0.route == .backupFiles }.count == 2, "fresh links were asked for")
            case .unavailable:
                #expect(copy.sleeps.all == [.seconds(1)], "one back-off before the second attempt")
            case .corruptByte:
                #expect(served.count == 2)
                #expect(served[1].rangeStart == nil, "an MD5 mismatch downloads the whole file again")
            default:
                break
            }
        }
    }

    /// Faults after which no correct copy can be had: a recorded failure, never a wrong file.
    static let unrecoverable: [(fault: StorageFault, count: Int, kind: CopyError.Kind)] = [
        (.wrongLength(byBytes: 4096), 1, .content),
        (.wrongLength(byBytes: -4096), 1, .content),
        (.corruptByte(atOffset: 10), 2, .content),
        (.expiredLink, 10, .transfer),
        (.unavailable, 10, .transfer),
        (.reset(afterBytes: 0), 10, .transfer),
    ]

    @Test(arguments: 0..<unrecoverable.count)
    func aPersistentFaultEndsInARecordedFailureAndNoFinalFile(index: Int) async throws {
        let (fault, count, kind) = Self.unrecoverable[index]
        try await CopyFixture.with { copy in
            copy.storage.inject(fault, count: count)
            let error = await #expect(throws: CopyError.self) {
                try await copy.engine().copy(copy.subject, into: copy.directory, links: copy.links)
            }
            #expect(error?.kind == kind, "\(fault): \(String(describing: error))")
            #expect(error?.file == "\(copy.backup.id).qp")
            #expect(!(error?.description.contains("Signature") ?? true))
            let left = copy.listing()
            #expect(!left.contains("\(copy.backup.id).qp"), "no file under its final name")
            #expect(!left.contains(CopyManifest.fileName))
            if kind == .content { #expect(left.isEmpty, "the wrong bytes were removed") }
        }
    }

    @Test func anExpiredLinkOnTheSimulatorClockIsReplacedBeforeDownloading() async throws {
        try await CopyFixture.with { copy in
            copy.storage.linkLifetime = 60
            // Links handed out now expire before the engine uses them.
            let stale = try await copy.client.backupFiles(backupID: copy.backup.id)
            copy.simulator.clock.advance(by: 120)
            // The first list the engine gets is the stale one; asked again, it gets fresh links.
            let calls = Mutex(0)
            let fresh = copy.links
            let result = try await copy.engine().copy(copy.subject, into: copy.directory) { @Sendable in
                calls.withLock { $0 += 1; return $0 } == 1 ? stale : try await fresh()
            }
            #expect(result.linkRefreshes == 1)
            #expect(calls.withLock { $0 } == 2)
            #expect(copy.storage.servedRequests().allSatisfy { $0.status != 403 }, "the stale link was never sent")
            #expect(try CopyVerifier.verify(directory: copy.directory).isIntact)
        }
    }

    @Test func anEngineStoppedMidFileIsFinishedByTheNextFetchingOnlyTheMissingBytes() async throws {
        let total: Int64 = 6 * 1024 * 1024 + 99
        try await CopyFixture.with(bytes: total) { copy in
            let name = "\(copy.backup.id).qp"
            // The first engine stops (as a SIGKILL would) once 2 MiB are on disk; the slow body
            // keeps the transfer going while it is stopped.
            copy.storage.inject(.slowBody(chunkBytes: 128 * 1024, delaySeconds: 0.002))
            let stop = Mutex<(task: Task<CopyEngine.Result, any Error>?, reached: Bool)>((nil, false))
            let first = copy.engine(progress: { _, onDisk in
                if onDisk >= 2 * 1024 * 1024 { stop.withLock { $0.reached = true; $0.task?.cancel() } }
            })
            let subject = copy.subject
            let directory = copy.directory
            let links = copy.links
            let task = Task { try await first.copy(subject, into: directory, links: links) }
            stop.withLock {
                $0.task = task
                if $0.reached { task.cancel() }
            }
            await #expect(throws: CancellationError.self) { try await task.value }
            let partialPath = copy.directory + "/" + name + ".partial"
            let onDisk = try #require((try FileManager.default.attributesOfItem(atPath: partialPath)[.size] as? NSNumber)?.int64Value)
            #expect(onDisk >= 2 * 1024 * 1024 && onDisk < total)
            #expect(copy.listing() == [name + ".partial"], "nothing looks complete")

            let servedBefore = copy.storage.bodyBytesServed
            let result = try await copy.engine().copy(copy.subject, into: copy.directory, links: copy.links)
            #expect(copy.storage.bodyBytesServed - servedBefore == total - onDisk, "only the missing bytes were fetched again")
            #expect(result.bytesFetched == total - onDisk)
            #expect(result.bytesReused == onDisk)
            #expect(copy.storage.servedRequests().last?.rangeStart == onDisk)
            #expect(result.manifest.files[0].sha256 == copy.expectedSHA256(name))
            #expect(try CopyVerifier.verify(directory: copy.directory).isIntact)
        }
    }

    @Test func aFileRenamedBeforeTheManifestIsTakenAsItIs() async throws {
        try await CopyFixture.with { copy in
            _ = try await copy.engine().copy(copy.subject, into: copy.directory, links: copy.links)
            // As if the process died between the rename and the manifest.
            try FileManager.default.removeItem(atPath: copy.directory + "/" + CopyManifest.fileName)
            let served = copy.storage.bodyBytesServed
            let result = try await copy.engine().copy(copy.subject, into: copy.directory, links: copy.links)
            #expect(copy.storage.bodyBytesServed == served)
            #expect(result.bytesFetched == 0)
            #expect(try CopyVerifier.verify(directory: copy.directory).isIntact)
        }
    }

    @Test func theBandwidthCapPacesTheTransfer() async throws {
        try await CopyFixture.with(bytes: 4 * 1024 * 1024) { copy in
            let rate: Int64 = 1024 * 1024
            _ = try await copy.engine({ $0.bandwidthBytesPerSecond = rate }).copy(copy.subject, into: copy.directory, links: copy.links)
            // 4 MiB at 1 MiB/s with a 256 KiB burst: 3.75 s of waiting on a clock that moves
            // only while the engine waits.
            let waited = copy.sleeps.total.seconds
            #expect(abs(waited - 3.75) < 0.01, "\(waited)")
            #expect(copy.sleeps.all.allSatisfy { $0 <= .milliseconds(100) }, "paced in small steps, not one long wait")
            #expect(try CopyVerifier.verify(directory: copy.directory).isIntact)
        }
    }

    @Test func aTamperedCopyFailsVerification() async throws {
        try await CopyFixture.with { copy in
            let result = try await copy.engine().copy(copy.subject, into: copy.directory, links: copy.links)
            let path = copy.directory + "/" + result.manifest.files[0].name
            let handle = try #require(FileHandle(forUpdatingAtPath: path))
            try handle.seek(toOffset: 1000)
            try handle.write(contentsOf: Data([0x00, 0x01, 0x02]))
            try handle.close()
            #expect(try CopyVerifier.verify(directory: copy.directory).files.map(\.status) != [.ok])
            if case .wrongHash = try CopyVerifier.verify(directory: copy.directory).files[0].status {} else { Issue.record("not a hash mismatch") }
            try FileHandle(forUpdatingAtPath: path)?.truncate(atOffset: 10)
            #expect(try CopyVerifier.verify(directory: copy.directory).files[0].status == .wrongSize(actual: 10))
            try FileManager.default.removeItem(atPath: path)
            #expect(try CopyVerifier.verify(directory: copy.directory).files[0].status == .missing)
        }
    }

    @Test func aBadManifestIsAClearErrorNamingTheFileAndField() throws {
        let directory = TestScratch.path("manifest")
        try SecureFiles.makeDirectory(directory)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/" + CopyManifest.fileName
        try Data(#"{"format": 1, "backup_id": "x", "files": [{"name": "a", "bytes": "many"}]}"#.utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: CopyError.self) { try CopyManifest.read(from: directory) }
        #expect(error?.description.hasPrefix(path + ": ") == true, "\(String(describing: error))")
        #expect(error?.kind == .manifest)
        try Data(#"{"format": 1, "backup_id": "x", "backup_name": "n", "instance_id": "i", "files": [{"name": "../etc", "bytes": 1, "sha256": "00"}], "copy_started_at": "2026-12-06T00:00:00Z", "copy_completed_at": "2026-12-06T00:00:00Z"}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        let unsafe = #expect(throws: CopyError.self) { try CopyManifest.read(from: directory) }
        #expect(unsafe?.description.contains("files[0].name") == true, "\(String(describing: unsafe))")
    }
}

extension StorageFault: CustomTestStringConvertible {
    public var testDescription: String { description }
}
