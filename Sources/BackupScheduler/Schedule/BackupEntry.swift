import Foundation
import RDSClient

/// One entry under `backups:`, with `defaults` already applied: either an entry of one instance,
/// a `select:` entry (a fleet selector the service expands), or one of a `select:` entry's streams
/// (`target` says which).
public struct BackupEntry: Sendable, Hashable {
    /// The entry's unique short name, used in names, logs and commands; a stream's is
    /// `ALIAS@INSTANCE_ID` (`StreamKey.alias`).
    public var alias: String
    /// The key of `Schedule.clouds` this entry's instance lives in.
    public var cloudName: String
    /// What this entry backs up.
    public var target: Target
    public var cron: CronExpression
    /// The IANA zone `cron` and `{slot:…}` are evaluated in.
    public var timeZone: TimeZone
    public var nameTemplate: NameTemplate
    public var descriptionTemplate: DescriptionTemplate
    /// SQL Server databases for a partial backup; nil for a full backup.
    public var databases: [String]?
    /// A slot that cannot start within this is recorded as missed.
    public var startWindow: Duration
    /// How long to follow a backup until COMPLETED or FAILED.
    public var completionWindow: Duration
    public var retry: RetrySettings
    /// Pruning of this entry's own backups; nil when off.
    public var retention: RetentionSettings?
    /// Upper bound of the stable per-instance delay.
    public var jitter: Duration
    public var paused: Bool
    /// A stream's instance name when it was selected, for `{instance_name}` before the API is asked.
    public var instanceName: String? = nil
    /// Pings and the failure command (`alert:`); nil when none is set.
    public var alert: AlertSettings? = nil
    /// Offsite copies of each completed backup's files (`copy:`); nil when none.
    public var copy: CopySettings? = nil

    /// What this entry backs up.
    public enum Target: Sendable, Hashable {
        /// One instance, named in the schedule.
        case instance(id: String)
        /// Every instance a `select:` matches: a template the service expands into streams.
        case fleet(InstanceSelector)
        /// One instance a `select:` entry selected: a stream of that entry.
        case selected(StreamKey)
    }

    /// The instance this entry backs up; empty for a `select:` entry, which names none itself.
    public var instanceID: String {
        switch target {
        case .instance(let id): return id
        case .fleet: return ""
        case .selected(let key): return key.selectedInstanceID ?? ""
        }
    }

    /// A `select:` entry's selector; the service expands it into one stream per selected instance
    /// (see `Selection/SelectionStreams.swift`).
    public var selector: InstanceSelector? {
        if case .fleet(let selector) = target { return selector }
        return nil
    }

    /// A stream's configured entry alias (its own `alias` is `ALIAS@INSTANCE_ID`); nil otherwise.
    public var selectedFrom: String? {
        if case .selected(let key) = target { return key.entry }
        return nil
    }

    /// A `select:` entry as configured (not one of its streams).
    public var isFleet: Bool {
        if case .fleet = target { return true }
        return false
    }

    /// The stable delay of this entry's slots (see `StableJitter`).
    public var jitterOffset: Duration { StableJitter.offset(instanceID: instanceID, jitter: jitter) }

    /// The next slot strictly after `date`: the cron instant, which is the slot's identity.
    public func nextSlot(after date: Date) -> Date? { cron.next(after: date, in: timeZone) }

    /// When the slot at `slot` should run: its instant plus the stable jitter offset.
    public func runTime(of slot: Date) -> Date {
        slot.addingTimeInterval(TimeInterval(jitterOffset.components.seconds))
    }

    /// The backup name of the slot at `slot`; `instanceName` and `engine` as the API reports them.
    public func name(for slot: Date, instanceName: String? = nil, engine: String? = nil) -> BackupName {
        nameTemplate.render(slot: slot, context: context(instanceName: instanceName, engine: engine), timeZone: timeZone)
    }

    /// The backup description of the slot at `slot`.
    public func description(for slot: Date, instanceName: String? = nil, engine: String? = nil) -> BackupDescription {
        descriptionTemplate.render(
            slot: slot, context: context(instanceName: instanceName, engine: engine), timeZone: timeZone)
    }

    func context(instanceName: String? = nil, engine: String? = nil) -> NameContext {
        NameContext(
            alias: selectedFrom ?? alias, instanceID: instanceID, instanceName: instanceName ?? self.instanceName,
            engine: engine)
    }
}

/// Retries of one slot: exponential backoff with full jitter from `initial` up to `max`.
public struct RetrySettings: Sendable, Hashable {
    public var attempts: Int
    public var initial: Duration
    public var max: Duration

    public static let `default` = RetrySettings(attempts: 8, initial: .seconds(10), max: .seconds(600))

    public init(attempts: Int, initial: Duration, max: Duration) {
        self.attempts = attempts
        self.initial = initial
        self.max = max
    }
}

/// Which of an entry's own completed backups to keep; a backup is kept if any rule keeps it.
public struct RetentionSettings: Sendable, Hashable {
    public var keepLast: Int?
    public var keepWithin: Duration?
    public var keepDaily: Int?
    public var keepWeekly: Int?
    public var keepMonthly: Int?
    /// How long records of failed slots are kept.
    public var keepFailedFor: Duration?

    public init(
        keepLast: Int? = nil, keepWithin: Duration? = nil, keepDaily: Int? = nil, keepWeekly: Int? = nil,
        keepMonthly: Int? = nil, keepFailedFor: Duration? = nil
    ) {
        self.keepLast = keepLast
        self.keepWithin = keepWithin
        self.keepDaily = keepDaily
        self.keepWeekly = keepWeekly
        self.keepMonthly = keepMonthly
        self.keepFailedFor = keepFailedFor
    }
}
