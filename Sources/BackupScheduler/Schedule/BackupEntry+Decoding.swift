import Foundation
import RDSClient
import Yams

/// Decoding of `defaults:` and each `backups:` item into `BackupEntry`.
extension ScheduleFileParser {
    // MARK: - Entries and defaults

    /// A value with the node it came from, so later checks can point at it.
    struct Located<Value> {
        var value: Value
        var node: Node
        var path: String
    }

    /// Settings shared by `defaults` and entries; nil means not set at this level.
    struct EntryFields {
        var cloud: Located<String>?
        var timeZone: Located<TimeZone>?
        var name: Located<NameTemplate>?
        var description: Located<DescriptionTemplate>?
        var startWindow: Located<Duration>?
        var completionWindow: Located<Duration>?
        var retryAttempts: Located<Int>?
        var retryInitial: Located<Duration>?
        var retryMax: Located<Duration>?
        /// `.some(nil)` when retention is switched off explicitly (`retention: false`).
        var retention: Located<RetentionSettings?>?
        var jitter: Located<Duration>?
        var paused: Located<Bool>?
        var alert: AlertFields?
        var copy: CopyFields?
        /// Keys that were present but invalid, so a missing-key message is not added on top.
        var invalid: Set<String> = []
    }

    /// Where an entry's checked values came from.
    struct EntryNodes {
        var index: Int
        var entry: Node
        var alias: Node
        var cron: Node
        var name: Located<NameTemplate>?
        var path: String { "backups[\(index)]" }
    }

    mutating func parseCommon(_ f: [String: (key: Node, value: Node)], path: String) -> EntryFields {
        var result = EntryFields()
        func located<T>(_ key: String, _ value: T?) -> Located<T>? {
            guard let field = f[key] else { return nil }
            guard let value else { result.invalid.insert(key); return nil }
            return Located(value: value, node: field.value, path: Self.join(path, key))
        }
        if let field = f["cloud"] {
            let value = string(field.value, Self.join(path, "cloud"))
            result.cloud = located("cloud", value)
        }
        if let field = f["timezone"] {
            let value = timeZone(field.value, Self.join(path, "timezone"))
            result.timeZone = located("timezone", value)
        }
        if let field = f["name"], let text = string(field.value, Self.join(path, "name")) {
            do {
                let template = try NameTemplate(text)
                result.name = located("name", template)
            } catch {
                report(field.value, Self.join(path, "name"), "name template '\(text)' \(error.message)")
                result.invalid.insert("name")
            }
        } else if f["name"] != nil {
            result.invalid.insert("name")
        }
        if let field = f["description"], let text = string(field.value, Self.join(path, "description")) {
            do {
                let template = try DescriptionTemplate(text)
                result.description = located("description", template)
            } catch {
                report(field.value, Self.join(path, "description"), "description template '\(text)' \(error.message)")
                result.invalid.insert("description")
            }
        }
        for (key, keyPath) in [("start_window", \EntryFields.startWindow), ("completion_window", \EntryFields.completionWindow)] {
            if let field = f[key] {
                let value = located(key, duration(field.value, Self.join(path, key), allowZero: false))
                result[keyPath: keyPath] = value
            }
        }
        if let field = f["jitter"] {
            let value = located("jitter", duration(field.value, Self.join(path, "jitter"), allowZero: true))
            result.jitter = value
        }
        if let field = f["paused"] {
            let value = located("paused", bool(field.value, Self.join(path, "paused")))
            result.paused = value
        }
        if let field = f["retry"] {
            let retryPath = Self.join(path, "retry")
            if let map = mapping(field.value, retryPath, what: "`retry`") {
                let r = fields(of: map, path: retryPath, allowed: ScheduleKeys.retry)
                if let attempts = r["attempts"] {
                    let value = int(attempts.value, Self.join(retryPath, "attempts"), 1...100)
                    result.retryAttempts = value.map { Located(value: $0, node: attempts.value, path: Self.join(retryPath, "attempts")) }
                }
                for (key, keyPath) in [("initial", \EntryFields.retryInitial), ("max", \EntryFields.retryMax)] {
                    if let item = r[key] {
                        let value = duration(item.value, Self.join(retryPath, key), allowZero: false)
                        result[keyPath: keyPath] = value.map { Located(value: $0, node: item.value, path: Self.join(retryPath, key)) }
                    }
                }
            }
        }
        if let field = f["retention"] {
            let retentionPath = Self.join(path, "retention")
            if case .scalar(let scalar) = field.value, ["false", "off", "none"].contains(scalar.string.lowercased()) {
                result.retention = Located(value: nil, node: field.value, path: retentionPath)
            } else if let map = mapping(field.value, retentionPath, what: "`retention` (or `false` to switch it off)") {
                result.retention = parseRetention(map, node: field.value, path: retentionPath)
            }
        }
        if let field = f["alert"] {
            result.alert = parseAlert(field.value, path: Self.join(path, "alert"))
        }
        if let field = f["copy"] {
            result.copy = parseCopy(field.value, path: Self.join(path, "copy"))
            if result.copy == nil { result.invalid.insert("copy") }
        }
        return result
    }

    mutating func parseRetention(_ map: Node.Mapping, node: Node, path: String) -> Located<RetentionSettings?>? {
        let r = fields(of: map, path: path, allowed: ScheduleKeys.retention)
        guard map.count > 0 else {
            report(node, path, "is empty; set some of \(ScheduleKeys.retention.joined(separator: ", ")), or `retention: false` to switch it off")
            return nil
        }
        let before = problems.count
        var settings = RetentionSettings()
        settings.keepLast = r["keep_last"].flatMap { int($0.value, Self.join(path, "keep_last"), 1...100_000) }
        settings.keepDaily = r["keep_daily"].flatMap { int($0.value, Self.join(path, "keep_daily"), 1...100_000) }
        settings.keepWeekly = r["keep_weekly"].flatMap { int($0.value, Self.join(path, "keep_weekly"), 1...100_000) }
        settings.keepMonthly = r["keep_monthly"].flatMap { int($0.value, Self.join(path, "keep_monthly"), 1...100_000) }
        settings.keepWithin = r["keep_within"].flatMap { duration($0.value, Self.join(path, "keep_within"), allowZero: false) }
        settings.keepFailedFor = r["keep_failed_for"].flatMap { duration($0.value, Self.join(path, "keep_failed_for"), allowZero: false) }
        guard problems.count == before else { return nil }
        return Located(value: settings, node: node, path: path)
    }

    mutating func parseEntry(
        _ node: Node, index: Int, defaults: EntryFields, clouds: [String: CloudSettings], cloudsValid: Bool,
        multiCloud: Bool
    ) -> (BackupEntry, EntryNodes)? {
        let path = "backups[\(index)]"
        guard let map = mapping(node, path, what: "an entry") else { return nil }
        let f = fields(of: map, path: path, allowed: ScheduleKeys.entryOnly + ScheduleKeys.selection + ScheduleKeys.common)
        let before = problems.count
        let own = parseCommon(f, path: path)

        var alias: String?
        if let field = f["alias"], let text = string(field.value, Self.join(path, "alias")) {
            if Self.isIdentifier(text, maxLength: 32) {
                alias = text
            } else {
                report(field.value, Self.join(path, "alias"), "'\(text)' is not an alias; an alias is 1-32 characters: a letter, then letters, digits, '-' or '_'")
            }
        } else if f["alias"] == nil {
            report(node, Self.join(path, "alias"), "is missing; every entry needs a unique alias, e.g. `alias: orders`")
        }

        let selector = parseSelection(f, path: path)
        var instanceID: String?
        if f["select"] != nil {
            // A `select:` entry is expanded into one stream per instance by the service.
        } else if let field = f["instance_id"], let text = string(field.value, Self.join(path, "instance_id")) {
            if Self.isInstanceID(text) {
                instanceID = text
            } else {
                report(field.value, Self.join(path, "instance_id"), "'\(text)' is not an RDS instance id; an instance id is 32 lowercase hex characters and a suffix such as in01 (MySQL), in03 (PostgreSQL) or in04 (SQL Server)")
            }
        } else if f["instance_id"] == nil {
            report(node, Self.join(path, "instance_id"), "is missing; set the RDS instance id, e.g. `instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01`, or `select:` instances by name, engine or tags")
        }

        var cron: CronExpression?
        if let field = f["cron"], let text = string(field.value, Self.join(path, "cron")) {
            do {
                cron = try CronExpression(text)
                for note in cron?.notes ?? [] {
                    let mark = field.value.mark
                    warnings.append(ScheduleProblem(
                        file: fileName, line: mark?.line ?? 1, column: mark?.column ?? 1, path: Self.join(path, "cron"), message: note))
                }
            } catch {
                report(field.value, Self.join(path, "cron"), "'\(text)' \(error.message)")
            }
        } else if f["cron"] == nil {
            report(node, Self.join(path, "cron"), "is missing; set a 5-field cron expression, e.g. `cron: \"0 2 * * *\"`, or a macro like @daily")
        }

        var databases: [String]?
        if let field = f["databases"] {
            databases = databaseList(field.value, Self.join(path, "databases"))
        }

        // Cloud: an entry names one of `clouds:`; a single `cloud:` needs none.
        var cloudName: String?
        let cloudField = own.cloud ?? defaults.cloud
        if multiCloud {
            if let cloudField {
                if clouds[cloudField.value] != nil || !cloudsValid {
                    cloudName = cloudField.value
                } else {
                    let hint = DidYouMean.suggestion(for: cloudField.value, among: clouds.keys.sorted()).map { " (did you mean '\($0)'?)" } ?? ""
                    report(cloudField.node, cloudField.path, "no cloud named '\(cloudField.value)'\(hint); defined clouds are \(clouds.keys.sorted().joined(separator: ", "))")
                }
            } else if clouds.count == 1, let only = clouds.keys.first {
                cloudName = only
            } else if cloudsValid && !own.invalid.contains("cloud") && !defaults.invalid.contains("cloud") {
                report(node, Self.join(path, "cloud"), "is missing; with several `clouds:` every entry names one: \(clouds.keys.sorted().joined(separator: ", "))")
            }
        } else if let cloudField {
            report(cloudField.node, cloudField.path, "the file has a single `cloud:`; `cloud` names one of several `clouds:`, so remove it or switch to `clouds:`")
        } else {
            cloudName = CloudSettings.defaultName
        }

        let startWindow = own.startWindow ?? defaults.startWindow
        let jitter = own.jitter ?? defaults.jitter
        if let jitter, let startWindow, jitter.value >= startWindow.value {
            report(jitter.node, jitter.path, "jitter \(DurationParser.format(jitter.value)) is not shorter than start_window \(DurationParser.format(startWindow.value)); every slot would be missed, keep jitter below start_window")
        } else if let jitter, startWindow == nil, jitter.value >= Self.defaultStartWindow {
            report(jitter.node, jitter.path, "jitter \(DurationParser.format(jitter.value)) is not shorter than the default start_window \(DurationParser.format(Self.defaultStartWindow)); keep jitter below start_window")
        }
        let retryInitial = own.retryInitial ?? defaults.retryInitial
        let retryMax = own.retryMax ?? defaults.retryMax
        let initial = retryInitial?.value ?? RetrySettings.default.initial
        let maximum = retryMax?.value ?? RetrySettings.default.max
        if initial > maximum {
            let blame = retryMax ?? retryInitial
            report(blame?.node ?? node, blame?.path ?? Self.join(path, "retry"), "retry max \(DurationParser.format(maximum)) is shorter than retry initial \(DurationParser.format(initial)); max must be at least initial")
        }

        let name = own.name ?? defaults.name
        if let selector {
            checkSelectorEntry(
                selector, template: name?.value ?? Self.defaultNameTemplate, nameNode: name, databases: databases, f: f,
                entry: node, path: path)
        }
        guard problems.count == before, let alias, let target = instanceID.map({ BackupEntry.Target.instance(id: $0) }) ?? selector.map({ .fleet($0) }), let cron,
            let cloudName, let aliasNode = f["alias"]?.value, let cronNode = f["cron"]?.value
        else { return nil }
        var entry = BackupEntry(
            alias: alias, cloudName: cloudName, target: target, cron: cron,
            timeZone: (own.timeZone ?? defaults.timeZone)?.value ?? TimeZone(identifier: "UTC")!,
            nameTemplate: name?.value ?? Self.defaultNameTemplate,
            descriptionTemplate: (own.description ?? defaults.description)?.value ?? Self.defaultDescriptionTemplate,
            databases: databases, startWindow: startWindow?.value ?? Self.defaultStartWindow,
            completionWindow: (own.completionWindow ?? defaults.completionWindow)?.value ?? .seconds(4 * 3600),
            retry: RetrySettings(
                attempts: (own.retryAttempts ?? defaults.retryAttempts)?.value ?? RetrySettings.default.attempts,
                initial: initial, max: maximum),
            retention: (own.retention ?? defaults.retention)?.value ?? nil,
            jitter: jitter?.value ?? .zero, paused: (own.paused ?? defaults.paused)?.value ?? false,
            alert: AlertFields.merge(own.alert, defaults.alert))
        if !own.invalid.contains("copy") && !defaults.invalid.contains("copy") {
            guard let copy = mergeCopy(own.copy, defaults.copy, entry: node, path: path) else { return nil }
            entry.copy = copy.settings
        }
        return (entry, EntryNodes(index: index, entry: node, alias: aliasNode, cron: cronNode, name: name))
    }

    static let defaultStartWindow = Duration.seconds(3600)
    // Both sources are literals checked by the tests; a failure here is a programming error.
    static let defaultNameTemplate = try! NameTemplate(NameTemplate.defaultSource)
    static let defaultDescriptionTemplate = try! DescriptionTemplate(DescriptionTemplate.defaultSource)

    mutating func databaseList(_ node: Node, _ path: String) -> [String]? {
        guard case .sequence(let sequence) = node else {
            report(node, path, "must be a list of SQL Server database names, e.g. `databases: [hr, payroll]`; found \(kindName(node))")
            return nil
        }
        guard sequence.count > 0 else {
            report(node, path, "is empty; list the SQL Server databases to back up, or remove `databases` for a full backup")
            return nil
        }
        var names: [String] = []
        for (index, item) in sequence.enumerated() {
            guard let text = string(item, "\(path)[\(index)]") else { continue }
            if text.count > 128 || text.contains(where: { $0 == "," || $0.isNewline }) {
                report(item, "\(path)[\(index)]", "'\(text)' is not a database name; a name is 1-128 characters without ',' or line breaks")
            } else if names.contains(text) {
                report(item, "\(path)[\(index)]", "database '\(text)' is listed twice; list each database once")
            } else {
                names.append(text)
            }
        }
        return names.count == sequence.count ? names : nil
    }
}
