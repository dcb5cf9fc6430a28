import Foundation
import RDSSimulator
import Testing

@Suite struct InstanceListTests {
    func names(_ h: SimulatorHarness, _ query: [(name: String, value: String)]) async throws -> [String] {
        let response = try await h.rds(.GET, h.instancesPath, query: query)
        #expect(response.status == 200)
        return (try response.json()["instances"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    }

    @Test func listReportsTheDocumentedFields() async throws {
        try await SimulatorHarness.with { h async throws in
            let response = try await h.rds(.GET, h.instancesPath, query: [(name: "id", value: SimulatorHarness.sqlServer.id)])
            let body = try response.json()
            #expect(body["total_count"] as? Int == 1)
            let instance = try #require((body["instances"] as? [[String: Any]])?.first)
            #expect(instance["id"] as? String == SimulatorHarness.sqlServer.id)
            #expect(instance["name"] as? String == "payroll")
            #expect(instance["status"] as? String == "ACTIVE")
            #expect(instance["type"] as? String == "Single")
            #expect(instance["region"] as? String == "eu-de")
            let datastore = try #require(instance["datastore"] as? [String: Any])
            #expect(datastore["type"] as? String == "SQLServer")
            #expect(datastore["version"] as? String == "2017_SE")
        }
    }

    @Test func filtersByExactAndFuzzyNameTypeAndEngine() async throws {
        try await SimulatorHarness.with { h async throws in
            #expect(try await names(h, [(name: "name", value: "orders")]) == ["orders"])
            #expect(try await names(h, [(name: "name", value: "*orders")]) == ["orders", "orders-replica"])
            #expect(try await names(h, [(name: "name", value: "order")]) == [])
            #expect(try await names(h, [(name: "type", value: "Replica")]) == ["orders-replica"])
            #expect(try await names(h, [(name: "datastore_type", value: "PostgreSQL")]) == ["inventory"])
            let lone = try await h.rds(.GET, h.instancesPath, query: [(name: "name", value: "*")])
            #expect(lone.status == 400)
            #expect(lone.errorCode == "DBS.200001")
            #expect(try await h.rds(.GET, h.instancesPath, query: [(name: "datastore_type", value: "mysql")]).status == 400,
                "datastore_type is case-sensitive")
        }
    }

    @Test func paginatesWithOffsetLimitAndTotalCount() async throws {
        try await SimulatorHarness.with { h async throws in
            let response = try await h.rds(.GET, h.instancesPath, query: [(name: "offset", value: "1"), (name: "limit", value: "2")])
            let body = try response.json()
            #expect(body["total_count"] as? Int == 4)
            #expect((body["instances"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["inventory", "payroll"])
            #expect(try await h.rds(.GET, h.instancesPath, query: [(name: "limit", value: "101")]).status == 400)
        }
    }

    @Test func instanceWithABackupRunningReportsBackingUp() async throws {
        try await SimulatorHarness.with { h async throws in
            #expect(try await h.create("bk_running").status == 200)
            #expect(try await names(h, [(name: "name", value: "orders")]) == ["orders"])
            let status = { () async throws -> String? in
                let response = try await h.rds(.GET, h.instancesPath, query: [(name: "id", value: SimulatorHarness.mysql.id)])
                return (try response.json()["instances"] as? [[String: Any]])?.first?["status"] as? String
            }
            #expect(try await status() == "BACKING UP")
            h.clock.advance(by: 60)
            #expect(try await status() == "ACTIVE")
        }
    }
}
