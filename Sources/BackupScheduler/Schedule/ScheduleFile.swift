import Foundation
import RDSClient
import Yams

/// Walks the YAML node tree of a schedule file, collecting every problem with its position and
/// field path, and builds the `Schedule` when there are none.
struct ScheduleFileParser {
    let fileName: String
    let now: Date
    private(set) var problems: [ScheduleProblem] = []
    /// What is valid but probably not meant (`Schedule.warnings`); the decoders add to it.
    var warnings: [ScheduleProblem] = []

    /// Bounds against YAML alias bombs and pathological nesting: aliases are followed, but every
    /// visit counts, so a file that expands beyond these is refused before it is read.
    static let maxDepth = 32
    static let maxNodeVisits = 200_000

    static let secretKeys: Set<String> = ["password", "secret_key", "token", "secret", "access_secret", "auth_token"]

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
        let fields = fields(of: top, path: "", allowed: ScheduleKeys.topLevel)

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
                let entries = self.fields(of: map, path: "defaults", allowed: ScheduleKeys.common)
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
        var schedule = Schedule(fileName: fileName, clouds: clouds, entries: entries, metrics: metrics)
        schedule.warnings = warnings
        return schedule
    }

    mutating func reportSyntax(_ error: YamlError, yaml: String) {
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
    mutating func checkBounds(_ node: Node, depth: Int, visits: inout Int) -> Bool {
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
    mutating func scanSecrets(_ node: Node, path: String) {
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

}
