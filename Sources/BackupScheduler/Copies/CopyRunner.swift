import Foundation
import Logging
import OffsiteCopy
import RDSClient

/// Runs the offsite copy of one completed slot (docs/offsite-copies.md): records it `copying`,
/// streams the backup's files into its directory with the `CopyEngine` (fresh links from the API
/// when the storage refuses one, resuming from partial files after a restart), records the
/// outcome, runs `after_copy`, then applies the entry's copy retention. Never throws: a failure is
/// recorded and journalled (`copyFailed`), and the backup itself is never touched.
public struct CopyRunner: Sendable {
    /// The entry's cloud, behind its gate (one `backup_files` call per copy, more after refusals).
    public var cloud: GatedCloud
    /// Where downloads go over (the cloud connection's transport: TLS verified, proxy rules).
    public var transport: HTTPTransport
    public var store: StateStore
    public var clock: any ServiceClock
    public var logger: Logger
    public var observer: any ServiceObserver = NoServiceObserver()
    /// Retries, link refreshes and deadlines of the engine; the bandwidth comes from `copy:`.
    public var engineConfiguration = CopyEngine.Configuration()
    /// Runs `after_copy` (allow-listed environment, bounded by its timeout).
    public var commandRunner: FailureCommandRunner
    /// Told each chunk written (file, bytes on disk): tests stop a copy mid-file with it.
    public var progress: (@Sendable (_ file: String, _ bytesOnDisk: Int64) -> Void)?

    public init(
        cloud: GatedCloud, transport: HTTPTransport, store: StateStore, clock: any ServiceClock, logger: Logger,
        commandRunner: FailureCommandRunner = FailureCommandRunner()
    ) {
        self.cloud = cloud
        self.transport = transport
        self.store = store
        self.clock = clock
        self.logger = logger
        self.commandRunner = commandRunner
    }

    /// The pending copy row of a slot that just completed, claimed in the state (an existing row
    /// is returned as it is). Nil when the slot has no backup id or row id.
    public static func claim(slot: SlotRecord, entry: BackupEntry, store: StateStore, now: Date) throws(StateStoreError) -> CopyRecord? {
        guard let settings = entry.copy, let slotID = slot.id, let backupID = slot.backupID else { return nil }
        let directory = settings.directory(slot: slot.slotAt, context: entry.context(), timeZone: entry.timeZone)
        return try store.claimCopy(CopyRecord(slot: slot, slotID: slotID, backupID: backupID, directory: directory, now: now)).record
    }

    /// Copies (or finishes copying) `record` for `entry` and returns its final row; unfinished
    /// only when cancelled (shutdown: the partial files stay for the next start) or when the
    /// state could not be written.
    public func run(_ record: CopyRecord, entry: BackupEntry) async -> CopyRecord {
        var copy = record
        guard !copy.state.isFinal, let settings = entry.copy else { return copy }
        var log = logger
        log[metadataKey: "RDS_ENTRY"] = "\(copy.entry)"
        log[metadataKey: "RDS_INSTANCE_ID"] = "\(copy.instanceID)"
        log[metadataKey: "RDS_SLOT"] = "\(RFC3339.formatUTC(copy.slotAt))"
        log[metadataKey: "RDS_BACKUP_ID"] = "\(copy.backupID)"
        log[metadataKey: "RDS_BACKUP_NAME"] = "\(copy.backupName)"
        log[metadataKey: "RDS_COPY_DIRECTORY"] = "\(copy.directory)"
        let journal = SlotJournal(store: store, clock: clock, observer: observer)
        let resumed = copy.state == .copying
        do {
            copy.state = .copying
            copy.attempts += 1
            copy.startedAt = copy.startedAt ?? clock.now()
            copy.errorMessage = nil
            try journal.recordCopy(
                .copyStarted, &copy, log: log,
                "\(resumed ? "resuming the copy" : "copying") backup \(copy.backupName) to \(copy.directory)",
                fields: ["RDS_ATTEMPT": "\(copy.attempts)"])
        } catch {
            log.error("cannot record the copy: \(error); it is tried again at the next start")
            return copy
        }

        let result: CopyEngine.Result
        do {
            result = try await engine(settings).copy(
                await subject(of: copy, entry: entry), into: copy.directory,
                links: { [cloud, backupID = copy.backupID] in try await cloud.backupFiles(backupID: backupID) })
        } catch is CancellationError {
            log.notice("copy interrupted by shutdown; it continues from its partial files at the next start")
            return copy
        } catch {
            if Task.isCancelled {
                log.notice("copy interrupted by shutdown; it continues from its partial files at the next start")
                return copy
            }
            let failure = error as? CopyError ?? CopyError(.destination, "\(error)")
            copy.state = .failed
            copy.errorMessage = failure.description
            do {
                try journal.recordCopy(
                    .copyFailed, &copy, log: log, "copy of backup \(copy.backupName) failed: \(failure)",
                    fields: ["RDS_COPY_ERROR_KIND": "\(failure.kind.rawValue)"], alert: entry.alert)
            } catch {
                log.error("cannot record the failed copy: \(error)")
                journal.announceCopy(
                    .copyFailed, copy, log: log, "copy of backup \(copy.backupName) failed: \(failure)",
                    fields: ["RDS_COPY_ERROR_KIND": "\(failure.kind.rawValue)"], alert: entry.alert)
            }
            return copy
        }

        let seconds = max(result.elapsed.timeInterval, 0.001)
        copy.state = .completed
        copy.bytes = result.manifest.totalBytes
        copy.bytesFetched += result.bytesFetched
        copy.durationSeconds = seconds
        let rate = Self.formatRate(Double(result.bytesFetched) / seconds)
        let reused = result.bytesReused > 0 ? ", \(Self.formatBytes(result.bytesReused)) already on disk" : ""
        do {
            try journal.recordCopy(
                .copyCompleted, &copy, log: log,
                "copy of backup \(copy.backupName) completed: \(Self.formatBytes(result.manifest.totalBytes)) in \(result.manifest.files.count) \(result.manifest.files.count == 1 ? "file" : "files"), \(Self.formatBytes(result.bytesFetched)) fetched at \(rate)\(reused)",
                fields: [
                    "RDS_COPY_BYTES": "\(result.manifest.totalBytes)", "RDS_COPY_FETCHED_BYTES": "\(result.bytesFetched)",
                    "RDS_COPY_RATE": "\(rate)", "RDS_COPY_SECONDS": "\(String(format: "%.3f", seconds))",
                ],
                fetched: result.bytesFetched)
        } catch {
            log.error("cannot record the completed copy: \(error); it is checked again at the next start")
            return copy
        }
        if let command = settings.afterCopy {
            await runAfterCopy(command, copy: copy, log: log)
        }
        prune(entry: entry, settings: settings, log: log)
        return copy
    }

    /// The manifest's description of the backup: the instance's name and engine when the API tells them.
    private func subject(of copy: CopyRecord, entry: BackupEntry) async -> CopySubject {
        let instance = try? await cloud.instance(id: copy.instanceID)
        let slot = try? store.slot(id: copy.slotID)
        return CopySubject(
            backupID: copy.backupID, backupName: copy.backupName, instanceID: copy.instanceID,
            instanceName: instance?.name ?? entry.instanceName, engine: instance?.datastoreType,
            entry: copy.entry, slot: copy.slotAt, backupTime: slot?.backupEndAt)
    }

    private func engine(_ settings: CopySettings) -> CopyEngine {
        var configuration = engineConfiguration
        configuration.bandwidthBytesPerSecond = settings.bandwidthBytesPerSecond
        let clock = self.clock
        let origin = clock.monotonicNow()
        return CopyEngine(
            transport: transport, configuration: configuration, logger: logger, now: { clock.now() },
            sleep: { try await clock.sleep(for: $0) },
            uptime: { origin.duration(to: clock.monotonicNow()).timeInterval }, progress: progress)
    }

    /// `after_copy` with the copy's details in `RDS_*` variables; its outcome is logged.
    private func runAfterCopy(_ command: AlertCommand, copy: CopyRecord, log: Logger) async {
        let environment = commandRunner.environment(adding: [
            "RDS_EVENT": "copy_completed", "RDS_ENTRY": copy.entry, "RDS_INSTANCE_ID": copy.instanceID,
            "RDS_SLOT": RFC3339.formatUTC(copy.slotAt), "RDS_BACKUP_ID": copy.backupID, "RDS_BACKUP_NAME": copy.backupName,
            "RDS_COPY_PATH": copy.directory, "RDS_COPY_MANIFEST": copy.directory + "/" + CopyManifest.fileName,
            "RDS_COPY_BYTES": "\(copy.bytes ?? 0)",
        ])
        let outcome = await commandRunner.run(command, environment: environment)
        if outcome == .exited(0) {
            log.info("after_copy \(command.argv[0]) \(outcome)")
        } else {
            log.warning("after_copy \(command.argv[0]) \(outcome); the copy itself is complete")
        }
    }

    /// The entry's copy retention over its copies under the destination (this entry's, by their
    /// manifests; nothing else there is looked at twice or touched).
    private func prune(entry: BackupEntry, settings: CopySettings, log: Logger) {
        guard !settings.retention.isEmpty else { return }
        let scan = CopyRetention.scan(root: settings.destination)
        for problem in scan.unreadable { log.warning("copy retention skips a copy it cannot read: \(problem)") }
        let mine = scan.copies.filter { $0.manifest.entry == entry.alias && $0.manifest.instanceID == entry.instanceID }
        let plan = CopyRetention.plan(mine, rules: settings.retention, timeZone: entry.timeZone, now: clock.now())
        for old in plan.delete {
            do {
                let removed = try CopyRetention.delete(old)
                log.log(
                    level: BackupEvent.copyPruned.level,
                    "old copy of backup \(old.manifest.backupName) deleted by the copy retention (\(removed.count) paths)",
                    metadata: BackupEvent.copyPruned.metadata.merging([
                        "RDS_COPY_DIRECTORY": "\(old.directory)", "RDS_BACKUP_ID": "\(old.manifest.backupID)",
                        "RDS_BACKUP_NAME": "\(old.manifest.backupName)",
                    ]) { $1 })
            } catch {
                log.warning("cannot delete the old copy in \(old.directory): \(error); tried again after the next copy")
            }
        }
    }

    /// `1.2 GiB`, `3.4 MiB`, `512 B`: sizes in log lines and commands.
    public static func formatBytes(_ bytes: Int64) -> String {
        let value = Double(bytes)
        if value >= 1024 * 1024 * 1024 { return String(format: "%.2f GiB", value / (1024 * 1024 * 1024)) }
        if value >= 1024 * 1024 { return String(format: "%.1f MiB", value / (1024 * 1024)) }
        if value >= 1024 { return String(format: "%.1f KiB", value / 1024) }
        return "\(bytes) B"
    }

    static func formatRate(_ bytesPerSecond: Double) -> String {
        formatBytes(Int64(bytesPerSecond)) + "/s"
    }
}
