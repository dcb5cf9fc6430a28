import Foundation
import RDSSimulator
import Testing

/// Instance tags as docs/api-notes.md describes them: in the list, as its `tags` filter, and by
/// `GET /v3/{project_id}/instances/{id}/tags`.
@Suite struct InstanceTagTests {
    static func tagged(_ configuration: inout SimulatorConfiguration) {
        configuration.instances[0].tags = ["backup": "daily", "team": "shop"]
        configuration.instances[1].tags = ["backup": "weekly"]
        configuration.instances[3].tags = ["backup": "daily"]
    }

    func names(_ h: SimulatorHarness, _ query: [(name: String, value: String)]) async throws -> [String] {
        let response = try await h.rds(.GET, h.instancesPath, query: query)
        #expect(response.status == 200)
        return (try response.json()["instances"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    }

    @Test func listReportsEachInstancesTagsAsKeyValueObjects() async throws {
        try await SimulatorHarness.with(Self.tagged) { h async throws in
            let response = try await h.rds(.GET, h.instancesPath, query: [(name: "id", value: SimulatorHarness.mysql.id)])
            let instance = try #require((try response.json()["instances"] as? [[String: Any]])?.first)
            let tags = try #require(instance["tags"] as? [[String: Any]])
            #expect(tags.map { "\($0["key"] ?? "")=\($0["value"] ?? "")" } == ["backup=daily", "team=shop"])
            let untagged = try await h.rds(.GET, h.instancesPath, query: [(name: "id", value: SimulatorHarness.sqlServer.id)])
            #expect(((try untagged.json()["instances"] as? [[String: Any]])?.first?["tags"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func tagsParameterKeepsInstancesCarryingEveryPair() async throws {
        try await SimulatorHarness.with(Self.tagged) { h async throws in
            #expect(try await names(h, [(name: "tags", value: "backup=daily")]) == ["orders", "orders-replica"])
            #expect(try await names(h, [(name: "tags", value: "backup=daily,team=shop")]) == ["orders"])
            #expect(try await names(h, [(name: "tags", value: "backup=")]) == ["orders", "inventory", "orders-replica"],
                "an empty value matches any value")
            #expect(try await names(h, [(name: "tags", value: "backup=hourly")]) == [])
            #expect(try await h.rds(.GET, h.instancesPath, query: [(name: "tags", value: "backup")]).status == 400)
        }
    }

    @Test func tagsParameterCanBeIgnoredOrRefusedAndTagsLeftOut() async throws {
        try await SimulatorHarness.with({ Self.tagged(&$0); $0.instanceTagsFilter = .ignored; $0.instanceListReportsTags = false }) { h async throws in
            #expect(try await names(h, [(name: "tags", value: "backup=daily")]).count == 4)
            let response = try await h.rds(.GET, h.instancesPath, query: [])
            #expect((try response.json()["instances"] as? [[String: Any]])?.allSatisfy { $0["tags"] == nil } == true)
        }
        try await SimulatorHarness.with({ Self.tagged(&$0); $0.instanceTagsFilter = .refused }) { h async throws in
            let refused = try await h.rds(.GET, h.instancesPath, query: [(name: "tags", value: "backup=daily")])
            #expect(refused.status == 400)
            #expect(refused.errorCode == "DBS.200001")
        }
    }

    @Test func instanceTagsRouteAnswersTagsWithTheirTypeAnd404ForAnUnknownInstance() async throws {
        try await SimulatorHarness.with(Self.tagged) { h async throws in
            let response = try await h.rds(.GET, h.instancesPath + "/\(SimulatorHarness.mysql.id)/tags", query: [])
            #expect(response.status == 200)
            let tags = try #require(try response.json()["tags"] as? [[String: Any]])
            #expect(tags.count == 2)
            #expect(tags.first?["key"] as? String == "backup")
            #expect(tags.first?["value"] as? String == "daily")
            #expect(tags.first?["tag_type"] as? String == "user")
            let missing = try await h.rds(.GET, h.instancesPath + "/00000000000000000000000000000000in01/tags", query: [])
            #expect(missing.status == 404)
            #expect(missing.errorCode == "DBS.200002")
            #expect(h.simulator.requests().last?.route == .instanceTags)
        }
    }
}
