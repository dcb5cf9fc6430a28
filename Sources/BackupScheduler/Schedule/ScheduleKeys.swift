/// The keys of every section of the schedule file, declared once. The parser accepts exactly
/// these in each section (anything else is reported, with a "did you mean" for a near miss), and
/// a test checks that config/schedule.example.yaml, which documents the file, shows every one.
enum ScheduleKeys {
    /// The file's top level.
    static let topLevel = ["cloud", "clouds", "defaults", "backups", "metrics"]
    /// `cloud:` and each cloud of `clouds:`.
    static let cloud = [
        "region", "project_id", "project_name", "auth", "auth_url", "endpoint", "max_concurrent",
        "requests_per_second", "ca_bundle",
    ]
    /// `defaults:`, and an entry's keys that may come from there.
    static let common = [
        "cloud", "timezone", "name", "description", "start_window", "completion_window", "retry", "retention",
        "jitter", "paused", "alert", "copy",
    ]
    /// Keys only an entry of `backups:` has.
    static let entryOnly = ["alias", "instance_id", "cron", "databases"]
    /// An entry's fleet selection.
    static let selection = ["select", "refresh"]
    /// `retry:`.
    static let retry = ["attempts", "initial", "max"]
    /// `retention:`.
    static let retention = ["keep_last", "keep_within", "keep_daily", "keep_weekly", "keep_monthly", "keep_failed_for"]
    /// `alert:`.
    static let alert = ["start", "success", "failure", "command", "command_timeout"]
    /// `copy:` (offsite copies of each completed backup's files).
    static let copy = [
        "destination", "path", "keep_last", "keep_within", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly",
        "bandwidth", "after_copy", "after_copy_timeout",
    ]
    /// The keep rules among `copy`'s keys: set at an entry, they replace the defaults' rules as a whole.
    static let copyRetention = ["keep_last", "keep_within", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly"]
    /// The top-level `metrics:`.
    static let metrics = ["textfile", "listen"]
    /// `select:`.
    static let select = ["name", "engine", "tags", "exclude"]
    /// Each item of `select.exclude`.
    static let exclude = ["name", "engine", "tags"]

    /// Every section with its keys, for the documentation check.
    static let sections: [(section: String, keys: [String])] = [
        ("top level", topLevel), ("cloud", cloud), ("defaults", common), ("backups[]", entryOnly + selection),
        ("retry", retry), ("retention", retention), ("alert", alert), ("copy", copy), ("metrics", metrics), ("select", select),
        ("select.exclude[]", exclude),
    ]
}
