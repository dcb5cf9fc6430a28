import Foundation
import Yams

/// `select:` and `refresh:` of an entry (issue #10): which instances it backs up, by name glob,
/// engine and tags, minus exclusions, and how often that is read again.
extension ScheduleFileParser {
    static let refreshRange = Duration.seconds(60)...Duration.seconds(86_400)

    /// The entry's selector, nil when it has no `select:` (or it is invalid: then reported).
    /// Also reports `refresh` without `select`, and `select` beside `instance_id`.
    mutating func parseSelection(_ f: [String: (key: Node, value: Node)], path: String) -> InstanceSelector? {
        guard let select = f["select"] else {
            if let refresh = f["refresh"] {
                report(refresh.key, Self.join(path, "refresh"), "`refresh` only applies to an entry with `select:`; remove it, or replace `instance_id` by `select:`")
            }
            return nil
        }
        if let instance = f["instance_id"] {
            report(instance.key, Self.join(path, "instance_id"), "both `instance_id` and `select` are set; an entry backs up one instance (`instance_id`) or every instance its selector matches (`select`), not both")
        }
        var refresh = InstanceSelector.defaultRefresh
        if let field = f["refresh"], let value = duration(field.value, Self.join(path, "refresh"), allowZero: false) {
            if Self.refreshRange.contains(value) {
                refresh = value
            } else {
                report(field.value, Self.join(path, "refresh"), "\(DurationParser.format(value)) is not allowed; refresh is from 1m to 24h (default 15m): how often the instance list is read again")
            }
        }
        let selectPath = Self.join(path, "select")
        guard let map = mapping(select.value, selectPath, what: "`select`") else { return nil }
        let before = problems.count
        let s = fields(of: map, path: selectPath, allowed: ScheduleKeys.select)
        let include = criteria(s, node: select.value, path: selectPath, hadUnknownKeys: map.count > s.count)
        var exclude: [InstanceSelector.Criteria] = []
        if let field = s["exclude"] {
            let excludePath = Self.join(selectPath, "exclude")
            var items: [(Node, String)] = []
            switch field.value {
            case .sequence(let sequence):
                items = sequence.enumerated().map { ($1, "\(excludePath)[\($0)]") }
                if sequence.count == 0 { report(field.value, excludePath, "is empty; list what to leave out, e.g. `exclude: [{ name: \"*-test\" }]`, or remove it") }
            case .mapping:
                items = [(field.value, excludePath)]
            default:
                report(field.value, excludePath, "must be a list of selectors with name, engine or tags, e.g. `exclude: [{ name: \"*-test\" }, { tags: { backup: none } }]`")
            }
            for (item, itemPath) in items {
                guard let itemMap = mapping(item, itemPath, what: "an exclusion") else { continue }
                let e = fields(of: itemMap, path: itemPath, allowed: ScheduleKeys.exclude)
                if let criteria = criteria(e, node: item, path: itemPath, hadUnknownKeys: itemMap.count > e.count) {
                    exclude.append(criteria)
                }
            }
        }
        guard problems.count == before, let include else { return nil }
        return InstanceSelector(include: include, exclude: exclude, refresh: refresh)
    }

    /// name, engine, tags of a selector or an exclusion; nil when one is invalid or none is set
    /// (not reported again when the mapping's keys were unknown: that was reported).
    private mutating func criteria(
        _ f: [String: (key: Node, value: Node)], node: Node, path: String, hadUnknownKeys: Bool
    ) -> InstanceSelector.Criteria? {
        let before = problems.count
        var result = InstanceSelector.Criteria()
        if let field = f["name"], let text = string(field.value, Self.join(path, "name")) {
            if text.isEmpty || text.count > 64 {
                report(field.value, Self.join(path, "name"), "'\(text)' is not a name pattern; give 1-64 characters, `*` for any run of characters and `?` for one, e.g. \"orders-*\"")
            } else {
                result.name = GlobPattern(text)
            }
        }
        if let field = f["engine"] {
            result.engines = engines(field.value, Self.join(path, "engine"))
        }
        if let field = f["tags"] {
            let tagsPath = Self.join(path, "tags")
            if let map = mapping(field.value, tagsPath, what: "`tags` (e.g. `tags: { backup: daily }`)") {
                if map.count == 0 { report(field.value, tagsPath, "is empty; give `key: value` pairs an instance must carry, e.g. `tags: { backup: daily }`") }
                for (keyNode, valueNode) in map {
                    guard let key = keyNode.string, !key.isEmpty, key.count <= 128 else {
                        report(keyNode, tagsPath, "a tag key is 1-128 characters")
                        continue
                    }
                    guard let value = string(valueNode, Self.join(tagsPath, key)) else { continue }
                    if value.count > 255 {
                        report(valueNode, Self.join(tagsPath, key), "a tag value is at most 255 characters (`*` matches any value)")
                    } else {
                        result.tags.append(InstanceSelector.TagCondition(key: key, value: GlobPattern(value)))
                    }
                }
            }
        }
        guard problems.count == before else { return nil }
        if result.isEmpty {
            if hadUnknownKeys { return nil }
            report(node, path, "selects nothing; give at least one of name, engine or tags (`name: \"*\"` selects every instance of the project)")
            return nil
        }
        return result
    }

    /// `engine: mysql` or `engine: [mysql, postgresql]`, in the schedule's spelling.
    private mutating func engines(_ node: Node, _ path: String) -> [String]? {
        var values: [(Node, String)] = []
        if case .sequence(let sequence) = node {
            if sequence.count == 0 { report(node, path, "is empty; name mysql, postgresql or sqlserver") }
            values = sequence.enumerated().map { ($1, "\(path)[\($0)]") }
        } else {
            values = [(node, path)]
        }
        let allowed = InstanceSelector.engines.map(\.schedule)
        var result: [String] = []
        for (item, itemPath) in values {
            guard let text = string(item, itemPath) else { continue }
            let lower = text.lowercased()
            if allowed.contains(lower) {
                if !result.contains(lower) { result.append(lower) }
            } else {
                let hint = DidYouMean.suggestion(for: lower, among: allowed).map { " (did you mean \($0)?)" } ?? ""
                report(item, itemPath, "unknown engine '\(text)'\(hint); allowed are \(allowed.joined(separator: ", "))")
                return nil
            }
        }
        return result.isEmpty ? nil : result
    }

    /// A `select:` entry's checks that need the whole entry: every selected instance gets its own
    /// backups, so the name template must tell instances apart; `databases` needs SQL Server only.
    mutating func checkSelectorEntry(
        _ selector: InstanceSelector, template: NameTemplate, nameNode: Located<NameTemplate>?, databases: [String]?,
        f: [String: (key: Node, value: Node)], entry node: Node, path: String
    ) {
        let variables = template.template.variables
        if !variables.contains(.instanceID) && !variables.contains(.instanceName) {
            let whereNode = nameNode?.node ?? f["select"]?.key ?? node
            report(whereNode, nameNode?.path ?? Self.join(path, "name"), "name template '\(template.source)' has no {instance_id} or {instance_name}, so two instances that `select` matches would get the same backup name; include one, e.g. name: \"{alias}-{instance_name}-{slot:%Y%m%d-%H%M}\"")
        }
        if databases != nil, selector.include.engines != ["sqlserver"], let field = f["databases"] {
            report(field.key, Self.join(path, "databases"), "`databases` (a SQL Server partial backup) needs a selector limited to SQL Server: add `engine: sqlserver` under `select`")
        }
    }
}
