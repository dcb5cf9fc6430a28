import Foundation
import Logging
import RDSClient

/// Runs one slot to its end: exactly one backup per slot (docs/architecture.md "Running a slot").
///
/// 1. instance check (exists, not a Replica; not ACTIVE is retried), 2. list the instance's manual
/// backups around the slot and adopt one with the slot's name, 3. create through `BackupCreator`
/// ("already exists" → the list decides: ours, or a foreign backup holding the name → one retry
/// under a deterministic suffix), 4. follow it to COMPLETED or FAILED within `completion_window`.
/// The row is written before and after every API call, so a crash anywhere is resumed from the
/// row: a slot left `creating` is settled by the list check, never by a blind second create.
public struct SlotRunner: Sendable {
    /// The cloud, behind its gate and timed (every call of the slot goes through it).
    public var cloud: GatedCloud
    public var store: StateStore
    public var clock: any ServiceClock
    public var logger: Logger
    /// Time between status checks while following a backup.
    public var pollInterval: Duration
    /// A uniform draw from 0...1 for the retry jitter.
    public var random: @Sendable () -> Double
    /// Called at each `SlotCheckpoint` of the slot (the pruner adds `duringPrune`): the binary
    /// maps `RDS_BACKUPD_TEST_PAUSE_AT` onto it for the crash tests; a no-op otherwise.
    public var checkpoint: @Sendable (SlotCheckpoint) async -> Void
    /// False: stop once the backup is created (the row stays `created`; `backup-now` without `--wait`).
    public var followsToCompletion = true
    /// Told about slot events, retries and API latency (alerting, metrics); never blocks.
    public var observer: any ServiceObserver = NoServiceObserver() {
        didSet { cloud.observer = observer }
    }

    /// A runner on `cloud` (its gate and client; the runner sets the observer).
    public init(
        cloud: GatedCloud, store: StateStore, clock: any ServiceClock, logger: Logger,
        pollInterval: Duration = .seconds(10), random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) },
        checkpoint: @escaping @Sendable (SlotCheckpoint) async -> Void = { _ in }
    ) {
        self.cloud = cloud
        self.cloud.observer = NoServiceObserver()
        self.store = store
        self.clock = clock
        self.logger = logger
        self.pollInterval = pollInterval
        self.random = random
        self.checkpoint = checkpoint
    }

    /// A runner on `client` behind `gate`.
    public init(
        client: any CloudAPI, store: StateStore, gate: APIGate?, clock: any ServiceClock, logger: Logger,
        pollInterval: Duration = .seconds(10), random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) },
        checkpoint: @escaping @Sendable (SlotCheckpoint) async -> Void = { _ in }
    ) {
        self.init(
            cloud: GatedCloud(client, gate: gate), store: store, clock: clock, logger: logger, pollInterval: pollInterval,
            random: random, checkpoint: checkpoint)
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
                    try journal.record(.slotMissed, &slot, log: log, "slot missed: \(slot.note ?? "")", alert: entry.alert)
                    return slot
                }
                if slot.startedAt == nil {
                    slot.startedAt = clock.now()
                    try journal.record(.slotStarted, &slot, log: log, "slot started", alert: entry.alert)
                }
                // Whether the window is still open is a question for the wall clock (as at start-up);
                // what is left of it is measured on the monotonic clock, so a wall step while the
                // slot retries neither closes the window early nor keeps it open past its length.
                let deadline = clock.monotonicDeadline(atWall: startDeadline)
                guard let (backup, how) = try await obtainBackup(&slot, entry: entry, deadline: deadline, log: log) else {
                    return slot
                }
                slot.backupID = backup.id
                slot.state = .created
                slot.note = how
                slot.setError(code: nil, message: nil, requestID: nil)
                try journal.record(
                    .backupCreated, &slot, log: log, "backup \(slot.name ?? "") \(how) (id \(backup.id))",
                    fields: ["RDS_BACKUP_NAME": "\(slot.name ?? "")", "RDS_BACKUP_ID": "\(backup.id)", "RDS_ATTEMPT": "\(slot.attempts)"],
                    alert: entry.alert)
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
            // Announced even when the row could not be written: the failure must be known.
            // Credentials IAM refused earlier: the slot failed without contacting anyone. The
            // refusal itself was journalled and alerted once; these slots are recorded (state,
            // status, metrics) but neither journalled above debug nor alerted again.
            let refusedEarlier = (error as? RDSError)?.credentialsRefusedAt != nil
            journal.announce(
                .backupFailed, slot, log: log, "slot failed: \(failure)",
                fields: [
                    "RDS_ERROR_CODE": "\(failure.code ?? "-")", "RDS_REQUEST_ID": "\(failure.requestID ?? "-")",
                    "RDS_BACKUP_NAME": "\(slot.name ?? "-")", "RDS_ATTEMPT": "\(slot.attempts)",
                ],
                alert: refusedEarlier ? nil : entry.alert, level: refusedEarlier ? .debug : nil)
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
        _ slot: inout SlotRecord, entry: BackupEntry, deadline: MonotonicInstant, log: Logger
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
                if clock.monotonicNow() > deadline {
                    // A slot left `creating` by a crash, found absent after its window: never create late.
                    slot.state = .missed
                    slot.note = "no backup \(name) exists and the start window (\(DurationParser.format(entry.startWindow))) has closed"
                    try journal.record(.slotMissed, &slot, log: log, "slot missed: \(slot.note ?? "")", alert: entry.alert)
                    return nil
                }
            }
            let request = CreateBackupRequest(
                instanceID: slot.instanceID, name: name,
                description: entry.description(for: slot.slotAt, instanceName: instance.name, engine: instance.engine),
                databases: entry.databases ?? [])
            slot.state = .creating
            slot = try store.save(slot, now: clock.now())
            await checkpoint(.beforeCreate)
            let creator = BackupCreator(
                cloud: cloud, retrier: retrier(after: slot.attempts - 1, policy: entry.retry), logger: logger)
            do {
                let outcome = try await creator.create(request, listWindow: listWindow(slot), deadline: deadline) {
                    error, attempt, delay in
                    slot.attempts += 1
                    _ = try? store.save(slot, now: clock.now())
                    noteRetry(error: error, delay: delay, slot: slot, log: log)
                }
                await checkpoint(.afterCreate)
                switch outcome {
                case .created(let backup): return (backup, "created")
                case .adopted(let backup): return (backup, "adopted after an ambiguous create")
                }
            } catch let error as RDSError where error.errorClass == .alreadyExists {
                // The list check decides: ours (same instance, same name) or a foreign backup holding the name.
                if let found = try await cloud.manualBackup(named: name, instanceID: slot.instanceID, window: nil) {
                    return (found, "adopted (created by another run for the same slot)")
                }
                if suffixed {
                    throw SlotFailure(
                        code: error.code,
                        message: "the backup name \(name) is held by a backup of another instance, and so was the unsuffixed name; change the entry's name template",
                        requestID: error.requestID)
                }
                let alternative = name.collisionSuffixed(instanceID: slot.instanceID)
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
        await checkpoint(.beforeInstanceCheck)
        guard let instance = try await cloud.instance(id: instanceID) else {
            throw SlotFailure(
                code: nil,
                message: "instance \(instanceID) does not exist in the project (entry \(entry.alias)); check its instance_id and the cloud's project")
        }
        let check = InstanceCheck(instance, databases: entry.databases)
        switch check {
        case .replica:
            throw SlotFailure(
                message: "instance \(instanceID) (\(instance.name)) is a read replica; manual backups can only be taken of its primary instance")
        case .databasesNeedSQLServer(let engine):
            throw SlotFailure(
                message: "entry \(entry.alias) lists databases, but instance \(instanceID) runs \(engine); partial backups exist only for SQL Server")
        case .ready, .notActive:
            break
        }
        if slot.name == nil {
            // Rendered once, from the slot (never the wall clock), and kept: restarts and other hosts agree.
            slot.name = entry.name(for: slot.slotAt, instanceName: instance.name, engine: instance.engine).value
            slot = try store.save(slot, now: clock.now())
        }
        let name = try BackupName(slot.name ?? "")
        if let found = try await cloud.manualBackup(named: name, instanceID: instanceID, window: listWindow(slot)) {
            return .found(found)
        }
        if case .notActive(let status) = check {
            throw RDSError(
                operation: "instance check of \(instanceID)", errorClass: .busy,
                message: "the instance is \(status), not ACTIVE")
        }
        return .create(instance)
    }

    /// Follows the backup until COMPLETED or FAILED, within `completion_window`.
    private func follow(_ slot: inout SlotRecord, known: Backup?, entry: BackupEntry, log: Logger) async throws {
        guard let backupID = slot.backupID else { return }
        var log = log
        log[metadataKey: "RDS_BACKUP_ID"] = "\(backupID)"
        log[metadataKey: "RDS_BACKUP_NAME"] = "\(slot.name ?? "-")"
        // The window's end is a wall instant (it survives a restart); what is left of it is then
        // measured on the monotonic clock, so a wall step neither ends it early nor stretches it.
        let deadline = clock.monotonicDeadline(atWall: (slot.startedAt ?? slot.runAt).addingTimeInterval(entry.completionWindow.timeInterval))
        var current = known
        let instanceID = slot.instanceID
        while true {
            if current == nil || current?.status.isFinal == false {
                if current != nil {
                    if clock.monotonicNow() >= deadline {
                        throw SlotFailure(
                            message: "backup \(slot.name ?? backupID) was still \(current?.status.apiValue ?? "BUILDING") when the completion window (\(DurationParser.format(entry.completionWindow))) ended")
                    }
                    try await clock.sleep(until: min(deadline, clock.monotonicNow().advanced(by: pollInterval)))
                }
                await checkpoint(.duringFollow)
                do {
                    guard let fetched = try await cloud.backup(id: backupID, instanceID: instanceID) else {
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
                await checkpoint(.beforeCompletedWrite)
                let size = backup.sizeKB.map { ", \($0) kB" } ?? ""
                try journal.record(.backupCompleted, &slot, log: log, "backup \(slot.name ?? backupID) completed\(size)", alert: entry.alert)
                return
            }
            throw SlotFailure(code: nil, message: "the cloud reports backup \(slot.name ?? backupID) (id \(backupID)) FAILED")
        }
    }

    // MARK: - Helpers

    /// Where this runner's slot events are saved, logged and observed.
    var journal: SlotJournal { SlotJournal(store: store, clock: clock, observer: observer) }

    /// A retrier on the service clock whose attempts continue from `used` (across phases and restarts).
    func retrier(after used: Int, policy settings: RetrySettings) -> Retrier {
        let remaining = max(1, settings.attempts - max(0, used))
        return Retrier(
            policy: RetryPolicy(attempts: remaining, initial: settings.initial, max: settings.max),
            clock: clock, random: random)
    }

    private func noteRetry(error: RDSError, delay: Duration, slot: SlotRecord, log: Logger) {
        journal.announce(
            .retryScheduled, slot, log: log, "attempt \(slot.attempts) failed, retrying in \(DurationParser.format(delay)): \(error)",
            fields: [
                "RDS_ATTEMPT": "\(slot.attempts)", "RDS_ERROR_CODE": "\(error.code ?? "-")",
                "RDS_REQUEST_ID": "\(error.requestID ?? "-")",
            ],
            alert: nil, errorClass: error.errorClass)
    }

    /// Where the slot's backup can be: begun between a day before the slot and a day after now.
    func listWindow(_ slot: SlotRecord) -> ClosedRange<Date> {
        let now = clock.now()
        return slot.slotAt.addingTimeInterval(-86_400)...max(now, slot.slotAt).addingTimeInterval(86_400)
    }
}

