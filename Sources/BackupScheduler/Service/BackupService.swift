import Foundation
import Logging
import RDSClient
import ServiceLifecycle

/// The scheduler: a swift-service-lifecycle `Service` that sleeps until the earliest next slot on
/// its clock, runs each slot through a `SlotRunner`, one slot in flight per instance, and keeps
/// the state store true (docs/architecture.md "Running a slot", "State", "Talking to systemd").
public actor BackupService: Service {
    /// Settings of the service itself; every field has a documented default.
    public struct Configuration: Sendable {
        /// How long in-flight slots may take to finish after SIGTERM before they are cancelled (30 s).
        public var shutdownTimeout: Duration = .seconds(30)
        /// After the shutdown timeout cancelled the slots still running, how long they may take to
        /// end before the service stops without them (5 s). With the default timeout the service
        /// stops within 35 s of SIGTERM, below the unit's `TimeoutStopSec` (45 s).
        public var cancellationGrace: Duration = .seconds(5)
        /// Interval of `notifications.watchdog` pings from the loop (half of `WatchdogSec`); nil: no pings.
        public var watchdogInterval: Duration?
        /// Test-only: the loop stops turning after start-up, so the watchdog stops being pinged.
        public var stallLoopForTesting = false
        /// At most this many missed slots per entry are recorded and logged one by one at a start.
        public var maxMissedRecordsPerEntry = 1000
        /// Told about slot events, retries, API latency, pruning and next runs (alerting and
        /// metrics, `Alerting/`); the default ignores them.
        public var observer: any ServiceObserver = NoServiceObserver()
        /// After a reload put a new schedule in force, before READY=1: what else follows the
        /// schedule (the clouds' connections, alerting and metrics) adopts it.
        public var onScheduleChanged: @Sendable (Schedule) async -> Void = { _ in }
        /// Builds the copy runner of an entry with `copy:` (its cloud's client, transport and gate);
        /// nil: completed backups are not copied (a warning says so for entries that ask).
        public var makeCopyRunner: (@Sendable (BackupEntry) throws -> CopyRunner)? = nil
        /// Offsite copies running at once, all entries together (their own pool: a copy never
        /// delays a backup).
        public var copyWorkers = 2

        public init() {}
    }

    /// What happened to a reload request.
    public enum ReloadOutcome: Sendable {
        case reloaded(entries: Int)
        /// The file was rejected whole; the message has every problem with file:line:column.
        case rejected(message: String)
    }

    private struct Job: Sendable {
        var record: SlotRecord
        var entry: BackupEntry
    }

    private let store: StateStore
    private let clock: any ServiceClock
    private let logger: Logger
    private let configuration: Configuration
    private let makeRunner: @Sendable (BackupEntry) throws -> SlotRunner
    private let notifications: ServiceNotifications
    /// The offsite copies' worker pool.
    private let copies: CopyPool

    private var schedule: Schedule
    /// The schedule as loaded, its `select:` entries unexpanded; `schedule` is what runs.
    private var configured: Schedule
    /// Each `select:` entry's instances and when they are listed again (`Selection/FleetSelection`).
    private var fleet = FleetSelection()
    private let selectInstances: (@Sendable (BackupEntry) async throws -> [Instance])?
    /// The selection refresh in flight: it runs beside the loop, so slots and the watchdog never wait for it.
    private var refreshTask: Task<Void, Never>?
    private var queue = SlotQueue()
    private var waiting: [String: [Job]] = [:]
    private var running: [String: Task<Void, Never>] = [:]
    /// Where the service is in its life, one state as swift-service-lifecycle's `ServiceGroup`
    /// keeps it: starting (reconcile and catch-up) → running (the loop runs) → stopping (no new
    /// slots; in-flight ones finish or are recorded for the next start). A stop asked for during
    /// start-up goes straight to stopping; `started` says whether start-up had finished.
    private enum Phase {
        case starting
        case running
        case stopping(started: Bool)
    }
    private var phase = Phase.starting
    private var stopping: Bool {
        if case .stopping = phase { return true }
        return false
    }
    private let shutdown = ShutdownSignal()
    private var wakeRequested = false
    private var sleeper: Task<Void, Never>?
    /// The wall clock's reading minus the monotonic clock's at the loop's last pass: it changes
    /// only when the wall clock is stepped (both count a suspend), so its change is the step.
    private var wallOffset: TimeInterval?
    /// When the watchdog was last pinged, on the monotonic clock (a wall step never stops the pings).
    private var lastPing: MonotonicInstant?
    private var lastStatus = ""
    /// Set by a rejected reload, cleared by a good one: the status line leads with it meanwhile,
    /// so the rejection stays on `systemctl status` instead of the next update replacing it.
    private var rejectedReload = false
    /// When the status line was last rendered, and when a render skipped for that is due (`publishStatus`).
    private var lastStatusAt: MonotonicInstant?
    private var statusDueAt: MonotonicInstant?

    /// A service for `schedule`. `makeRunner` builds the runner of an entry (its cloud's client,
    /// gate and clock); `notifications.started` is called once the state is reconciled and the loop runs
    /// (READY=1 belongs there: no network call has been made by then).
    public init(
        schedule: Schedule, store: StateStore, clock: any ServiceClock, logger: Logger,
        configuration: Configuration = .init(),
        makeRunner: @escaping @Sendable (BackupEntry) throws -> SlotRunner,
        selectInstances: (@Sendable (BackupEntry) async throws -> [Instance])? = nil,
        notifications: ServiceNotifications = .init()
    ) {
        self.schedule = schedule
        self.configured = schedule
        self.selectInstances = selectInstances
        self.store = store
        self.clock = clock
        self.logger = logger
        self.configuration = configuration
        self.makeRunner = makeRunner
        self.notifications = notifications
        self.copies = CopyPool(maxConcurrent: configuration.copyWorkers)
    }

    // MARK: - Service

    public func run() async throws {
        try startUp()
        switch phase {
        case .starting: phase = .running
        case .stopping: phase = .stopping(started: true)
        case .running: break
        }
        notifications.started()
        logger.info(
            "rds-backupd started with \(Self.entries(schedule.entries.count)) from \(schedule.fileName)",
            metadata: BackupEvent.serviceStarted.metadata)
        // A step of the wall clock wakes the loop at once, which then re-plans (`loop`, `due`).
        let clock = self.clock
        let stepWatch = Task {
            while (try? await clock.waitForWallStep()) != nil { await self.wake() }
        }
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await self.loop()
            } onCancel: {
                Task { await self.requestStop() }
            }
        } onGracefulShutdown: {
            Task { await self.requestStop() }
        }
        stepWatch.cancel()
        await drain()
    }

    /// Begins the shutdown: no new slots; sleeping slots stop waiting; HTTP calls in flight finish.
    public func requestStop() {
        guard !stopping else { return }
        phase = .stopping(started: isStarted)
        notifications.stopping()
        shutdown.fire()
        logger.info("stopping: no new slots; in-flight slots finish or are recorded for the next start", metadata: BackupEvent.serviceStopping.metadata)
        wake()
    }

    /// Replaces the schedule with the file at `path` if it is valid; slots in flight are not touched.
    public func reload(path: String) -> ReloadOutcome {
        do {
            let fresh = try Schedule.load(path: path, now: clock.now())
            rejectedReload = false
            replace(with: fresh)
            logger.info(
                "configuration reloaded from \(path): \(Self.entries(fresh.entries.count))", metadata: BackupEvent.configReloaded.metadata)
            return .reloaded(entries: fresh.entries.count)
        } catch {
            let message = "\(error)"
            logger.warning(
                "configuration rejected, keeping the last good schedule (\(Self.entries(schedule.entries.count))): \(message)",
                metadata: BackupEvent.configRejected.metadata)
            rejectedReload = true
            return .rejected(message: message)
        }
    }

    /// A reload request (SIGHUP): tells systemd, reloads the file, lets the clouds and the
    /// observers adopt the new schedule, and tells systemd the service is ready again, leading
    /// the status line with the rejection when the file was rejected.
    @discardableResult
    public func reloadRequested(path: String) async -> ReloadOutcome {
        notifications.reloading("reloading \(path)")
        let outcome = reload(path: path)
        if case .reloaded = outcome { await configuration.onScheduleChanged(schedule) }
        notifications.reloaded(statusLine())
        return outcome
    }

    /// Replaces the schedule with an already validated one; `select:` entries are listed again at once.
    public func replace(with fresh: Schedule) {
        configured = fresh
        fleet.adopt(fresh, now: clock.monotonicNow(), logger: logger)
        install(fresh.expanded(with: fleet.selections))
    }

    /// Puts an expanded schedule in force; queued slots of entries (and streams) that stay are kept.
    private func install(_ fresh: Schedule) {
        let old = queue.all
        schedule = fresh
        noteEntries()
        var rebuilt = SlotQueue()
        let now = clock.now()
        for entry in fresh.entries {
            // Keep an entry's pending next slot when the new cron still has it; otherwise start from now.
            let cursor = old.first { $0.alias == entry.alias }.map { $0.slot.addingTimeInterval(-1) } ?? now
            if let next = entry.nextSlot(after: cursor) {
                rebuilt.push(QueuedSlot(runAt: entry.runTime(of: next), slot: next, alias: entry.alias))
            }
        }
        queue = rebuilt
        wake()
    }

    /// Slots being run now (tests, status).
    public var activeSlots: Int { running.count }
    /// The offsite copies running and waiting (tests, status).
    public var copyCounts: (running: Int, queued: Int) { copies.counts }
    /// Waits until no copy runs or waits (tests).
    public nonisolated func copiesIdle() async { await copies.idle() }
    /// Whether start-up (reconcile, catch-up) is done and the loop runs.
    public var isStarted: Bool {
        switch phase {
        case .starting: return false
        case .running: return true
        case .stopping(let started): return started
        }
    }
    /// The queued next runs (tests).
    public var queuedSlots: [QueuedSlot] { queue.all.sorted { SlotQueue.less($0, $1) } }
    /// The schedule in force.
    public var currentSchedule: Schedule { schedule }

    static func entries(_ count: Int) -> String { count == 1 ? "1 entry" : "\(count) entries" }

    // MARK: - Start-up

    private func startUp() throws {
        // `select:` entries start from the streams the state knew: no API call before READY=1.
        fleet.seed((try? store.knownStreams()) ?? [:], schedule: configured, now: clock.monotonicNow())
        schedule = configured.expanded(with: fleet.selections)
        noteEntries()
        let now = clock.now()
        // 1. Slots a previous process left unfinished: resumed through the runner (list check first).
        for record in try store.unfinished() {
            guard let entry = schedule.entries.first(where: { $0.alias == record.entry && $0.instanceID == record.instanceID }) else {
                var orphan = record
                orphan.state = .missed
                orphan.note = "the entry left the schedule before this slot finished (it was \(record.state.rawValue))"
                try store.save(orphan, now: now)
                log(.slotMissed, "slot missed: \(orphan.note ?? "")", orphan)
                continue
            }
            enqueue(Job(record: record, entry: entry))
        }
        // 1b. Offsite copies a previous process left unfinished: continued from their partial files.
        resumeCopies(now: now)
        // 2. Slots that came while the service was down: the newest inside its window runs once, older ones are missed.
        let cursors = try store.catchUpCursors(schedule.entries.map { ($0.alias, $0.instanceID) })
        for entry in schedule.entries {
            let cursor = cursors[entry.alias] ?? now
            var due: [Date] = []
            var next = entry.nextSlot(after: cursor)
            while let slot = next, entry.runTime(of: slot) <= now {
                due.append(slot)
                next = entry.nextSlot(after: slot)
            }
            if let next { queue.push(QueuedSlot(runAt: entry.runTime(of: next), slot: next, alias: entry.alias)) }
            guard !due.isEmpty else { continue }
            let runnable = due.last.flatMap { slot in
                !entry.paused && now <= entry.runTime(of: slot).addingTimeInterval(entry.startWindow.timeInterval) ? slot : nil
            }
            let settled = due.filter { $0 != runnable }
            for (index, slot) in settled.enumerated().reversed() where settled.count - index <= configuration.maxMissedRecordsPerEntry {
                var record = SlotRecord(entry: entry.alias, instanceID: entry.instanceID, slotAt: slot, runAt: entry.runTime(of: slot), now: now)
                if entry.paused {
                    record.state = .skipped
                    record.note = "entry paused (while the service was down)"
                } else {
                    record.state = .missed
                    record.note = "the service was not running within the start window (\(DurationParser.format(entry.startWindow)))"
                }
                let claimed = try store.claim(record)
                guard claimed.isNew else { continue }
                record = try store.save(SlotRecord(copying: record, id: claimed.record.id), now: now)
                if record.state == .missed {
                    log(.slotMissed, "slot missed: \(record.note ?? "")", record)
                }
            }
            if settled.count > configuration.maxMissedRecordsPerEntry {
                logger.warning(
                    "\(settled.count - configuration.maxMissedRecordsPerEntry) older slots of \(entry.alias) were missed too; not recorded one by one",
                    metadata: BackupEvent.slotMissed.metadata.merging(["RDS_ENTRY": "\(entry.alias)"]) { $1 })
            }
            if let runnable {
                let record = SlotRecord(entry: entry.alias, instanceID: entry.instanceID, slotAt: runnable, runAt: entry.runTime(of: runnable), now: now)
                logger.info(
                    "catching up the slot missed while the service was down",
                    metadata: ["RDS_ENTRY": "\(entry.alias)", "RDS_SLOT": "\(RFC3339.formatUTC(runnable))"])
                enqueue(Job(record: record, entry: entry))
            }
        }
    }

    private func noteEntries() {
        do {
            let changes = try store.noteEntries(schedule.entries.map { ($0.alias, $0.instanceID) }, now: clock.now())
            for removed in changes.removed where StreamKey(alias: removed.alias).selectedFrom == nil {
                if let successor = removed.likelyRenamedTo {
                    logger.warning(
                        "entry \(removed.alias) left the schedule and \(successor) backs up the same instance \(removed.instanceID): if this is a rename, the \(removed.slotRows) recorded slots stay under \(removed.alias) (history --entry \(removed.alias)) and \(successor) starts a new history",
                        metadata: BackupEvent.instanceSelectionChanged.metadata.merging(["RDS_ENTRY": "\(successor)", "RDS_INSTANCE_ID": "\(removed.instanceID)"]) { $1 })
                } else {
                    logger.notice(
                        "entry \(removed.alias) left the schedule; its \(removed.slotRows) recorded slots are kept",
                        metadata: BackupEvent.instanceSelectionChanged.metadata.merging(["RDS_ENTRY": "\(removed.alias)"]) { $1 })
                }
            }
            for change in changes.instanceChanged {
                logger.notice(
                    "entry \(change.alias) now backs up instance \(change.to) instead of \(change.from)",
                    metadata: BackupEvent.instanceSelectionChanged.metadata.merging(["RDS_ENTRY": "\(change.alias)"]) { $1 })
            }
        } catch {
            logger.error("cannot record the schedule's entries: \(error)")
        }
    }

    // MARK: - Loop

    private func loop() async {
        while !stopping {
            if configuration.stallLoopForTesting {
                // Test-only (RDS_BACKUPD_TEST_STALL_SCHEDULER): a hung loop, so the watchdog must fire.
                await shutdown.wait()
                return
            }
            let now = clock.now()
            let monotonic = clock.monotonicNow()
            noteWallStep(now: now, at: monotonic)
            pingWatchdog(at: monotonic)
            while let top = queue.first, top.runAt <= now, !stopping {
                queue.popFirst()
                due(top, now: now)
            }
            dispatch()
            if refreshTask == nil, selectInstances != nil, let refreshAt = fleet.nextDue, refreshAt <= monotonic { startRefresh() }
            publishStatus(now: now, at: monotonic)
            // Slots are due at wall instants: the wait for them is the interval the wall clock
            // shows now, measured on the monotonic clock. Selection refreshes, the status line and
            // the watchdog are intervals of their own.
            var wakeAt = queue.first.map { clock.monotonicDeadline(atWall: $0.runAt) }
            if refreshTask == nil, selectInstances != nil, let refreshAt = fleet.nextDue { wakeAt = min(wakeAt ?? refreshAt, refreshAt) }
            if let statusDueAt { wakeAt = min(wakeAt ?? statusDueAt, statusDueAt) }
            if let interval = configuration.watchdogInterval, let lastPing {
                let pingAt = lastPing.advanced(by: interval)
                wakeAt = min(wakeAt ?? pingAt, pingAt)
            }
            // A bounded re-check: a monotonic sleep does not see a wall step, and the kernel's
            // notice of one (`waitForWallStep`) does not come where the clock is faked rather than
            // set (libfaketime), so the loop looks at the wall clock at least every
            // `wallRecheckInterval` (`due` then re-plans).
            let recheckAt = monotonic.advanced(by: Self.wallRecheckInterval)
            await sleep(until: min(wakeAt ?? recheckAt, recheckAt))
        }
    }

    /// Lists the instances of every `select:` entry whose refresh is due (on the monotonic clock),
    /// in a task beside the loop; `finishRefresh` installs a changed selection like a reload.
    private func startRefresh() {
        guard let selectInstances else { return }
        let due = fleet.due(in: configured, at: clock.monotonicNow())
        refreshTask = Task {
            var results: [(BackupEntry, Result<[Instance], any Error>)] = []
            for entry in due where !Task.isCancelled {
                do { results.append((entry, .success(try await selectInstances(entry)))) } catch { results.append((entry, .failure(error))) }
            }
            self.finishRefresh(results)
        }
    }

    private func finishRefresh(_ results: [(BackupEntry, Result<[Instance], any Error>)]) {
        refreshTask = nil
        guard !stopping else { return }
        var changed = false
        // An entry reloaded meanwhile is skipped: its new definition is due for a refresh already.
        for (entry, result) in results where configured.entry(alias: entry.alias) == entry {
            changed =
                fleet.record(result, for: entry, schedule: configured, now: clock.now(), monotonic: clock.monotonicNow(), logger: logger)
                || changed
        }
        if changed { install(configured.expanded(with: fleet.selections)) }
        wake()
    }

    /// The instances each `select:` entry backs up now (tests, status).
    public var selections: [String: [SelectedStream]] { fleet.selections }
    /// Whether a selection refresh is listing instances now (tests wait for it).
    public var refreshInFlight: Bool { refreshTask != nil }

    private func due(_ item: QueuedSlot, now: Date) {
        guard let entry = schedule.entry(alias: item.alias) else { return }
        // Slots that fell due together (the wall clock stepped forward, or the host slept): only
        // the newest runs, as at start-up; the older ones are recorded missed, never run in a burst.
        var item = item
        while let next = entry.nextSlot(after: item.slot), entry.runTime(of: next) <= now {
            recordPassedOver(item, entry: entry, now: now)
            item = QueuedSlot(runAt: entry.runTime(of: next), slot: next, alias: entry.alias)
        }
        if let next = entry.nextSlot(after: item.slot) {
            queue.push(QueuedSlot(runAt: entry.runTime(of: next), slot: next, alias: entry.alias))
        }
        var record = SlotRecord(entry: entry.alias, instanceID: entry.instanceID, slotAt: item.slot, runAt: item.runAt, now: now)
        if entry.paused {
            do {
                let claimed = try store.claim(record)
                guard claimed.isNew else { return }
                record = claimed.record
                record.state = .skipped
                record.note = "entry paused"
                record = try store.save(record, now: now)
                log(.slotSkipped, "slot skipped: the entry is paused", record)
            } catch {
                logger.error("cannot record the skipped slot: \(error)")
            }
            return
        }
        enqueue(Job(record: record, entry: entry))
    }

    /// Records a slot a newer one of the same entry overtook while the service was not looking
    /// (a forward step of the wall clock, a suspend) as missed (skipped when the entry is paused).
    private func recordPassedOver(_ item: QueuedSlot, entry: BackupEntry, now: Date) {
        var record = SlotRecord(entry: entry.alias, instanceID: entry.instanceID, slotAt: item.slot, runAt: item.runAt, now: now)
        do {
            let claimed = try store.claim(record)
            guard claimed.isNew else { return }
            record = claimed.record
            if entry.paused {
                record.state = .skipped
                record.note = "entry paused"
                record = try store.save(record, now: now)
                log(.slotSkipped, "slot skipped: the entry is paused", record)
            } else {
                record.state = .missed
                record.note = "a newer slot of the entry was due too (the wall clock stepped forward or the host was suspended); only the newest runs"
                record = try store.save(record, now: now)
                log(.slotMissed, "slot missed: \(record.note ?? "")", record)
            }
        } catch {
            logger.error("cannot record the missed slot: \(error)")
        }
    }

    private func enqueue(_ job: Job) {
        waiting[job.record.instanceID, default: []].append(job)
    }

    /// Starts the first waiting job of every instance that has no slot in flight.
    private func dispatch() {
        guard !stopping else { return }
        for instance in waiting.keys.sorted() where running[instance] == nil {
            while var jobs = waiting[instance], !jobs.isEmpty, running[instance] == nil {
                let job = jobs.removeFirst()
                waiting[instance] = jobs.isEmpty ? nil : jobs
                start(job)
            }
        }
    }

    private func start(_ job: Job) {
        let record: SlotRecord
        let runner: SlotRunner
        do {
            let claimed = try store.claim(job.record)
            if claimed.record.state.isFinal { return }  // settled already (backup-now, an earlier run)
            record = claimed.record
            var built = try makeRunner(job.entry)
            built.clock = InterruptibleClock(base: built.clock, signal: shutdown)
            built.observer = configuration.observer
            runner = built
        } catch {
            logger.error("cannot start the slot: \(error)", metadata: ["RDS_ENTRY": "\(job.entry.alias)"])
            return
        }
        let instance = record.instanceID
        let entry = job.entry
        running[instance] = Task {
            let result = await runner.run(record, entry: entry)
            if result.state == .completed, entry.copy != nil { await self.copyCompleted(result, entry: entry) }
            // Retention runs on the same task, so one job per instance still holds; it never
            // throws, and a failed delete is only logged and retried after the next slot.
            if result.state == .completed, entry.retention != nil, !Task.isCancelled {
                let report = await Pruner(sharing: runner).prune(entry: entry, now: runner.clock.now())
                runner.observer.pruned(entry: entry.alias, count: report.deleted.count)
            }
            await self.finished(instance: instance)
        }
    }

    /// Hands the copy of a slot that just completed to the copy pool (the row first, so a stop
    /// before the copy begins still leaves it to the next start).
    private func copyCompleted(_ slot: SlotRecord, entry: BackupEntry) {
        guard !stopping else {
            do { _ = try CopyRunner.claim(slot: slot, entry: entry, store: store, now: clock.now()) } catch {
                logger.error("cannot record the copy of slot \(RFC3339.formatUTC(slot.slotAt)) of \(entry.alias): \(error)")
            }
            return
        }
        submitCopy(slot: slot, record: nil, entry: entry)
    }

    private func submitCopy(slot: SlotRecord?, record: CopyRecord?, entry: BackupEntry) {
        guard let makeCopyRunner = configuration.makeCopyRunner else {
            logger.warning("entry \(entry.alias) has copy: but this service cannot copy (no copy runner)", metadata: ["RDS_ENTRY": "\(entry.alias)"])
            return
        }
        do {
            guard let copy = try record ?? slot.flatMap({ try CopyRunner.claim(slot: $0, entry: entry, store: store, now: clock.now()) }),
                !copy.state.isFinal
            else { return }
            var runner = try makeCopyRunner(entry)
            runner.observer = configuration.observer
            copies.submit(copy, entry: entry, runner: runner)
        } catch {
            logger.error("cannot start the copy of \(entry.alias): \(error)", metadata: ["RDS_ENTRY": "\(entry.alias)"])
        }
    }

    /// Copies left pending or copying by an earlier process go to the pool again; a copy whose
    /// entry left the schedule or lost its `copy:` is recorded failed (its partial files stay).
    private func resumeCopies(now: Date) {
        let unfinished: [CopyRecord]
        do { unfinished = try store.unfinishedCopies() } catch {
            logger.error("cannot read the unfinished copies: \(error)")
            return
        }
        for record in unfinished {
            if let entry = schedule.entries.first(where: { $0.alias == record.entry && $0.instanceID == record.instanceID }),
                entry.copy != nil
            {
                submitCopy(slot: nil, record: record, entry: entry)
                continue
            }
            var orphan = record
            orphan.state = .failed
            orphan.errorMessage = "the entry left the schedule or no longer has copy: before this copy finished"
            do {
                try SlotJournal(store: store, clock: clock, observer: configuration.observer).recordCopy(
                    .copyFailed, &orphan, log: logger, "copy of backup \(orphan.backupName) abandoned: \(orphan.errorMessage ?? "")",
                    fields: [
                        "RDS_ENTRY": "\(orphan.entry)", "RDS_INSTANCE_ID": "\(orphan.instanceID)", "RDS_BACKUP_ID": "\(orphan.backupID)",
                        "RDS_COPY_DIRECTORY": "\(orphan.directory)",
                    ])
            } catch {
                logger.error("cannot record the abandoned copy: \(error)")
            }
        }
    }

    private func finished(instance: String) {
        running[instance] = nil
        wake()
    }

    /// After the loop: waits for in-flight slots up to the shutdown timeout, then cancels them and
    /// waits at most `cancellationGrace` more; a slot still stuck then (an API call that never
    /// answers) is left behind. Either way its row stays `creating`/`created` and is settled on
    /// the next start, and `run()` returns within `shutdownTimeout + cancellationGrace`.
    private func drain() async {
        let clock = self.clock
        let grace = configuration.cancellationGrace
        if let refreshTask {
            // Listing instances is not worth waiting for: the next start lists again.
            refreshTask.cancel()
            if !(await BoundedWait.all([refreshTask], atMost: grace, on: clock)) {
                logger.warning("the selection refresh did not end when cancelled; left behind")
            }
        }
        // Copies can take hours: they stop at once and continue from their partial files at the
        // next start; they end within the same bounds as the slots.
        let tasks = Array(running.values) + copies.stop()
        guard !tasks.isEmpty else { return }
        if await BoundedWait.all(tasks, atMost: configuration.shutdownTimeout, on: clock) { return }
        logger.warning("slots still running after the shutdown timeout are cancelled; they are resumed on the next start")
        for task in tasks { task.cancel() }
        if await BoundedWait.all(tasks, atMost: grace, on: clock) { return }
        let stuck = running.count
        logger.warning(
            "\(stuck == 1 ? "1 slot" : "\(stuck) slots") did not end within \(DurationParser.format(grace)) of being cancelled (an API call that does not answer); stopping without them: they are resumed on the next start")
    }

    // MARK: - Sleeping and waking

    /// How soon at the latest the loop notices a step of the wall clock the kernel did not report.
    static let wallRecheckInterval: Duration = .seconds(300)
    /// A change of the wall clock against the monotonic one this large is a step (an NTP slew
    /// changes it by at most 0.5 ms a second, well below this between two passes of the loop).
    static let wallStepThreshold: TimeInterval = 1

    /// Logs a step of the wall clock since the loop's last pass, once, with what the service does about it.
    private func noteWallStep(now: Date, at monotonic: MonotonicInstant) {
        let offset = now.timeIntervalSince1970 - monotonic.sinceOrigin.timeInterval
        defer { wallOffset = offset }
        guard let previous = wallOffset, abs(offset - previous) >= Self.wallStepThreshold else { return }
        let step = offset - previous
        let size = DurationParser.format(.seconds(abs(step).rounded()))
        let plan =
            step > 0
            ? "slots of an entry that fell due together run only the newest, the older ones are recorded missed"
            : "slots that ran already do not run again; the next one runs when the wall clock reaches it"
        logger.notice(
            "the wall clock was stepped \(step > 0 ? "forward" : "back") by \(size) (NTP, a VM resume, or by hand); re-planning: \(plan)",
            metadata: BackupEvent.wallClockStepped.metadata.merging(["RDS_CLOCK_STEP_SECONDS": "\(Int(step.rounded()))"]) { $1 })
    }

    /// Sleeps until `deadline` on the monotonic clock (nil: until woken).
    private func sleep(until deadline: MonotonicInstant?) async {
        if wakeRequested || stopping {
            wakeRequested = false
            return
        }
        let clock = self.clock
        let task = Task<Void, Never> {
            if let deadline {
                _ = try? await clock.sleep(until: deadline)
            } else {
                _ = try? await clock.sleep(for: .seconds(365 * 86_400))
            }
        }
        sleeper = task
        await task.value
        sleeper = nil
        wakeRequested = false
    }

    private func wake() {
        wakeRequested = true
        sleeper?.cancel()
    }

    // MARK: - Watchdog and status

    private func pingWatchdog(at now: MonotonicInstant) {
        guard let interval = configuration.watchdogInterval else { return }
        if let lastPing, now < lastPing.advanced(by: interval) { return }
        lastPing = now
        notifications.watchdog()
    }

    private func publishStatus(now: Date, at monotonic: MonotonicInstant) {
        // The line (and the observer's next runs) at most once a second: the loop turns for every
        // finished slot, and each costs a pass over the queue, the line also a query (2,000 slots
        // ending together, BENCHMARKS.md). A skipped render is made when the second is over, so
        // the last change is always shown.
        if let lastStatusAt, monotonic < lastStatusAt.advanced(by: .seconds(1)) {
            statusDueAt = lastStatusAt.advanced(by: .seconds(1))
            return
        }
        lastStatusAt = monotonic
        statusDueAt = nil
        configuration.observer.nextRuns(Dictionary(queue.all.map { ($0.alias, $0.runAt) }) { min($0, $1) })
        let line = renderStatus(now: now)
        if line != lastStatus {
            lastStatus = line
            notifications.status(line)
        }
    }

    /// The current one-line status.
    public func statusLine() -> String {
        renderStatus(now: clock.now())
    }

    private func renderStatus(now: Date) -> String {
        let line = StatusLine.render(schedule: schedule, queue: queue.all, store: store, now: now)
        return rejectedReload ? Self.rejectedNotice + line : line
    }

    /// What the status line leads with after a rejected reload, until a reload succeeds.
    public static let rejectedNotice = "configuration rejected, keeping the last good schedule; see the journal · "

    private func log(_ event: BackupEvent, _ message: String, _ record: SlotRecord) {
        // Every missed or skipped slot the service itself settles passes here (already saved).
        SlotJournal(store: store, clock: clock, observer: configuration.observer).announce(
            event, record, log: logger, message,
            fields: [
                "RDS_ENTRY": "\(record.entry)", "RDS_INSTANCE_ID": "\(record.instanceID)",
                "RDS_SLOT": "\(RFC3339.formatUTC(record.slotAt))",
            ],
            alert: schedule.entry(alias: record.entry)?.alert)
    }
}

extension SlotRecord {
    /// `record` with the row id `id`.
    init(copying record: SlotRecord, id: Int64?) {
        self = record
        self.id = id
    }
}
