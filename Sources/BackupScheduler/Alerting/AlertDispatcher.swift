import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Sends the pings and runs the failure commands of `alert:` off the service's path: `slot(_:)`
/// only queues (never waits), and two background loops, one for pings and one for commands,
/// work the queues in order. A dead receiver or a hanging command therefore never delays a
/// slot; when a queue is full, further alerts are dropped and logged. On graceful shutdown the
/// queued work gets `drainTime` more, pings with one attempt each.
public final class AlertDispatcher: ServiceObserver, Service, Sendable {
    /// Settings with their defaults.
    public struct Configuration: Sendable {
        /// Pings and commands waiting at most (256 each); more are dropped and logged.
        public var queueLimit = 256
        /// How long queued alerts may still go out after graceful shutdown began (5 s).
        public var drainTime: Duration = .seconds(5)

        public init() {}
    }

    /// A ping to send: where, what, and which event it reports.
    struct PingJob: Sendable {
        var url: PingURL
        var body: String
        var observation: SlotObservation
    }

    struct CommandJob: Sendable {
        var command: AlertCommand
        var observation: SlotObservation
    }

    private let sender: PingSender
    private let runner: FailureCommandRunner
    private let logger: Logger
    private let configuration: Configuration
    private let pings: AsyncStream<PingJob>
    private let pingInput: AsyncStream<PingJob>.Continuation
    private let commands: AsyncStream<CommandJob>
    private let commandInput: AsyncStream<CommandJob>.Continuation
    private let drainDeadline = Mutex<ContinuousClock.Instant?>(nil)
    private let dropped = Mutex(0)

    public init(
        sender: PingSender, runner: FailureCommandRunner = .init(), logger: Logger, configuration: Configuration = .init()
    ) {
        self.sender = sender
        self.runner = runner
        self.logger = logger
        self.configuration = configuration
        (pings, pingInput) = AsyncStream.makeStream(of: PingJob.self, bufferingPolicy: .bufferingOldest(configuration.queueLimit))
        (commands, commandInput) = AsyncStream.makeStream(
            of: CommandJob.self, bufferingPolicy: .bufferingOldest(configuration.queueLimit))
    }

    // MARK: - ServiceObserver

    public func slot(_ observation: SlotObservation) {
        guard let alert = observation.alert else { return }
        let url: PingURL?
        switch observation.kind {
        case .started: url = alert.start
        case .completed: url = alert.success
        case .failed, .missed, .copyFailed: url = alert.failure
        case .created, .skipped: url = nil
        }
        if let url {
            let job = PingJob(url: url, body: PingBody.text(for: observation), observation: observation)
            if case .dropped = pingInput.yield(job) { noteDropped("ping to \(url)", observation) }
        }
        if [.failed, .missed, .copyFailed].contains(observation.kind), let command = alert.command {
            if case .dropped = commandInput.yield(CommandJob(command: command, observation: observation)) {
                noteDropped("command", observation)
            }
        }
    }

    // MARK: - Service

    /// Works both queues until graceful shutdown (or `finish()`), then drains them within `drainTime`.
    public func run() async {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.pingLoop() }
                group.addTask { await self.commandLoop() }
            }
        } onGracefulShutdown: {
            self.finish()
        }
        await sender.shutdown()
    }

    /// Stops taking alerts; what is queued goes out within `drainTime`, then `run()` returns.
    public func finish() {
        drainDeadline.withLock { deadline in
            if deadline == nil { deadline = ContinuousClock.now + configuration.drainTime }
        }
        pingInput.finish()
        commandInput.finish()
    }

    private var draining: (draining: Bool, expired: Bool) {
        let deadline = drainDeadline.withLock { $0 }
        guard let deadline else { return (false, false) }
        return (true, ContinuousClock.now >= deadline)
    }

    private func pingLoop() async {
        for await job in pings {
            let (draining, expired) = self.draining
            if expired {
                logger.warning("alert ping to \(job.url) not sent: shutting down", metadata: Self.metadata(job.observation))
                continue
            }
            let outcome = await sender.send(job.url, body: job.body, attempts: draining ? 1 : nil)
            switch outcome {
            case .delivered(let status):
                logger.debug("alert ping to \(job.url) delivered (HTTP \(status))", metadata: Self.metadata(job.observation))
            case .refused(let status):
                logger.warning("alert ping to \(job.url) (slot \(job.observation.kind.rawValue)) was answered with HTTP \(status)", metadata: Self.metadata(job.observation))
            case .failed(let message):
                logger.warning("alert ping to \(job.url) (slot \(job.observation.kind.rawValue)) failed: \(message)", metadata: Self.metadata(job.observation))
            }
        }
    }

    private func commandLoop() async {
        for await job in commands {
            if draining.expired {
                logger.warning("alert command not run: shutting down", metadata: Self.metadata(job.observation))
                continue
            }
            let outcome = await runner.run(job.command, for: job.observation)
            let program = job.command.argv.first ?? ""
            if outcome == .exited(0) {
                logger.info("alert command \(program) \(outcome)", metadata: Self.metadata(job.observation))
            } else {
                logger.warning("alert command \(program) \(outcome)", metadata: Self.metadata(job.observation))
            }
        }
    }

    /// Logs the first dropped alert and then every 100th, so a burst (many slots missed while the
    /// service was down) does not flood the journal.
    private func noteDropped(_ what: String, _ observation: SlotObservation) {
        let count = dropped.withLock { count in
            count += 1
            return count
        }
        guard count == 1 || count % 100 == 0 else { return }
        logger.warning(
            "alert \(what) dropped: \(configuration.queueLimit) are waiting already (\(count) alerts dropped since start)",
            metadata: Self.metadata(observation))
    }

    static func metadata(_ observation: SlotObservation) -> Logger.Metadata {
        ["RDS_ENTRY": "\(observation.entry)", "RDS_INSTANCE_ID": "\(observation.instanceID)", "RDS_SLOT": "\(RFC3339.formatUTC(observation.slot))"]
    }
}
