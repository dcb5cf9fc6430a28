import Crypto
import Foundation
import OffsiteCopy
import RDSClient
import RDSSimulator
import RDSTestSupport
import Synchronization
import Testing

@testable import BackupScheduler

/// The service copies each completed backup's files (`copy:`) on its own worker pool, over
/// loopback from the simulator's object storage: byte-identical files, a manifest that verifies,
/// the copy recorded, journalled and counted, the entry's copy retention applied after each copy,
/// and a copy stopped half-way finished by the next start with only the missing bytes fetched.
@Suite struct ServiceCopyTests {
    /// A driver whose service copies with runners on the harness's client and transport.
    static func start(
        _ h: ServiceHarness, clock: ManualServiceClock, schedule: Schedule, observer: any ServiceObserver = NoServiceObserver(),
        progress: (@Sendable (String, Int64) -> Void)? = nil, commandRunner: FailureCommandRunner = FailureCommandRunner()
    ) async throws -> ServiceDriver {
        var configuration = BackupService.Configuration()
        configuration.observer = observer
        let store = h.store
        let logger = h.logs.logger()
        let gate = APIGate(maxConcurrent: 4, requestsPerSecond: 1000, clock: clock)
        let client = h.client
        let transport = h.fixture.transport
        configuration.makeCopyRunner = { _ in
            var runner = CopyRunner(
                cloud: GatedCloud(client, gate: gate), transport: transport, store: store, clock: clock, logger: logger,
                commandRunner: commandRunner)
            runner.progress = progress
            return runner
        }
        return try await ServiceDriver.start(h, clock: clock, schedule: schedule, configuration: configuration, gate: gate)
    }

    /// Settles the service with its copies done.
    static func settleWithCopies(_ driver: ServiceDriver) async {
        await driver.service.copiesIdle()
        await driver.settle()
        await driver.service.copiesIdle()
    }

    /// Hex SHA-256 of the bytes the storage holds for `backupID`'s file.
    static func storedSHA256(_ h: ServiceHarness, instance: String, backupID: String, file: String) -> String? {
        guard let object = h.simulator.objectStorage.object(key: "\(instance)/\(backupID)/\(file)") else { return nil }
        var hasher = SHA256()
        hasher.update(data: object.content.bytes(0..<object.content.size))
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    static func mode(_ path: String) -> UInt16 {
        var info = stat()
        return stat(path, &info) == 0 ? UInt16(info.st_mode & 0o777) : 0
    }

    @Test func eachCompletedBackupIsCopiedVerifiedJournalledCountedAndKeptByTheCopyRules() async throws {
        try await ServiceHarness.with(configure: { $0.backupDuration = 60 }) { h in
            h.simulator.objectStorage.backupBytes = 300_000
            let clock = BackupServiceTests.manualClock(h)
            let start = clock.now()
            let destination = TestScratch.path("copies")
            defer { try? FileManager.default.removeItem(atPath: destination) }
            // Foreign things under the destination: a file beside the copies and a directory
            // without a manifest inside the entry's tree. Retention never touches them.
            try FileManager.default.createDirectory(atPath: destination + "/orders/not-ours", withIntermediateDirectories: true)
            try Data("keep me".utf8).write(to: URL(fileURLWithPath: destination + "/orders/not-ours/notes.txt"))
            try Data("keep me too".utf8).write(to: URL(fileURLWithPath: destination + "/README"))
            let schedule = try h.schedule(backups: """
                  - alias: orders
                    instance_id: \(BackupServiceTests.orders)
                    cron: "0 * * * *"
                    copy: { destination: \(destination), keep_last: 2 }
                  - alias: payroll
                    instance_id: \(BackupServiceTests.payroll)
                    cron: "30 * * * *"
                    copy: { destination: \(destination), keep_last: 1 }
                """)
            let metrics = MetricsRecorder()
            metrics.prime(schedule: schedule, store: h.store, now: start)
            let driver = try await Self.start(h, clock: clock, schedule: schedule, observer: metrics)
            await driver.run(until: start.addingTimeInterval(4 * 3600 + 1800), settling: Self.settleWithCopies)
            await Self.settleWithCopies(driver)
            try await driver.stop()

            let slots = try h.store.allSlots().filter { $0.entry == "orders" }.sorted { $0.slotAt < $1.slotAt }
            #expect(slots.count == 4 && slots.allSatisfy { $0.state == .completed })
            let copies = try h.store.copyHistory(entry: "orders")
            #expect(copies.count == 4)
            #expect(copies.allSatisfy { $0.state == .completed && $0.bytes == 300_000 && $0.bytesFetched == 300_000 })

            // keep_last 2: the copies of the two newest slots, whole and verified; the others gone.
            let all = CopyRetention.scan(root: destination).copies
            let kept = all.filter { $0.manifest.entry == "orders" }
            #expect(Set(kept.map(\.manifest.backupID)) == Set(slots.suffix(2).compactMap(\.backupID)))
            // payroll shares the destination with its own rule: its newest copy only, of two
            // SQL Server files (one per database); orders' copies are not its business.
            let payrollSlots = try h.store.allSlots().filter { $0.entry == "payroll" && $0.state == .completed }.sorted { $0.slotAt < $1.slotAt }
            let payrollKept = all.filter { $0.manifest.entry == "payroll" }
            #expect(payrollSlots.count >= 3)
            let keptIDs = payrollKept.map { $0.manifest.backupID }
            let completedIDs = payrollSlots.compactMap { $0.backupID }
            #expect(keptIDs == [completedIDs.last ?? "-"], "kept \(keptIDs) of \(completedIDs)")
            #expect(payrollKept.first?.manifest.files.count == 2 && payrollKept.first?.manifest.engine == "SQLServer")
            #expect(try payrollKept.allSatisfy { try CopyVerifier.verify(directory: $0.directory).isIntact })
            for copy in kept {
                let report = try CopyVerifier.verify(directory: copy.directory)
                #expect(report.isIntact)
                #expect(copy.manifest.entry == "orders" && copy.manifest.instanceName == "orders" && copy.manifest.engine == "MySQL")
                for file in copy.manifest.files {
                    #expect(file.sha256 == Self.storedSHA256(h, instance: BackupServiceTests.orders, backupID: copy.manifest.backupID, file: file.name))
                    #expect(Self.mode(copy.directory + "/" + file.name) == 0o600)
                }
                #expect(Self.mode(copy.directory) == 0o700)
            }
            for old in copies.filter({ !kept.map(\.directory).contains($0.directory) }) {
                #expect(!FileManager.default.fileExists(atPath: old.directory))
            }
            #expect(copies.count - kept.count == 2)
            #expect(FileManager.default.fileExists(atPath: destination + "/orders/not-ours/notes.txt"))
            #expect(FileManager.default.fileExists(atPath: destination + "/README"))

            let lines = h.logs.all.filter { $0.contains("RDS_ENTRY=orders") }
            func count(_ event: BackupEvent) -> Int { lines.filter { $0.contains("MESSAGE_ID=\(event.messageID)") }.count }
            #expect(count(.copyStarted) == 4 && count(.copyCompleted) == 4 && count(.copyPruned) == 2 && count(.copyFailed) == 0)
            let completed = try #require(lines.first { $0.contains("MESSAGE_ID=\(BackupEvent.copyCompleted.messageID)") })
            #expect(completed.contains("RDS_COPY_BYTES=300000") && completed.contains("/s"))
            // The links' signatures never reach a log line.
            #expect(!h.logs.all.contains { $0.contains("Signature=") || $0.contains("Expires=") })

            let text = metrics.render()
            #expect(text.contains(#"rds_backupd_copies_total{entry="orders",outcome="completed"} 4"#))
            #expect(text.contains(#"rds_backupd_copy_bytes_total{entry="orders"} 1200000"#))
            #expect(text.contains("# HELP rds_backupd_last_copy_timestamp_seconds"))
            #expect(text.contains(#"rds_backupd_copy_duration_seconds{entry="orders"}"#))
        }
    }

    @Test func aCopyStoppedHalfWayIsFinishedByTheNextStartFetchingOnlyTheMissingBytes() async throws {
        try await ServiceHarness.with(configure: { $0.backupDuration = 60 }) { h in
            let size: Int64 = 6 * 1024 * 1024
            h.simulator.objectStorage.backupBytes = size
            let clock = BackupServiceTests.manualClock(h)
            let start = clock.now()
            let destination = TestScratch.path("copies")
            defer { try? FileManager.default.removeItem(atPath: destination) }
            let schedule = try h.schedule(backups: """
                  - alias: orders
                    instance_id: \(BackupServiceTests.orders)
                    cron: "0 * * * *"
                    copy: { destination: \(destination) }
                """)
            // Once a megabyte is on disk, the service is told to stop, as systemctl stop would.
            let (halfway, reached) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            let driver = try await Self.start(h, clock: clock, schedule: schedule) { _, onDisk in
                if onDisk >= 1024 * 1024 { reached.yield() }
            }
            await driver.run(until: start.addingTimeInterval(3600 + 300))
            for await _ in halfway { break }
            try await driver.stop()

            let stopped = try #require(try h.store.copyHistory(entry: "orders").first)
            #expect(stopped.state == .copying, "a stopped copy stays to be continued")
            let file = try #require(FileManager.default.contentsOfDirectory(atPath: stopped.directory).first { $0.hasSuffix(".partial") })
            let onDisk = try #require(FileManager.default.attributesOfItem(atPath: stopped.directory + "/" + file)[.size] as? NSNumber).int64Value
            #expect(onDisk >= 1024 * 1024 && onDisk < size)
            #expect(!FileManager.default.fileExists(atPath: stopped.directory + "/" + CopyManifest.fileName))
            let servedBefore = h.simulator.objectStorage.servedRequests().count

            // The next start continues it: one request from where the partial file ends.
            let again = try await Self.start(h, clock: clock, schedule: schedule)
            await Self.settleWithCopies(again)
            try await again.stop()
            let finished = try #require(try h.store.copyHistory(entry: "orders").first { $0.id == stopped.id })
            #expect(finished.state == .completed && finished.attempts == 2 && finished.bytes == size)
            let resumed = h.simulator.objectStorage.servedRequests().dropFirst(servedBefore)
            #expect(resumed.count == 1)
            #expect(resumed.first?.rangeStart == onDisk)
            #expect(resumed.reduce(0) { $0 + $1.bodyBytes } == size - onDisk, "only the missing bytes are fetched again")
            #expect(try CopyVerifier.verify(directory: finished.directory).isIntact)
            let manifest = try CopyManifest.read(from: finished.directory)
            #expect(manifest.files.first?.sha256 == Self.storedSHA256(h, instance: BackupServiceTests.orders, backupID: finished.backupID, file: manifest.files[0].name))
            #expect(h.logs.all.contains { $0.contains("resuming the copy") })
        }
    }

    @Test func aCopyWithWrongBytesIsRecordedFailedAndAnExpiredLinkIsRenewedAndAfterCopyGetsTheCopyNotTheCredentials() async throws {
        try await ServiceHarness.with(configure: { $0.backupDuration = 60 }) { h in
            h.simulator.objectStorage.backupBytes = 200_000
            // The first download is 5,000 bytes longer than listed; the second finds its link expired.
            h.simulator.objectStorage.inject(.wrongLength(byBytes: 5_000))
            h.simulator.objectStorage.inject(.expiredLink)
            let clock = BackupServiceTests.manualClock(h)
            let start = clock.now()
            let scratch = TestScratch.path("copy-failure")
            let destination = scratch + "/copies"
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            let schedule = try h.schedule(backups: """
                  - alias: orders
                    instance_id: \(BackupServiceTests.orders)
                    cron: "0 * * * *"
                    copy:
                      destination: \(destination)
                      after_copy: [/bin/sh, -c, "env > \(scratch)/after-copy.env"]
                      after_copy_timeout: 30s
                    alert: { command: [/bin/sh, -c, "env > \(scratch)/alert.env"] }
                """)
            let metrics = MetricsRecorder()
            metrics.prime(schedule: schedule, store: h.store, now: start)
            let runner = FailureCommandRunner(environment: ["PATH": "/usr/bin:/bin", "OS_PASSWORD": "hunter2", "OS_USERNAME": "ops"])
            // The entry's failure command hears of the failed copy through the alert dispatcher.
            let dispatcher = AlertDispatcher(sender: try PingSender(environment: [:], sleep: { _ in }), runner: runner, logger: h.logs.logger())
            let alerts = Task { await dispatcher.run() }
            let driver = try await Self.start(
                h, clock: clock, schedule: schedule, observer: ObserverGroup([metrics, dispatcher]), commandRunner: runner)
            await driver.run(until: start.addingTimeInterval(2 * 3600 + 1800), settling: Self.settleWithCopies)
            await Self.settleWithCopies(driver)
            try await driver.stop()
            dispatcher.finish()
            await alerts.value

            let copies = try h.store.copyHistory(entry: "orders").sorted { $0.slotAt < $1.slotAt }
            #expect(copies.map(\.state) == [.failed, .completed])
            let failed = try #require(copies.first)
            #expect(failed.errorMessage?.contains("the listing says") == true, "\(failed.errorMessage ?? "")")
            // Nothing of the failed copy looks complete: no manifest, no file under a final name.
            let left = (try? FileManager.default.contentsOfDirectory(atPath: failed.directory)) ?? []
            #expect(left.isEmpty, "\(left)")
            #expect(CopyRetention.scan(root: destination).copies.map(\.manifest.backupID) == [copies[1].backupID])
            #expect(h.simulator.requests().filter { $0.route == .backupFiles }.count == 3, "one fresh list after the expired link")
            #expect(try CopyVerifier.verify(directory: copies[1].directory).isIntact)

            let lines = h.logs.all
            let failure = try #require(lines.first { $0.contains("MESSAGE_ID=\(BackupEvent.copyFailed.messageID)") })
            #expect(failure.contains("RDS_COPY_ERROR_KIND=content") && failure.hasPrefix("warning"))
            #expect(!lines.contains { $0.contains("Signature=") })
            // Neither the state (database and its WAL) nor a manifest holds a download link's query.
            var stored = Data()
            for file in [h.store.path, h.store.path + "-wal", copies[1].directory + "/" + CopyManifest.fileName] {
                stored += FileManager.default.contents(atPath: file) ?? Data()
            }
            #expect(!stored.isEmpty && stored.range(of: Data("Signature=".utf8)) == nil && stored.range(of: Data("AccessKeyId".utf8)) == nil)
            let text = metrics.render()
            #expect(text.contains(#"rds_backupd_copies_total{entry="orders",outcome="failed"} 1"#))
            #expect(text.contains(#"rds_backupd_copies_total{entry="orders",outcome="completed"} 1"#))

            // after_copy ran once, for the good copy, with its path and manifest and without the credentials.
            let env = try String(contentsOfFile: scratch + "/after-copy.env", encoding: .utf8)
            #expect(env.contains("RDS_COPY_PATH=\(copies[1].directory)\n"))
            #expect(env.contains("RDS_COPY_MANIFEST=\(copies[1].directory)/\(CopyManifest.fileName)\n"))
            #expect(env.contains("RDS_COPY_BYTES=200000") && env.contains("RDS_BACKUP_ID=\(copies[1].backupID)"))
            #expect(!env.contains("hunter2") && !env.contains("OS_USERNAME"))
            // The failure command ran once, for the failed copy (the backups themselves completed).
            let alert = try String(contentsOfFile: scratch + "/alert.env", encoding: .utf8)
            #expect(alert.contains("RDS_EVENT=copy_failed\n") && alert.contains("RDS_ERROR_CODE=content\n"))
            #expect(alert.contains("RDS_BACKUP_ID=\(failed.backupID)\n") && alert.contains("the listing says"))
            #expect(!alert.contains("hunter2"))
        }
    }
}
