import RDSClient

/// Which instances a `select:` entry backs up (issue #10, "Fleet selection"): instances matching
/// every criterion of `include` and none of `exclude`. Read replicas are never selected, since
/// they cannot be backed up manually.
public struct InstanceSelector: Sendable, Hashable {
    /// A set of conditions that must all hold; an absent condition holds for every instance.
    public struct Criteria: Sendable, Hashable {
        /// The instance name, as a glob.
        public var name: GlobPattern?
        /// Engines in the schedule's spelling (`mysql`, `postgresql`, `sqlserver`); nil: any.
        public var engines: [String]?
        /// Tags the instance must carry; each value is a glob (`*`: any value).
        public var tags: [TagCondition]

        public init(name: GlobPattern? = nil, engines: [String]? = nil, tags: [TagCondition] = []) {
            self.name = name
            self.engines = engines
            self.tags = tags
        }

        /// Whether no condition is set.
        public var isEmpty: Bool { name == nil && engines == nil && tags.isEmpty }

        /// Whether `instance` meets every condition; tags as `tags` lists them.
        public func matches(_ instance: Instance, tags instanceTags: [InstanceTag]) -> Bool {
            if let name, !name.matches(instance.name) { return false }
            if let engines, !engines.contains(instance.engine) { return false }
            return tags.allSatisfy { condition in
                instanceTags.contains { $0.key == condition.key && condition.value.matches($0.value) }
            }
        }

        /// Whether the name and engine conditions hold (the ones that need no tags).
        func matchesWithoutTags(_ instance: Instance) -> Bool {
            if let name, !name.matches(instance.name) { return false }
            if let engines, !engines.contains(instance.engine) { return false }
            return true
        }
    }

    /// One `key: value` of `tags:`.
    public struct TagCondition: Sendable, Hashable {
        public var key: String
        public var value: GlobPattern

        public init(key: String, value: GlobPattern) {
            self.key = key
            self.value = value
        }
    }

    /// The engines a selector may name, in the schedule's spelling, with the API's `datastore_type`.
    public static let engines: [(schedule: String, api: String)] = [
        ("mysql", "MySQL"), ("postgresql", "PostgreSQL"), ("sqlserver", "SQLServer"),
    ]
    /// How often the selection is evaluated again when `refresh` is not set.
    public static let defaultRefresh = Duration.seconds(15 * 60)

    public var include: Criteria
    public var exclude: [Criteria]
    /// How often the instance list is read again.
    public var refresh: Duration

    public init(include: Criteria, exclude: [Criteria] = [], refresh: Duration = InstanceSelector.defaultRefresh) {
        self.include = include
        self.exclude = exclude
        self.refresh = refresh
    }

    /// Whether matching needs each instance's tags.
    public var needsTags: Bool { !include.tags.isEmpty || exclude.contains { !$0.tags.isEmpty } }

    /// Whether `instance` is selected; `instance.tags` nil counts as no tags.
    public func selects(_ instance: Instance) -> Bool {
        guard !instance.isReplica else { return false }
        let tags = instance.tags ?? []
        return include.matches(instance, tags: tags) && !exclude.contains { $0.matches(instance, tags: tags) }
    }

    /// Whether `instance` can still be selected once its tags are known: no name or engine
    /// condition rules it out (exclusions need the tags, so they are left to `selects`).
    func mayBeSelected(_ instance: Instance) -> Bool {
        !instance.isReplica && include.matchesWithoutTags(instance)
    }

    /// Tags with an exact value, which the instance list can filter by on the server.
    var exactTags: [InstanceTag] {
        include.tags.filter { !$0.value.hasWildcard }.map { InstanceTag(key: $0.key, value: $0.value.source) }
    }

    /// The `datastore_type` to send when exactly one engine is wanted.
    var apiDatastoreType: String? {
        guard let engines = include.engines, engines.count == 1 else { return nil }
        return Self.engines.first { $0.schedule == engines[0] }?.api
    }

    /// A short human description, e.g. `name orders-*, engine mysql, tags backup=daily, excluding name *-test`.
    public var summary: String {
        func describe(_ criteria: Criteria) -> String {
            var parts: [String] = []
            if let name = criteria.name { parts.append("name \(name.source)") }
            if let engines = criteria.engines { parts.append("engine \(engines.joined(separator: "|"))") }
            if !criteria.tags.isEmpty { parts.append("tags " + criteria.tags.map { "\($0.key)=\($0.value.source)" }.joined(separator: ",")) }
            return parts.joined(separator: ", ")
        }
        var text = describe(include)
        for criteria in exclude { text += ", excluding \(describe(criteria))" }
        return text
    }
}
