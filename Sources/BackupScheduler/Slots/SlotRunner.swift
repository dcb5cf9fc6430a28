import Foundation
import Logging
import RDSClient

/// Runs one slot to its end: exactly one backup per slot (docs/architecture.md "Running a slot").
///
/// 1. instance check (exists, not a Replica; not ACTIVE is retried), 2. list the instance's manual
/// backups around the slot: one with the slot's name is adopted when `OwnershipEvidence` says it
/// is the slot's own, while a foreign one makes the slot take the deterministic suffixed name,
/// 3. create through `BackupCreator` ("already exists" → the list decides, retried like every
/// call: ours, or a foreign backup holding the name → one retry under the suffix; a quota refusal
/// → the entry's retention makes room, then the create is retried in the start window), 4. follow
/// it to COMPLETED or FAILED within `completion_window`. The row is written before and after every
/// API call, so a crash anywhere is resumed from the row: a slot left `creating` is settled by the
/// list check, never by a blind second create. The row says whether the backup was created or
/// adopted, and why.
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
                guard let obtained = try await obtainBackup(&slot, entry: entry, deadline: deadline, log: log) else {
                    return slot
                }
                let backup = obtained.backup
                slot.backupID = backup.id
                slot.state = .created
                slot.note = obtained.how
                slot.ownership = obtained.ownership
                slot.ownershipReason = obtained.reason
                slot.setError(code: nil, message: nil, requestID: nil)
                let why = obtained.ownership == .adopted ? ": \(obtained.reason)" : ""
                try journal.record(
                    .backupCreated, &slot, log: log, "backup \(slot.name ?? "") \(obtained.how) (id \(backup.id))\(why)",
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

    /// How the slot came by its backup.
    private struct Obtained {
        var backup: Backup
        /// The row's note ("created", "adopted", ...).
        var how: String
        var ownership: BackupOwnership
        var reason: String
    }

    private enum Preparation {
        /// A backup of the slot's own under its name (`OwnershipEvidence`).
        case found(Backup, reason: String)
        /// The name is held by a backup that is not the slot's.
        case held(Backup, reason: String, instance: Instance)
        case create(Instance)
    }

    /// What a look-up under the slot's name found.
    private enum Lookup {
        case ours(Backup, reason: String)
        case foreign(Backup, reason: String)
        case absent
    }

    /// Instance check, list check, create. Returns nil when the slot ended without a backup (missed).
    private func obtainBackup(
        _ slot: inout SlotRecord, entry: BackupEntry, deadline: MonotonicInstant, log: Logger
    ) async throws -> Obtained? {
        // What retention deleted after a quota refusal (it runs once per slot).
        var freed: [PruneItem]?
        while true {
            let preparation = try await retried(&slot, entry: entry, deadline: deadline, log: log) { slot in
                try await prepare(&slot, entry: entry)
            }
            let instance: Instance
            switch preparation {
            case .found(let backup, let reason):
                return Obtained(backup: backup, how: "adopted", ownership: .adopted, reason: reason)
            case .held(let backup, let reason, let checked):
                try takeSuffixedName(
                    &slot, entry: entry, instance: checked, holder: "backup \(backup.id), which is not this slot's: \(reason)",
                    refusal: nil, log: log)
                continue
            case .create(let checked):
                instance = checked
            }
            let name = try BackupName(slot.name ?? "")
            if clock.monotonicNow() > deadline {
                // A slot left `creating` by a crash, found absent after its window: never create late.
                slot.state = .missed
                slot.note = "no backup \(name) exists and the start window (\(DurationParser.format(entry.startWindow))) has closed"
                try journal.record(.slotMissed, &slot, log: log, "slot missed: \(slot.note ?? "")", alert: entry.alert)
                return nil
            }
            let description = entry.description(for: slot.slotAt, instanceName: instance.name, engine: instance.engine)
            let request = CreateBackupRequest(
                instanceID: slot.instanceID, name: name, description: description, databases: entry.databases ?? [])
            let evidence = OwnershipEvidence(slot: slot, description: description.value, store: store)
            slot.state = .creating
            slot = try store.save(slot, now: clock.now())
            await checkpoint(.beforeCreate)
            let creator = BackupCreator(
                cloud: cloud, retrier: retrier(after: slot.attempts - 1, policy: entry.retry), logger: logger)
            do {
                let outcome = try await creator.create(
                    request, listWindow: listWindow(slot), deadline: deadline, evidence: evidence, quotaIsTransient: freed != nil
                ) { notice in
                    slot.attempts += 1
                    _ = try? store.save(slot, now: clock.now())
                    noteRetry(notice, slot: slot, log: log)
                }
                await checkpoint(.afterCreate)
                switch outcome {
                case .created(let backup):
                    let how = freed.map { "created after retention made room (deleted \($0.map(\.name).joined(separator: ", ")))" }
                    return Obtained(
                        backup: backup, how: how ?? "created", ownership: .created, reason: "the create was answered with this id")
                case .adopted(let backup):
                    return Obtained(
                        backup: backup, how: "adopted (found under its name before creating again)", ownership: .adopted,
                        reason: try evidence.judge(backup).reason)
                }
            } catch let error as RDSError where error.errorClass == .alreadyExists {
                // The list decides: ours (another run of the same slot made it), a foreign backup on
                // this instance, or none here (a backup of another instance holds the name). The
                // listing is retried like every call of the slot, within its start window.
                let settled = try await retried(&slot, entry: entry, deadline: deadline, log: log) { slot in
                    try await lookUp(name, slot: slot, evidence: evidence, window: nil)
                }
                switch settled {
                case .ours(let backup, let reason):
                    return Obtained(
                        backup: backup, how: "adopted (created by another run for the same slot)", ownership: .adopted,
                        reason: reason)
                case .foreign(let backup, let reason):
                    try takeSuffixedName(
                        &slot, entry: entry, instance: instance,
                        holder: "backup \(backup.id), which is not this slot's: \(reason)", refusal: error, log: log)
                case .absent:
                    try takeSuffixedName(
                        &slot, entry: entry, instance: instance, holder: "a backup of another instance", refusal: error, log: log)
                }
            } catch let error as RDSError where error.isQuotaExceeded && freed == nil {
                freed = try await makeRoom(for: entry, refusal: error, log: log)
            } catch let exhausted as RetriesExhausted where exhausted.lastError.isQuotaExceeded && freed != nil {
                let names = (freed ?? []).map(\.name).joined(separator: ", ")
                throw SlotFailure(
                    code: exhausted.lastError.code,
                    message: "\(exhausted); retention had deleted \(names) to make room, but the cloud still refused the create",
                    requestID: exhausted.lastError.requestID)
            }
        }
    }

    /// Runs `body` under the entry's retry policy until `deadline`, each try counted in the slot's
    /// attempts (saved before it is made) and each retry announced.
    private func retried<T>(
        _ slot: inout SlotRecord, entry: BackupEntry, deadline: MonotonicInstant, log: Logger,
        _ body: (inout SlotRecord) async throws -> T
    ) async throws -> T {
        try await retrier(after: slot.attempts, policy: entry.retry).run(deadline: deadline) { notice in
            noteRetry(notice, slot: slot, log: log)
        } _: { _ in
            slot.attempts += 1
            slot = try store.save(slot, now: clock.now())
            return try await body(&slot)
        }
    }

    /// The slot's name is held by a backup that is not the slot's: the slot takes the
    /// deterministic suffixed name (which retention recognises as the entry's), once.
    private func takeSuffixedName(
        _ slot: inout SlotRecord, entry: BackupEntry, instance: Instance, holder: String, refusal: RDSError?, log: Logger
    ) throws {
        let current = try BackupName(slot.name ?? "")
        let base = entry.name(for: slot.slotAt, instanceName: instance.name, engine: instance.engine)
        let alternative = base.collisionSuffixed(instanceID: slot.instanceID)
        guard current != alternative else {
            throw SlotFailure(
                code: refusal?.code,
                message: "the backup name \(current) is held by \(holder), and so was the unsuffixed name \(base); change the entry's name template",
                requestID: refusal?.requestID)
        }
        log.notice(
            "backup name \(current) is held by \(holder); retrying once as \(alternative)",
            metadata: ["RDS_BACKUP_NAME": "\(alternative)", "RDS_ERROR_CODE": "\(refusal?.code ?? "-")"])
        slot.name = alternative.value
        slot = try store.save(slot, now: clock.now())
    }

    /// The backups under `name` on the slot's instance, judged by `evidence`: the first of ours,
    /// else the first foreign one, else none.
    private func lookUp(
        _ name: BackupName, slot: SlotRecord, evidence: OwnershipEvidence, window: ClosedRange<Date>?
    ) async throws -> Lookup {
        var foreign: Lookup = .absent
        for backup in try await cloud.manualBackups(named: name, instanceID: slot.instanceID, window: window) {
            switch try evidence.judge(backup) {
            case .ours(let reason): return .ours(backup, reason: reason)
            case .foreign(let reason): if case .absent = foreign { foreign = .foreign(backup, reason: reason) }
            }
        }
        return foreign
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
        let description = entry.description(for: slot.slotAt, instanceName: instance.name, engine: instance.engine)
        let evidence = OwnershipEvidence(slot: slot, description: description.value, store: store)
        switch try await lookUp(name, slot: slot, evidence: evidence, window: listWindow(slot)) {
        case .ours(let backup, let reason): return .found(backup, reason: reason)
        case .foreign(let backup, let reason): return .held(backup, reason: reason, instance: instance)
        case .absent: break
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

    private func noteRetry(_ notice: RetryNotice, slot: SlotRecord, log: Logger) {
        let error = notice.error
        journal.announce(
            .retryScheduled, slot, log: log, notice.message(attempt: slot.attempts),
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

