import Foundation
import RDSSimulator
import Testing

@Suite struct TokenTests {
    @Test func passwordAuthIssuesProjectTokenWithRDSCatalog() async throws {
        try await SimulatorHarness.with { h async throws in
            let response = try await h.send(.POST, "/v3/auth/tokens", body: SimulatorHarness.tokenBody())
            #expect(response.status == 201)
            let token = try #require(response.header("X-Subject-Token"))
            #expect(token.hasPrefix("MII"))
            let body = try #require(try response.json()["token"] as? [String: Any])
            #expect((body["expires_at"] as? String)?.hasSuffix("Z") == true)
            #expect((body["issued_at"] as? String)?.hasSuffix("Z") == true)
            #expect(body["methods"] as? [String] == ["password"])
            let project = try #require(body["project"] as? [String: Any])
            #expect(project["id"] as? String == SimulatorHarness.projectID)
            #expect(project["name"] as? String == "eu-de")
            #expect((project["domain"] as? [String: Any])?["name"] as? String == "OTC00000000001000000001")
            #expect((body["user"] as? [String: Any])?["name"] as? String == "backup-operator")
            let catalog = try #require(body["catalog"] as? [[String: Any]])
            let rds = try #require(catalog.first { $0["type"] as? String == "rdsv3" })
            let endpoint = try #require((rds["endpoints"] as? [[String: Any]])?.first)
            #expect(endpoint["url"] as? String == "\(h.simulator.endpoint)/v3/\(SimulatorHarness.projectID)")
            #expect(endpoint["region_id"] as? String == "eu-de")
            #expect(endpoint["interface"] as? String == "public")
            #expect(catalog.contains { $0["type"] as? String == "identity" })
            #expect(h.simulator.counters().tokensIssued == 1)
        }
    }

    @Test func projectScopeByNameWorksAndNocatalogDropsTheCatalog() async throws {
        try await SimulatorHarness.with { h async throws in
            let response = try await h.send(
                .POST, "/v3/auth/tokens", query: [(name: "nocatalog", value: "true")],
                body: SimulatorHarness.tokenBody(scope: #"{"project":{"name":"eu-de"}}"#))
            #expect(response.status == 201)
            let body = try #require(try response.json()["token"] as? [String: Any])
            #expect(body["catalog"] == nil)
            #expect((body["project"] as? [String: Any])?["id"] as? String == SimulatorHarness.projectID)
        }
    }

    @Test(arguments: [
        SimulatorHarness.tokenBody(password: "wrong"),
        SimulatorHarness.tokenBody(user: "nobody"),
        SimulatorHarness.tokenBody(domain: "OTC-other-domain"),
        SimulatorHarness.tokenBody(scope: #"{"project":{"id":"ffffffffffffffffffffffffffffffff"}}"#),
    ])
    func badCredentialsAreRefusedKeystoneStyle(body: [UInt8]) async throws {
        try await SimulatorHarness.with { h async throws in
            let response = try await h.send(.POST, "/v3/auth/tokens", body: body)
            #expect(response.status == 401)
            #expect(response.header("X-Subject-Token") == nil)
            let error = try #require(try response.json()["error"] as? [String: Any])
            #expect(error["code"] as? Int == 401)
            #expect(error["title"] as? String == "Unauthorized")
            #expect(error["message"] as? String == "The request you have made requires authentication.")
        }
    }

    @Test func malformedTokenRequestIsABadRequest() async throws {
        try await SimulatorHarness.with { h async throws in
            let response = try await h.send(.POST, "/v3/auth/tokens", body: Array(#"{"auth":{}}"#.utf8))
            #expect(response.status == 400)
            #expect((try response.json()["error"] as? [String: Any])?["code"] as? Int == 400)
        }
    }
}

@Suite struct IdentityDiscoveryTests {
    @Test func identityVersionDocumentIsServedWithoutAuth() async throws {
        try await SimulatorHarness.with { h async throws in
            let response = try await h.send(.GET, "/v3")
            #expect(response.status == 200)
            let version = try #require(try response.json()["version"] as? [String: Any])
            #expect(version["status"] as? String == "stable")
            #expect((version["id"] as? String)?.hasPrefix("v3") == true)
            let links = try #require(version["links"] as? [[String: Any]])
            #expect(links.first?["href"] as? String == h.simulator.iamURL + "/")
            #expect(version["media-types"] != nil)
        }
    }
}
