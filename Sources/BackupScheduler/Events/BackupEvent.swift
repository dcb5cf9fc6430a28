import Logging

/// The kinds of events rds-backupd logs, each with a stable journal `MESSAGE_ID`.
///
/// Log an event by putting `event.metadata` (or `MESSAGE_ID: event.messageID`) into the log
/// call's metadata, next to the `RDS_*` fields the event carries (see `systemd/rds-backupd.catalog`,
/// which explains every id to `journalctl -x`). The ids are part of the interface: people
/// filter with `journalctl MESSAGE_ID=…`, so never change one; add a new case instead.
public enum BackupEvent: String, CaseIterable, Sendable {
    case slotStarted
    case backupCreated
    case backupCompleted
    case backupFailed
    case retryScheduled
    case slotMissed
    case slotSkipped
    case configReloaded
    case configRejected
    case backupPruned
    case pruneFailed
    case serviceStarted
    case serviceStopping
    case instanceSelectionChanged
    case selectionRefreshFailed
    case copyStarted
    case copyCompleted
    case copyFailed
    case copyPruned
    case wallClockStepped

    /// The journal MESSAGE_ID: 32 lowercase hex digits, fixed forever.
    public var messageID: String {
        switch self {
        case .slotStarted: "2bf816e7b68748c68bda600fa758433b"
        case .backupCreated: "c66b1be4664d485f968c2da6694436ec"
        case .backupCompleted: "c554dcebb3404990b2480b1137b0db43"
        case .backupFailed: "c8ba84c836b94c11b97f4c47bf27d6a8"
        case .retryScheduled: "250bc17d93f94ae19c730484094099ba"
        case .slotMissed: "e706dca898024cf08e095f82ea209163"
        case .slotSkipped: "7118d56526df4e56ab79f401d7bef241"
        case .configReloaded: "374d6baeee5d4d1183dff734362f61e3"
        case .configRejected: "49019a9e5bbb4a7f838c44e526ad3d67"
        case .backupPruned: "70ce58985e5449d5a8ff05c0fb6b57a4"
        case .pruneFailed: "e2c1e6ad84074aa188565637caa413d8"
        case .serviceStarted: "6845dac1088340439ccb80da94b5bc87"
        case .serviceStopping: "0f11a3282de4494bb16c4c57bbdc0802"
        case .instanceSelectionChanged: "495b645cdb434e29832a5f89000e58de"
        case .selectionRefreshFailed: "08b0b01e32e448c999a5adf06d2359fc"
        case .copyStarted: "9a3c51e0d2b84f6e8c17a4b09e6d2f53"
        case .copyCompleted: "4e07b8a2c95d4c13a6f0e8d71b2c5a94"
        case .copyFailed: "d61f2a9b4e8c47059b3a7e1c0f5d8264"
        case .copyPruned: "b82e6d4f1a7c4e39a05c9d3e7f1b6a28"
        case .wallClockStepped: "a1f126b2756d4859ba366d71d28a1ea1"
        }
    }

    /// A short title, the catalog entry's `Subject:`.
    public var title: String {
        switch self {
        case .slotStarted: "Backup slot started"
        case .backupCreated: "Manual backup requested"
        case .backupCompleted: "Manual backup completed"
        case .backupFailed: "Manual backup failed"
        case .retryScheduled: "Backup retry scheduled"
        case .slotMissed: "Backup slot missed"
        case .slotSkipped: "Backup slot skipped"
        case .configReloaded: "Configuration reloaded"
        case .configRejected: "Configuration rejected"
        case .backupPruned: "Old backup deleted by retention"
        case .pruneFailed: "Deleting an old backup failed"
        case .serviceStarted: "rds-backupd started"
        case .serviceStopping: "rds-backupd stopping"
        case .instanceSelectionChanged: "Set of backed-up instances changed"
        case .selectionRefreshFailed: "Instance selection could not be refreshed"
        case .copyStarted: "Offsite copy started"
        case .copyCompleted: "Offsite copy completed"
        case .copyFailed: "Offsite copy failed"
        case .copyPruned: "Old offsite copy deleted by retention"
        case .wallClockStepped: "Wall clock stepped"
        }
    }

    /// The level this event is normally logged at.
    public var level: Logger.Level {
        switch self {
        case .backupFailed, .configRejected, .pruneFailed, .slotMissed, .selectionRefreshFailed, .copyFailed: .warning
        case .retryScheduled, .slotSkipped, .instanceSelectionChanged, .wallClockStepped: .notice
        default: .info
        }
    }

    /// Metadata that tags a log call as this event: `["MESSAGE_ID": messageID]`.
    public var metadata: Logger.Metadata { ["MESSAGE_ID": .string(messageID)] }
}
