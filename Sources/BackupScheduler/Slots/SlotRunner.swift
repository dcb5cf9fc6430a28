import Foundation
import Logging
import RDSClient

/// Runs one slot to its end: exactly one backup per slot (design.md "Running a slot").
///
/// 1. instance check (exists, not a Replica; not ACTIVE is retried), 2. list the instance's manual
/// backups around the slot and adopt one with the slot's name, 3. create through `BackupCreator`
/// ("already exists" → the list decides: ours, or a foreign backup holding the name → one retry
/// under a deterministic suffix), 4. follow it to COMPLETED or FAILED within `completion_window`.
/// The row is written before and after every API call, so a crash anywhere is resumed from the
/// row: a slot left `creating` is settled by the list check, never by a blind second create.
public struct SlotRunner: Sendable {
    public var client: RDSAPIClient
    public var store: StateStore
    public var gate: APIGate
    public var clock: any ServiceClock
    public var logger: Logger
    /// Time between status checks while following a backup.
    public var pollInterval: Duration
    /// A uniform draw from 0...1 for the retry jitter.
    public var random: @Sendable () -> Double
    /// Test-only hook called at named points (`before-instance-check`, `before-create`, `after-create`:
    /// the cloud accepted the create, the row does not say so yet; `during-follow`,
    /// `before-completed-write`; the pruner adds `during-prune`). The binary maps
    /// `RDS_BACKUPD_TEST_PAUSE_AT` onto it (CrashPointTests).
    public var checkpoint: @Sendable (String) async -> Void
    /// False: stop once the backup is created (the row stays `created`; `backup-now` without `--wait`).
    public var followsToCompletion = true
    /// Told about slot events, retries and API latency (alerting, metrics); never blocks.
    public var observer: any ServiceObserver = NoServiceObserver()

    public init(
        client: RDSAPIClient, store: StateStore, gate: APIGate, clock: any ServiceClock, logger: Logger,
        pollInterval: Duration = .seconds(10), random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) },
        checkpoint: @escaping @Sendable (String) async -> Void = { _ in }
    ) {
        self.client = client
        self.store = store
        self.gate = gate
        self.clock = clock
        self.logger = logger
        self.pollInterval = pollInterval
        self.random = random
        self.checkpoint = checkpoint
    }

    /// Runs (or resumes) the slot of `record` for `entry` and returns its final row. Returns the
    /// row unfinished only when cancelled (shutdown) or when the state could not be written.
    public func run(_ record: SlotRecord, entry: BackupEntry) async -> SlotRecord {
        var slot = record
        var log = logger
        log[metadataKey: "RDS_ENTRY"] = "\(entry.alias)"
        log[metadataKey: "RDS_INSTANCE_ID"] = "\(slot.instanceID)"
        log[metadataKey: "RDS_SLOT"] = "\(RFC3339.formatUTC(slot.slotAt))"
        if slot.state.isFinal { return slot }
        do {
            if slot.backupID == nil {
                let startDeadline = slot.runAt.addingTimeInterval(entry.startWindow.timeInterval)
                if slot.state == .pending && clock.now() > startDeadline {
                    slot.state = .missed
                    slot.note = "could not start within the start window (\(DurationParser.format(entry.startWindow)))"
                    slot = try store.save(slot, now: clock.now())
                    log.log(level: BackupEvent.slotMissed.level, "slot missed: \(slot.note ?? "")", metadata: BackupEvent.slotMissed.metadata)
                    observer.slot(SlotObservation(.missed, record: slot, alert: entry.alert, at: clock.now()))
                    return slot
                }
                if slot.startedAt == nil {
                    slot.startedAt = clock.now()
                    slot = try store.save(slot, now: clock.now())
                    log.info("slot started", metadata: BackupEvent.slotStarted.metadata)
                    observer.slot(SlotObservation(.started, record: slot, alert: entry.alert, at: clock.now()))
                }
                guard let (backup, how) = try await obtainBackup(&slot, entry: entry, deadline: startDeadline, log: log) else {
                    return slot
                }
                slot.backupID = backup.id
                slot.state = .created
                slot.note = how
                slot.setError(code: nil, message: nil, requestID: nil)
                slot = try store.save(slot, now: clock.now())
                log.info(
                    "backup \(slot.name ?? "") \(how) (id \(backup.id))",
                    metadata: BackupEvent.backupCreated.metadata.merging(
                        ["RDS_BACKUP_NAME": "\(slot.name ?? "")", "RDS_BACKUP_ID": "\(backup.id)", "RDS_ATTEMPT": "\(slot.attempts)"]
                    ) { $1 })
                observer.slot(SlotObservation(.created, record: slot, alert: entry.alert, at: clock.now()))
                guard followsToCompletion else { return slot }
                try await follow(&slot, known: backup, entry: entry, log: log)
            } else {
                try await follow(&slot, known: nil, entry: entry, log: log)
            }
        } catch is CancellationError {
            log.notice("slot interrupted by shutdown; it is resumed on the next start", metadata: ["state": "\(slot.state.rawValue)"])
        } catch let error as StateStoreError {
            log.error("cannot record the slot: \(error); it is resumed on the next start")
        } catch {
            let failure = SlotFailure(error)
            slot.state = .failed
            slot.setError(code: failure.code, message: failure.message, requestID: failure.requestID)
            do { slot = try store.save(slot, now: clock.now()) } catch { log.error("cannot record the failed slot: \(error)") }
            log.log(
                level: BackupEvent.backupFailed.level, "slot failed: \(failure)",
                metadata: BackupEvent.backupFailed.metadata.merging(
                    [
                        "RDS_ERROR_CODE": "\(failure.code ?? "-")", "RDS_REQUEST_ID": "\(failure.requestID ?? "-")",
                        "RDS_BACKUP_NAME": "\(slot.name ?? "-")", "RDS_ATTEMPT": "\(slot.attempts)",
                    ]
                ) { $1 })
            observer.slot(SlotObservation(.failed, record: slot, alert: entry.alert, at: clock.now()))
        }
        return slot
    }

    // MARK: - Steps

    private enum Preparation {
        case found(Backup)
        case create(Instance)
    }

    /// Instance check, list check, create. Returns nil when the slot ended without a backup (missed).
    private func obtainBackup(
        _ slot: inout SlotRecord, entry: BackupEntry, deadline: Date, log: Logger
    ) async throws -> (Backup, String)? {
        var suffixed = false
        while true {
            let preparation = try await retrier(after: slot.attempts, policy: entry.retry).run(deadline: deadline) {
                error, attempt, delay in
                noteRetry(error: error, delay: delay, slot: slot, log: log)
            } _: { _ in
                slot.attempts += 1
                slot = try store.save(slot, now: clock.now())
                return try await prepare(&slot, entry: entry)
            }
            let name: BackupName
            let instance: Instance
            switch preparation {
            case .found(let backup):
                return (backup, "adopted")
            case .create(let checked):
                instance = checked
                name = try BackupName(slot.name ?? "")
                if clock.now() > deadline {
                    // A slot left `creating` by a crash, found absent after its window: never create late.
                    slot.state = .missed
                    slot.note = "no backup \(name) exists and the start window (\(DurationParser.format(entry.startWindow))) has closed"
                    slot = try store.save(slot, now: clock.now())
                    log.log(level: BackupEvent.slotMissed.level, "slot missed: \(slot.note ?? "")", metadata: BackupEvent.slotMissed.metadata)
                    observer.slot(SlotObservation(.missed, record: slot, alert: entry.alert, at: clock.now()))
                    return nil
                }
            }
            let request = CreateBackupRequest(
                instanceID: slot.instanceID, name: name,
                description: entry.description(for: slot.slotAt, instanceName: instance.name, engine: instance.engine),
                databases: entry.databases ?? [])
            slot.state = .creating
            slot = try store.save(slot, now: clock.now())
            await checkpoint("before-create")
            var creator = BackupCreator(
                client: client, retrier: retrier(after: slot.attempts - 1, policy: entry.retry), logger: logger)
            creator.gate = gate
            creator.observer = observer
            do {
                let outcome = try await creator.create(request, listWindow: listWindow(slot), deadline: deadline) {
                    error, attempt, delay in
                    slot.attempts += 1
                    _ = try? store.save(slot, now: clock.now())
                    noteRetry(error: error, delay: delay, slot: slot, log: log)
                }
                await checkpoint("after-create")
                switch outcome {
                case .created(let backup): return (backup, "created")
                case .adopted(let backup): return (backup, "adopted after an ambiguous create")
                }
            } catch let error as RDSError where error.errorClass == .alreadyExists {
                // The list check decides: ours (same instance, same name) or a foreign backup holding the name.
                if let found = try await creator.findByName(name, instanceID: slot.instanceID, window: nil) {
                    return (found, "adopted (created by another run for the same slot)")
                }
                if suffixed {
                    throw SlotFailure(
                        code: error.code,
                        message: "the backup name \(name) is held by a backup of another instance, and so was the unsuffixed name; change the entry's name template",
                        requestID: error.requestID)
                }
                let alternative = Self.suffixedName(name, instanceID: slot.instanceID)
                log.notice(
                    "backup name \(name) is held by a backup of another instance; retrying once as \(alternative)",
                    metadata: ["RDS_BACKUP_NAME": "\(alternative)", "RDS_ERROR_CODE": "\(error.code ?? "-")"])
                slot.name = alternative.value
                slot = try store.save(slot, now: clock.now())
                suffixed = true
            }
        }
    }

    /// One pass of the instance check and the list check.
    private func prepare(_ slot: inout SlotRecord, entry: BackupEntry) async throws -> Preparation {
        let instanceID = slot.instanceID
        await checkpoint("before-instance-check")
        guard let instance = try await gate.perform({ try await timed("instance") { try await client.instance(id: instanceID) } }) else {
            throw SlotFailure(
                code: nil,
                message: "instance \(instanceID) does not exist in the project (entry \(entry.alias)); check its instance_id and the cloud's project")
        }
        if instance.isReplica {
            throw SlotFailure(
                message: "instance \(instanceID) (\(instance.name)) is a read replica; manual backups can only be taken of its primary instance")
        }
        if let databases = entry.databases, !databases.isEmpty, !instance.isSQLServer {
            throw SlotFailure(
                message: "entry \(entry.alias) lists databases, but instance \(instanceID) runs \(instance.datastoreType); partial backups exist only for SQL Server")
        }
        if slot.name == nil {
            // Rendered once, from the slot (never the wall clock), and kept: restarts and other hosts agree.
            slot.name = entry.name(for: slot.slotAt, instanceName: instance.name, engine: instance.engine).value
            slot = try store.save(slot, now: clock.now())
        }
        let name = try BackupName(slot.name ?? "")
        let lister = BackupCreator(client: client, retrier: Retrier(policy: RetryPolicy(attempts: 1)), logger: logger)
        let window = listWindow(slot)
        if let found = try await gate.perform({ try await timed("list_backups") { try await lister.findByName(name, instanceID: instanceID, window: window) } }) {
            return .found(found)
        }
        guard instance.isActive else {
            throw RDSError(
                operation: "instance check of \(instanceID)", errorClass: .busy,
                message: "the instance is \(instance.status), not ACTIVE")
        }
        return .create(instance)
    }

    /// Follows the backup until COMPLETED or FAILED, within `completion_window`.
    private func follow(_ slot: inout SlotRecord, known: Backup?, entry: BackupEntry, log: Logger) async throws {
        guard let backupID = slot.backupID else { return }
        var log = log
        log[metadataKey: "RDS_BACKUP_ID"] = "\(backupID)"
        log[metadataKey: "RDS_BACKUP_NAME"] = "\(slot.name ?? "-")"
        let deadline = (slot.startedAt ?? slot.runAt).addingTimeInterval(entry.completionWindow.timeInterval)
        var current = known
        let instanceID = slot.instanceID
        while true {
            if current == nil || current?.status.isFinal == false {
                if current != nil {
                    if clock.now() >= deadline {
                        throw SlotFailure(
                            message: "backup \(slot.name ?? backupID) was still \(current?.status.apiValue ?? "BUILDING") when the completion window (\(DurationParser.format(entry.completionWindow))) ended")
                    }
                    try await clock.sleep(until: min(deadline, clock.now().addingTimeInterval(pollInterval.timeInterval)))
                }
                await checkpoint("during-follow")
                do {
                    guard let fetched = try await gate.perform({ try await timed("show_backup") { try await client.backup(id: backupID, instanceID: instanceID) } }) else {
                        throw SlotFailure(message: "backup \(slot.name ?? backupID) (id \(backupID)) disappeared before it completed")
                    }
                    current = fetched
                } catch let error as RDSError where error.errorClass.isRetryable {
                    log.debug("status check failed, trying again: \(error)")
                    if current == nil { current = Backup(id: backupID, instanceID: instanceID, name: slot.name ?? "", status: .building) }
                    continue
                }
                continue
            }
            guard let backup = current else { continue }
            if backup.status == .completed {
                slot.state = .completed
                slot.sizeKB = backup.sizeKB
                slot.backupEndAt = backup.endTime
                await checkpoint("before-completed-write")
                slot = try store.save(slot, now: clock.now())
                let size = backup.sizeKB.map { ", \($0) kB" } ?? ""
                log.info("backup \(slot.name ?? backupID) completed\(size)", metadata: BackupEvent.backupCompleted.metadata)
                observer.slot(SlotObservation(.completed, record: slot, alert: entry.alert, at: clock.now()))
                return
            }
            throw SlotFailure(code: nil, message: "the cloud reports backup \(slot.name ?? backupID) (id \(backupID)) FAILED")
        }
    }

    // MARK: - Helpers

    /// A retrier on the service clock whose attempts continue from `used` (across phases and restarts).
    func retrier(after used: Int, policy settings: RetrySettings) -> Retrier {
        let remaining = max(1, settings.attempts - max(0, used))
        let clock = self.clock
        return Retrier(
            policy: RetryPolicy(attempts: remaining, initial: settings.initial, max: settings.max),
            now: { clock.now() }, sleep: { try await clock.sleep(for: $0) }, random: random)
    }

    private func noteRetry(error: RDSError, delay: Duration, slot: SlotRecord, log: Logger) {
        observer.retry(entry: slot.entry, errorClass: error.errorClass)
        log.log(
            level: BackupEvent.retryScheduled.level,
            "attempt \(slot.attempts) failed, retrying in \(DurationParser.format(delay)): \(error)",
            metadata: BackupEvent.retryScheduled.metadata.merging(
                [
                    "RDS_ATTEMPT": "\(slot.attempts)", "RDS_ERROR_CODE": "\(error.code ?? "-")",
                    "RDS_REQUEST_ID": "\(error.requestID ?? "-")",
                ]
            ) { $1 })
    }

    /// Where the slot's backup can be: begun between a day before the slot and a day after now.
    func listWindow(_ slot: SlotRecord) -> ClosedRange<Date> {
        let now = clock.now()
        return slot.slotAt.addingTimeInterval(-86_400)...max(now, slot.slotAt).addingTimeInterval(86_400)
    }

    /// The deterministic alternative name when a foreign backup holds the slot's name: `-` and the
    /// instance id's first six characters, the base shortened if needed. Every host derives the same.
    public static func suffixedName(_ name: BackupName, instanceID: String) -> BackupName {
        let tag = String(instanceID.unicodeScalars.filter { BackupName.isAllowed($0) && $0 != "-" }.prefix(6).map(Character.init))
        let suffix = "-" + (tag.isEmpty ? "x" : tag)
        let base = String(name.value.prefix(BackupName.maxLength - suffix.count))
        return (try? BackupName(base + suffix)) ?? name
    }
}
