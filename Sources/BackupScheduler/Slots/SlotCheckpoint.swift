/// The points of a slot (and of retention) where a crash matters: the crash tests stop the
/// binary at each one (`RDS_BACKUPD_TEST_PAUSE_AT=<raw value>`) and SIGKILL it there, and the
/// next start must resume without a duplicate and without a lost slot.
public enum SlotCheckpoint: String, Sendable, CaseIterable {
    /// Before the instance is looked up.
    case beforeInstanceCheck = "before-instance-check"
    /// The row says `creating`; nothing is sent yet.
    case beforeCreate = "before-create"
    /// The cloud accepted the create; the row does not know it yet.
    case afterCreate = "after-create"
    /// Before each status check of the backup being followed.
    case duringFollow = "during-follow"
    /// The backup completed; the row does not say so yet.
    case beforeCompletedWrite = "before-completed-write"
    /// Retention is about to send a delete.
    case duringPrune = "during-prune"
}
