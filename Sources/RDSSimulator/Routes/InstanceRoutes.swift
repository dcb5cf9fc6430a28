import Foundation

/// `GET /v3/{project_id}/instances` (docs/rds-api.md §4) and `GET …/instances/{id}/tags` (docs/api-notes.md).
enum InstanceRoutes {
    /// Exact match, or fuzzy (substring) when the value starts with `*`; a lone `*` is refused.
    static func matches(_ value: String, filter: String) -> Bool {
        if filter.hasPrefix("*") { return value.contains(filter.dropFirst()) }
        return value == filter
    }

    static func list(_ state: inout SimState, _ exchange: Exchange) -> SimResponse {
        let request = exchange.request
        guard let paging = Paging(request) else { return .parameterError }
        var selected = state.instances
        for key in ["id", "name"] {
            guard let filter = request.queryValue(key) else { continue }
            if filter == "*" || filter.isEmpty { return .parameterError }
            selected = selected.filter { matches(key == "id" ? $0.id : $0.name, filter: filter) }
        }
        if let type = request.queryValue("type") {
            guard let wanted = SimulatedInstance.InstanceType(rawValue: type) else { return .parameterError }
            selected = selected.filter { $0.type == wanted }
        }
        if let engine = request.queryValue("datastore_type") {
            guard let wanted = SimulatedInstance.Engine(rawValue: engine) else { return .parameterError }
            selected = selected.filter { $0.engine == wanted }
        }
        if let text = request.queryValue("tags") {
            switch state.configuration.instanceTagsFilter {
            case .refused:
                return .parameterError
            case .ignored:
                break
            case .applied:
                guard let pairs = tagFilter(text) else { return .parameterError }
                selected = selected.filter { instance in
                    pairs.allSatisfy { key, value in
                        guard let actual = instance.tags[key] else { return false }
                        return value.isEmpty || actual == value
                    }
                }
            }
        }

        let config = state.configuration
        let now = exchange.now
        let page = paging.apply(selected).map { instance in
            let status =
                config.reportBackingUpStatus && instance.status == "ACTIVE" && state.isBackingUp(instance.id, at: now)
                ? "BACKING UP" : instance.status
            return wire(instance, status: status, config: config)
        }
        return .json(200, RDSWire.ListInstancesResponse(instances: page, total_count: selected.count))
    }

    /// `k1=v1,k2=v2`: every pair must match; an empty value means any value (as Huawei's SDK documents).
    /// nil when a pair has no key or no `=`, or a key repeats.
    static func tagFilter(_ text: String) -> [(key: String, value: String)]? {
        var pairs: [(key: String, value: String)] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let equals = part.firstIndex(of: "=") else { return nil }
            let key = String(part[..<equals]), value = String(part[part.index(after: equals)...])
            guard !key.isEmpty, !pairs.contains(where: { $0.key == key }) else { return nil }
            pairs.append((key, value))
        }
        return pairs
    }

    /// `GET /v3/{project_id}/instances/{instance_id}/tags`: `{"tags":[{key,value,tag_type}]}`.
    static func tags(_ state: inout SimState, _ exchange: Exchange, instanceID: String) -> SimResponse {
        guard let instance = state.instance(instanceID) else {
            return .rdsError(404, "DBS.200002", "The DB instance does not exist.")
        }
        let tags = instance.tags.sorted { $0.key < $1.key }.map { RDSWire.Tag(key: $0.key, value: $0.value, tag_type: "user") }
        return .json(200, RDSWire.InstanceTagsResponse(tags: tags))
    }

    static func wire(_ instance: SimulatedInstance, status: String, config: SimulatorConfiguration) -> RDSWire.Instance {
        let port: Int =
            switch instance.engine {
            case .mysql: 3306
            case .postgreSQL: 5432
            case .sqlServer: 1433
            }
        let flavor: String =
            switch instance.engine {
            case .mysql: "rds.mysql.c2.large"
            case .postgreSQL: "rds.pg.c2.large"
            case .sqlServer: "rds.mssql.se.c2.large"
            }
        let roles: [String] =
            switch instance.type {
            case .single: ["master"]
            case .ha: ["master", "slave"]
            case .replica: ["readreplica"]
            }
        let nodes = roles.enumerated().map { index, role in
            RDSWire.Instance.Node(
                id: String(instance.id.dropLast(4)) + "no0\(index + 1)", name: "\(instance.name)_node\(index)",
                role: role, status: status == "ACTIVE" || status == "BACKING UP" ? "ACTIVE" : status,
                availability_zone: "\(config.region)-0\(index + 1)")
        }
        let created = TimeFormat.rds(Date(timeIntervalSince1970: 1_704_067_200), utcOffset: config.responseUTCOffset)
        return RDSWire.Instance(
            id: instance.id, name: instance.name, status: status, type: instance.type.rawValue,
            datastore: .init(type: instance.engine.rawValue, version: instance.version, complete_version: instance.version + ".0"),
            region: config.region, port: port, private_ips: ["192.168.0.\(10 + instance.id.utf8.reduce(0) { ($0 + Int($1)) % 200 })"],
            public_ips: [], backup_strategy: .init(start_time: "19:00-20:00", keep_days: 7), nodes: nodes,
            volume: .init(type: "COMMON", size: 100), flavor_ref: flavor,
            time_zone: "UTC", enterprise_project_id: "0", created: created, updated: created,
            tags: config.instanceListReportsTags
                ? instance.tags.sorted { $0.key < $1.key }.map { RDSWire.Tag(key: $0.key, value: $0.value) } : nil)
    }
}
