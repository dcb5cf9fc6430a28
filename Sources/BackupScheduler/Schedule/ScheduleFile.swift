import Foundation
import RDSClient
import Yams

/// Walks the YAML node tree of a schedule file, collecting every problem with its position and
/// field path, and builds the `Schedule` when there are none.
struct ScheduleFileParser {
    let fileName: String
    let now: Date
    private(set) var problems: [ScheduleProblem] = []

    /// Bounds against YAML alias bombs and pathological nesting: aliases are followed, but every
    /// visit counts, so a file that expands beyond these is refused before it is read.
    static let maxDepth = 32
    static let maxNodeVisits = 200_000

    static let secretKeys: Set<String> = ["password", "secret_key", "token", "secret", "access_secret", "auth_token"]
    static let cloudKeys = [
        "region", "project_id", "project_name", "auth", "auth_url", "endpoint", "max_concurrent",
        "requests_per_second", "ca_bundle",
    ]
    static let commonKeys = [
        "cloud", "timezone", "name", "description", "start_window", "completion_window", "retry", "retention",
        "jitter", "paused", "alert",
    ]
    static let entryOnlyKeys = ["alias", "instance_id", "cron", "databases"]
    static let retryKeys = ["attempts", "initial", "max"]
    static let retentionKeys = ["keep_last", "keep_within", "keep_daily", "keep_weekly", "keep_monthly", "keep_failed_for"]

    init(fileName: String, now: Date) {
        self.fileName = fileName
        self.now = now
    }

    // MARK: - Reporting

    mutating func report(_ node: Node?, _ path: String, _ message: String) {
        let mark = node?.mark
        problems.append(
            ScheduleProblem(file: fileName, line: mark?.line ?? 1, column: mark?.column ?? 1, path: path, message: message))
    }

    mutating func report(line: Int, column: Int, _ message: String) {
        problems.append(ScheduleProblem(file: fileName, line: line, column: column, path: "", message: message))
    }

    // MARK: - Top level

    mutating func parse(_ yaml: String) -> Schedule? {
        guard yaml.utf8.count <= Schedule.maxFileSize else {
            report(line: 1, column: 1, "the file is \(yaml.utf8.count) bytes; a schedule file is at most \(Schedule.maxFileSize) bytes")
            return nil
        }
        if let finding = YAMLAliasScanner.firstAnchorOrAlias(in: yaml) {
            let cronHint = finding.token.hasPrefix("*") ? "; if it is a cron expression, quote it: cron: \"*/5 * * * *\"" : ""
            report(line: finding.line, column: finding.column, "YAML \(finding.token.hasPrefix("&") ? "anchor" : "alias") '\(finding.token)' is not allowed; the schedule file shares settings through `defaults:`, not anchors and aliases\(cronHint)")
            return nil
        }
        let root: Node?
        do {
            // Scalars are read as text by the readers below, so no tag needs resolving: the basic
            // resolver skips Yams' regular expressions (ICU), run on every scalar, keys included.
            root = try Yams.compose(yaml: yaml, Resolver.basic)
        } catch let error as YamlError {
            reportSyntax(error, yaml: yaml)
            return nil
        } catch {
            report(line: 1, column: 1, "not valid YAML: \(error)")
            return nil
        }
        guard let root, !isNull(root) else {
            report(line: 1, column: 1, "the file is empty; it needs `cloud:` (or `clouds:`) and `backups:`")
            return nil
        }
        var visits = 0
        guard checkBounds(root, depth: 0, visits: &visits) else { return nil }
        scanSecrets(root, path: "")

        guard let top = mapping(root, "", what: "the top level") else { return nil }
        let fields = fields(of: top, path: "", allowed: ["cloud", "clouds", "defaults", "backups", "metrics"])

        var clouds: [String: CloudSettings] = [:]
        var cloudsValid = true
        if let single = fields["cloud"], let many = fields["clouds"] {
            report(many.key, "clouds", "both `cloud` (line \(single.key.mark?.line ?? 0)) and `clouds` are set; use `cloud:` for one project and region, or `clouds:` with named clouds for several")
            cloudsValid = false
        } else if let single = fields["cloud"] {
            if let cloud = parseCloud(single.value, path: "cloud", name: CloudSettings.defaultName) {
                clouds[cloud.name] = cloud
            } else {
                cloudsValid = false
            }
        } else if let many = fields["clouds"] {
            if let map = mapping(many.value, "clouds", what: "`clouds`") {
                if map.count == 0 { report(many.value, "clouds", "is empty; name at least one cloud, e.g. `clouds: { prod: { region: eu-de, … } }`") }
                for (keyNode, value) in map {
                    guard let name = keyNode.string, Self.isIdentifier(name) else {
                        report(keyNode, "clouds", "cloud name '\(keyNode.string ?? "")' is not valid; a cloud name is letters, digits, '-' and '_', starting with a letter")
                        cloudsValid = false
                        continue
                    }
                    if let cloud = parseCloud(value, path: "clouds.\(name)", name: name) {
                        clouds[name] = cloud
                    } else {
                        cloudsValid = false
                    }
                }
            } else {
                cloudsValid = false
            }
        } else {
            report(root, "cloud", "is missing; the file needs `cloud:` (region, project_id, auth) or `clouds:` with named clouds")
            cloudsValid = false
        }
        let multiCloud = fields["clouds"] != nil

        var defaults = EntryFields()
        if let node = fields["defaults"] {
            if let map = mapping(node.value, "defaults", what: "`defaults`") {
                let entries = self.fields(of: map, path: "defaults", allowed: Self.commonKeys)
                defaults = parseCommon(entries, path: "defaults")
            }
        }

        var entries: [BackupEntry] = []
        var entryNodes: [EntryNodes] = []
        var allEntriesValid = true
        if let node = fields["backups"] {
            if case .sequence(let sequence) = node.value {
                if sequence.count == 0 {
                    report(node.value, "backups", "is empty; list at least one entry with alias, instance_id and cron")
                }
                for (index, item) in sequence.enumerated() {
                    if let (entry, nodes) = parseEntry(
                        item, index: index, defaults: defaults, clouds: clouds, cloudsValid: cloudsValid,
                        multiCloud: multiCloud)
                    {
                        entries.append(entry)
                        entryNodes.append(nodes)
                    } else {
                        allEntriesValid = false
                    }
                }
            } else {
                report(node.value, "backups", "must be a list of entries (lines starting with '- '); found \(kindName(node.value))")
            }
        } else {
            report(root, "backups", "is missing; list the entries under `backups:`, each with alias, instance_id and cron")
        }

        let metrics = fields["metrics"].map { parseMetrics($0.value, path: "metrics") } ?? MetricsSettings()
        checkDuplicates(entries, entryNodes)
        if allEntriesValid {
            checkNames(entries, entryNodes)
        }
        guard cloudsValid, problems.isEmpty else { return nil }
        return Schedule(fileName: fileName, clouds: clouds, entries: entries, metrics: metrics)
    }

    private mutating func reportSyntax(_ error: YamlError, yaml: String) {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let contextText = context.map { " (\($0.text) at line \($0.mark.line))" } ?? ""
            report(line: mark.line, column: mark.column, "not valid YAML: \(problem)\(contextText); check indentation, quoting and ':' after keys")
        case .duplicatedKeysInMapping(let duplicates, let context):
            report(line: context.mark.line, column: context.mark.column, "duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) in one mapping; each key may appear once")
        case .reader(let problem, let offset, _, _):
            let (line, column) = Self.position(ofUTF8Offset: offset ?? 0, in: yaml)
            report(line: line, column: column, "not readable as YAML text: \(problem)")
        default:
            report(line: 1, column: 1, "not valid YAML: \(error)")
        }
    }

    static func position(ofUTF8Offset offset: Int, in text: String) -> (Int, Int) {
        var line = 1, column = 1
        for (index, byte) in text.utf8.enumerated() {
            if index >= offset { break }
            if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
        }
        return (line, column)
    }

    /// Refuses files that nest too deep or expand (through aliases) into too many nodes.
    private mutating func checkBounds(_ node: Node, depth: Int, visits: inout Int) -> Bool {
        visits += 1
        if depth > Self.maxDepth {
            report(node, "", "nesting deeper than \(Self.maxDepth) levels; a schedule file is a few levels deep")
            return false
        }
        if visits > Self.maxNodeVisits {
            report(node, "", "the file expands to more than \(Self.maxNodeVisits) YAML nodes (anchors and aliases included); refusing it")
            return false
        }
        switch node {
        case .scalar, .alias:
            return true
        case .mapping(let map):
            for (key, value) in map {
                guard checkBounds(key, depth: depth + 1, visits: &visits),
                    checkBounds(value, depth: depth + 1, visits: &visits)
                else { return false }
            }
            return true
        case .sequence(let sequence):
            for item in sequence where !checkBounds(item, depth: depth + 1, visits: &visits) { return false }
            return true
        }
    }

    /// Reports every key anywhere that names a secret; its value is never shown.
    private mutating func scanSecrets(_ node: Node, path: String) {
        switch node {
        case .mapping(let map):
            for (key, value) in map {
                let name = key.string ?? ""
                let childPath = Self.join(path, name)
                if Self.isSecretKey(name) {
                    report(key, childPath, "secrets never live in the schedule file; set `auth:` to `credentials` ($CREDENTIALS_DIRECTORY, systemd LoadCredential=), `clouds.yaml:NAME` (secure.yaml) or `env` (OS_* variables)")
                } else {
                    scanSecrets(value, path: childPath)
                }
            }
        case .sequence(let sequence):
            for (index, item) in sequence.enumerated() { scanSecrets(item, path: "\(path)[\(index)]") }
        default:
            break
        }
    }

    static func isSecretKey(_ name: String) -> Bool {
        let lower = name.lowercased()
        return secretKeys.contains(lower) || lower.hasSuffix("_password") || lower.hasSuffix("_secret")
            || lower.hasSuffix("_token")
    }

    // MARK: - Clouds

    private mutating func parseCloud(_ node: Node, path: String, name: String) -> CloudSettings? {
        guard let map = mapping(node, path, what: "a cloud") else { return nil }
        let f = fields(of: map, path: path, allowed: Self.cloudKeys)
        let before = problems.count

        var region: String?
        if let value = f["region"] {
            if let text = string(value.value, Self.join(path, "region")) {
                if Self.isRegion(text) {
                    region = text
                } else {
                    report(value.value, Self.join(path, "region"), "'\(text)' is not a region; a region looks like eu-de, eu-nl or eu-ch2")
                }
            }
        } else {
            report(node, Self.join(path, "region"), "is missing; set the region, e.g. `region: eu-de`")
        }

        var project: ProjectScope?
        switch (f["project_id"], f["project_name"]) {
        case (let id?, nil):
            if let text = string(id.value, Self.join(path, "project_id")) {
                if Self.isLowerHex(text, count: 32) {
                    project = .id(text)
                } else {
                    report(id.value, Self.join(path, "project_id"), "'\(text)' is not a project id; a project id is 32 lowercase hex characters")
                }
            }
        case (nil, let projectName?):
            if let text = string(projectName.value, Self.join(path, "project_name")) {
                if (1...64).contains(text.count) && Self.only(text, extra: "_.-") {
                    project = .name(text)
                } else {
                    report(projectName.value, Self.join(path, "project_name"), "'\(text)' is not a project name; a project name is 1-64 letters, digits, '_', '.' or '-', e.g. eu-de_myproject")
                }
            }
        case (_?, let projectName?):
            report(projectName.key, Self.join(path, "project_name"), "both `project_id` and `project_name` are set; set one of them")
        case (nil, nil):
            report(node, Self.join(path, "project_id"), "is missing; set `project_id` (32 hex characters) or `project_name`")
        }

        var auth: RDSClient.AuthSource?
        if let value = f["auth"] {
            if let text = string(value.value, Self.join(path, "auth")) {
                if text == "credentials" {
                    auth = .credentialsDirectory
                } else if text == "env" {
                    auth = .environment
                } else if text.hasPrefix("clouds.yaml:"), text.count > 12, Self.only(String(text.dropFirst(12)), extra: "_.-") {
                    auth = .cloudsYAML(cloud: String(text.dropFirst(12)))
                } else {
                    report(value.value, Self.join(path, "auth"), "'\(text)' is not an auth source; allowed are `clouds.yaml:NAME`, `credentials` ($CREDENTIALS_DIRECTORY) and `env` (OS_* variables)")
                }
            }
        } else {
            report(node, Self.join(path, "auth"), "is missing; set `auth:` to `clouds.yaml:NAME`, `credentials` or `env`")
        }

        let authURL = f["auth_url"].flatMap { url($0.value, Self.join(path, "auth_url")) }
        let endpoint = f["endpoint"].flatMap { url($0.value, Self.join(path, "endpoint")) }
        let maxConcurrent = f["max_concurrent"].map { int($0.value, Self.join(path, "max_concurrent"), 1...64) }
        var requestsPerSecond: Double?
        if let value = f["requests_per_second"], let text = string(value.value, Self.join(path, "requests_per_second")) {
            if let number = Double(text), number >= 0.1, number <= 1000 {
                requestsPerSecond = number
            } else {
                report(value.value, Self.join(path, "requests_per_second"), "'\(text)' is not allowed; requests_per_second is a number from 0.1 to 1000")
            }
        }
        var caBundle: String?
        if let value = f["ca_bundle"], let text = string(value.value, Self.join(path, "ca_bundle")) {
            if text.hasPrefix("/") {
                caBundle = text
            } else {
                report(value.value, Self.join(path, "ca_bundle"), "'\(text)' is not an absolute path; ca_bundle is the absolute path of a PEM file")
            }
        }

        guard problems.count == before, let region, let project, let auth else { return nil }
        return CloudSettings(
            name: name, region: region, project: project, auth: auth, authURL: authURL, endpoint: endpoint,
            maxConcurrent: (maxConcurrent ?? nil) ?? CloudSettings.defaultMaxConcurrent,
            requestsPerSecond: requestsPerSecond ?? CloudSettings.defaultRequestsPerSecond, caBundle: caBundle)
    }

    private mutating func url(_ node: Node, _ path: String) -> String? {
        guard let text = string(node, path) else { return nil }
        let allowed = "an https:// URL, or http:// only on loopback (127.0.0.1, localhost, [::1])"
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            report(node, path, "'\(text)' is not a URL; use \(allowed)")
            return nil
        }
        let loopback = host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]"
        guard scheme == "https" || (scheme == "http" && loopback) else {
            report(node, path, "'\(text)' is not allowed; use \(allowed)")
            return nil
        }
        return text
    }

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

    private mutating func parseCommon(_ f: [String: (key: Node, value: Node)], path: String) -> EntryFields {
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
                let r = fields(of: map, path: retryPath, allowed: Self.retryKeys)
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
        return result
    }

    private mutating func parseRetention(_ map: Node.Mapping, node: Node, path: String) -> Located<RetentionSettings?>? {
        let r = fields(of: map, path: path, allowed: Self.retentionKeys)
        guard map.count > 0 else {
            report(node, path, "is empty; set some of \(Self.retentionKeys.joined(separator: ", ")), or `retention: false` to switch it off")
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

    private mutating func parseEntry(
        _ node: Node, index: Int, defaults: EntryFields, clouds: [String: CloudSettings], cloudsValid: Bool,
        multiCloud: Bool
    ) -> (BackupEntry, EntryNodes)? {
        let path = "backups[\(index)]"
        guard let map = mapping(node, path, what: "an entry") else { return nil }
        let f = fields(of: map, path: path, allowed: Self.entryOnlyKeys + Self.selectionKeys + Self.commonKeys)
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
        guard problems.count == before, let alias, let instanceID = instanceID ?? selector.map({ _ in "" }), let cron,
            let cloudName, let aliasNode = f["alias"]?.value, let cronNode = f["cron"]?.value
        else { return nil }
        var entry = BackupEntry(
            alias: alias, cloudName: cloudName, instanceID: instanceID, cron: cron,
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
        entry.selector = selector
        return (entry, EntryNodes(index: index, entry: node, alias: aliasNode, cron: cronNode, name: name))
    }

    static let defaultStartWindow = Duration.seconds(3600)
    // Both sources are literals checked by the tests; a failure here is a programming error.
    static let defaultNameTemplate = try! NameTemplate(NameTemplate.defaultSource)
    static let defaultDescriptionTemplate = try! DescriptionTemplate(DescriptionTemplate.defaultSource)

    private mutating func databaseList(_ node: Node, _ path: String) -> [String]? {
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

    // MARK: - Whole-file checks

    private mutating func checkDuplicates(_ entries: [BackupEntry], _ nodes: [EntryNodes]) {
        var aliases: [String: EntryNodes] = [:]
        var slotsByInstance: [String: [(BackupEntry, EntryNodes)]] = [:]
        for (entry, node) in zip(entries, nodes) {
            if let first = aliases[entry.alias] {
                report(node.alias, Self.join(node.path, "alias"), "alias '\(entry.alias)' is already used by \(first.path) (line \(first.alias.mark?.line ?? 0)); aliases must be unique")
            } else {
                aliases[entry.alias] = node
            }
            // A `select:` entry has no instance yet; its streams are checked when they exist.
            if entry.selector != nil { continue }
            if let (_, first) = slotsByInstance[entry.instanceID]?.first(where: {
                $0.0.timeZone == entry.timeZone && $0.0.cron.hasSameSchedule(as: entry.cron)
            }) {
                report(node.cron, Self.join(node.path, "cron"), "instance \(entry.instanceID) already has cron '\(entry.cron.source)' in \(entry.timeZone.scheduleName) in \(first.path) (line \(first.cron.mark?.line ?? 0)); one schedule per instance may appear once")
            } else {
                slotsByInstance[entry.instanceID, default: []].append((entry, node))
            }
        }
    }

    private mutating func checkNames(_ entries: [BackupEntry], _ nodes: [EntryNodes]) {
        for (entry, node) in zip(entries, nodes) {
            if let (first, second) = NameCollisions.withinEntry(entry, from: now) {
                let name = entry.name(for: first)
                let where_ = node.name ?? Located(value: entry.nameTemplate, node: node.entry, path: Self.join(node.path, "name"))
                report(where_.node, where_.path, "name template '\(entry.nameTemplate.source)' renders '\(name)' for two slots of \(node.path) (\(entry.alias)), \(RFC3339.format(first, in: entry.timeZone)) and \(RFC3339.format(second, in: entry.timeZone)); its slot format must tell apart every slot of cron '\(entry.cron.source)' within a year, e.g. {slot:%Y%m%d-%H%M}")
            }
        }
        // `select:` entries name instances known only online; their streams are checked at each refresh.
        let plain = zip(entries, nodes).filter { $0.0.selector == nil }
        let (entries, nodes) = (plain.map(\.0), plain.map(\.1))
        for clash in NameCollisions.acrossEntries(entries, from: now) {
            let a = nodes[clash.first], b = nodes[clash.second]
            let where_ = b.name ?? Located(value: entries[clash.second].nameTemplate, node: b.alias, path: Self.join(b.path, "alias"))
            report(where_.node, where_.path, "\(b.path) (\(entries[clash.second].alias)) and \(a.path) (\(entries[clash.first].alias), line \(a.entry.mark?.line ?? 0)) can both render '\(clash.name)' (slots \(RFC3339.formatUTC(clash.secondSlot)) and \(RFC3339.formatUTC(clash.firstSlot))); names must differ between entries, e.g. include {alias}")
        }
    }

    // MARK: - Node readers

    /// The fields of a mapping by key; reports non-string keys and unknown keys (with a "did you
    /// mean" for near misses). Secret keys were reported already and are skipped.
    mutating func fields(of map: Node.Mapping, path: String, allowed: [String]) -> [String: (key: Node, value: Node)] {
        var result: [String: (key: Node, value: Node)] = [:]
        for (keyNode, value) in map {
            guard case .scalar(let scalar) = keyNode else {
                report(keyNode, path, "a key must be a plain word; allowed keys here are \(allowed.joined(separator: ", "))")
                continue
            }
            let key = scalar.string
            if Self.isSecretKey(key) { continue }
            guard allowed.contains(key) else {
                let hint = DidYouMean.suggestion(for: key, among: allowed).map { " (did you mean `\($0)`?)" } ?? ""
                report(keyNode, Self.join(path, key), "unknown key `\(key)`\(hint); allowed keys here are \(allowed.joined(separator: ", "))")
                continue
            }
            result[key] = (keyNode, value)
        }
        return result
    }

    mutating func mapping(_ node: Node, _ path: String, what: String) -> Node.Mapping? {
        if case .mapping(let map) = node { return map }
        report(node, path, "\(what) must be a mapping of `key: value` lines; found \(kindName(node))")
        return nil
    }

    mutating func string(_ node: Node, _ path: String) -> String? {
        guard case .scalar(let scalar) = node else {
            report(node, path, "must be a single value; found \(kindName(node))")
            return nil
        }
        if isNull(node) {
            report(node, path, "has no value; write a value after the ':' or remove the key")
            return nil
        }
        return scalar.string
    }

    private mutating func int(_ node: Node, _ path: String, _ range: ClosedRange<Int>) -> Int? {
        guard let text = string(node, path) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            report(node, path, "'\(text)' is not allowed; a whole number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return value
    }

    private mutating func bool(_ node: Node, _ path: String) -> Bool? {
        guard let text = string(node, path) else { return nil }
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default:
            report(node, path, "'\(text)' is not allowed; write true or false")
            return nil
        }
    }

    mutating func duration(_ node: Node, _ path: String, allowZero: Bool) -> Duration? {
        guard let text = string(node, path) else { return nil }
        guard let value = DurationParser.parse(text) else {
            let hint = Int(text).map { " (a bare number has no unit: did you mean \($0)s or \($0)m?)" } ?? ""
            report(node, path, "'\(text)' is not a duration\(hint); \(DurationParser.allowed)")
            return nil
        }
        if !allowZero && value == .zero {
            report(node, path, "must be longer than zero; \(DurationParser.allowed)")
            return nil
        }
        return value
    }

    private mutating func timeZone(_ node: Node, _ path: String) -> TimeZone? {
        guard let text = string(node, path) else { return nil }
        if let zone = ZoneLookup.zone(text) { return zone }
        let hint = ZoneLookup.suggestion(for: text).map { " (did you mean \($0)?)" } ?? ""
        report(node, path, "unknown time zone '\(text)'\(hint); use an IANA zone name such as Europe/Berlin, America/New_York or UTC")
        return nil
    }

    private func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    private func kindName(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): "the value '\(scalar.string.prefix(40))'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    // Hand-written checks: NSRegularExpression compiles on every call, too slow for big files.

    /// A letter, then letters, digits, '-' or '_', at most `maxLength` in all.
    static func isIdentifier(_ text: String, maxLength: Int = 64) -> Bool {
        guard let first = text.unicodeScalars.first, (1...maxLength).contains(text.unicodeScalars.count),
            isASCIILetter(first)
        else { return false }
        return only(text, extra: "_-")
    }

    /// Only ASCII letters, digits and the characters of `extra`.
    static func only(_ text: String, extra: String) -> Bool {
        text.unicodeScalars.allSatisfy { isASCIILetter($0) || isDigit($0) || extra.unicodeScalars.contains($0) }
    }

    static func isLowerHex(_ text: String, count: Int) -> Bool {
        text.unicodeScalars.count == count && text.unicodeScalars.allSatisfy { isDigit($0) || ("a"..."f").contains($0) }
    }

    /// 32 lowercase hex characters, then `in` and two digits (e.g. `in01`).
    static func isInstanceID(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count == 36 else { return false }
        return isLowerHex(String(String.UnicodeScalarView(scalars[0..<32])), count: 32) && scalars[32] == "i"
            && scalars[33] == "n" && isDigit(scalars[34]) && isDigit(scalars[35])
    }

    /// Lowercase words joined by '-', at least two, the first of letters only: `eu-de`, `eu-ch2`.
    static func isRegion(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 2, let first = parts.first, first.count >= 2,
            first.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) })
        else { return false }
        return parts.dropFirst().allSatisfy { part in
            !part.isEmpty && part.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || isDigit($0) }
        }
    }

    static func isASCIILetter(_ scalar: Unicode.Scalar) -> Bool { ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) }
    static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }
}
