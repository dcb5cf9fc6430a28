import Foundation
import RDSClient
import RDSSimulator
import Testing

@Suite struct AuthTests {
    static let accessKey = "SIMULATORAK000000000"
    static let secretKey = Secret("simulator-secret-key-0000000000000000000")

    @Test func requestWithoutCredentialsIsRefusedByTheGateway() async throws {
        try await SimulatorHarness.with { h async throws in
            let response = try await h.send(.GET, h.instancesPath)
            #expect(response.status == 401)
            let body = try response.json()
            #expect(body["error_code"] as? String == "APIG.0301")
            #expect((body["error_msg"] as? String)?.hasPrefix("Incorrect IAM authentication information: ") == true)
            #expect(body["request_id"] as? String == response.header("X-Request-Id"))
        }
    }

    @Test func unknownTokenIsRefused() async throws {
        try await SimulatorHarness.with { h async throws in
            let response = try await h.rds(.GET, h.instancesPath, token: "MIIforged")
            #expect(response.status == 401)
            #expect(response.errorCode == "APIG.0301")
        }
    }

    @Test func tokenExpiresWhenTheClockPassesItsLifetime() async throws {
        try await SimulatorHarness.with({ $0.tokenLifetime = 3600 }) { h async throws in
            let token = try await h.token()
            h.clock.advance(by: 3599)
            #expect(try await h.rds(.GET, h.instancesPath, token: token).status == 200)
            h.clock.advance(by: 1)
            let expired = try await h.rds(.GET, h.instancesPath, token: token)
            #expect(expired.status == 401)
            #expect(expired.errorCode == "APIG.0301")
            #expect(try await h.rds(.GET, h.instancesPath).status == 200, "a new token works")
        }
    }

    @Test func revokedTokensMustBeUpdated() async throws {
        try await SimulatorHarness.with { h async throws in
            let token = try await h.token()
            h.simulator.expireAllTokens()
            let response = try await h.rds(.GET, h.instancesPath, token: token)
            #expect(response.status == 401)
            #expect(response.errorCode == "APIG.0307")
            #expect((try response.json()["error_msg"] as? String) == "The token must be updated.")
        }
    }

    /// Signs like a client: Host as sent, X-Sdk-Date from `date`, then the Authorization header.
    func signed(
        _ h: SimulatorHarness, method: String, path: String, query: [(name: String, value: String)], body: [UInt8] = [],
        date: Date, accessKey: String = accessKey, secretKey: Secret = secretKey,
        extra: [(name: String, value: String)] = []
    ) -> [(name: String, value: String)] {
        var headers = [(name: "Host", value: "127.0.0.1:\(h.simulator.port)"), (name: "X-Project-Id", value: SimulatorHarness.projectID)]
        if !body.isEmpty { headers.append((name: "Content-Type", value: "application/json")) }
        headers += extra
        let signer = SDKSigner(accessKey: accessKey, secretKey: secretKey)
        return headers.filter { $0.name != "Host" && $0.name != "Content-Type" }
            + signer.sign(method: method, path: path, query: query, headers: headers, body: body, date: date)
    }

    @Test func akSkSignedRequestsAreAccepted() async throws {
        try await SimulatorHarness.with { h async throws in
            let query = [
                (name: "instance_id", value: SimulatorHarness.mysql.id),
                (name: "begin_time", value: "2020-01-01T00:00:00+0000"), (name: "end_time", value: "2030-01-01T00:00:00+0800"),
            ]
            let list = try await h.send(
                .GET, h.backupsPath, query: query, headers: signed(h, method: "GET", path: h.backupsPath, query: query, date: h.clock.now()))
            #expect(list.status == 200)

            let body = Array(#"{"instance_id":"\#(SimulatorHarness.mysql.id)","name":"signed_backup"}"#.utf8)
            let create = try await h.send(
                .POST, h.backupsPath, headers: signed(h, method: "POST", path: h.backupsPath, query: [], body: body, date: h.clock.now()),
                body: body)
            #expect(create.status == 200)
            #expect(h.simulator.requests().suffix(2).map(\.auth) == [.akSk, .akSk])
        }
    }

    @Test func tamperedRequestIsRefused() async throws {
        try await SimulatorHarness.with { h async throws in
            let query = [(name: "instance_id", value: SimulatorHarness.mysql.id)]
            let headers = signed(h, method: "GET", path: h.backupsPath, query: query, date: h.clock.now())
            let response = try await h.send(
                .GET, h.backupsPath, query: [(name: "instance_id", value: SimulatorHarness.postgres.id)], headers: headers)
            #expect(response.status == 401)
            #expect(response.errorCode == "APIG.0301")
            #expect((try response.json()["error_msg"] as? String)?.contains("verify aksk signature fail") == true)

            let wrongKey = signed(h, method: "GET", path: h.backupsPath, query: query, date: h.clock.now(), secretKey: Secret("not-the-key"))
            #expect(try await h.send(.GET, h.backupsPath, query: query, headers: wrongKey).errorCode == "APIG.0301")
        }
    }

    @Test func signatureDatedMoreThan15MinutesOffIsRefused() async throws {
        try await SimulatorHarness.with { h async throws in
            let query = [(name: "instance_id", value: SimulatorHarness.mysql.id)]
            let withinSkew = signed(h, method: "GET", path: h.backupsPath, query: query, date: h.clock.now().addingTimeInterval(-14 * 60))
            #expect(try await h.send(.GET, h.backupsPath, query: query, headers: withinSkew).status == 200)
            let skewed = signed(h, method: "GET", path: h.backupsPath, query: query, date: h.clock.now().addingTimeInterval(-16 * 60))
            let response = try await h.send(.GET, h.backupsPath, query: query, headers: skewed)
            #expect(response.status == 401)
            #expect(response.errorCode == "APIG.0303")
        }
    }

    @Test func temporaryAccessKeyNeedsItsSecurityToken() async throws {
        let temporary = SimulatorConfiguration.AccessKey(
            accessKey: "TEMPAK", secretKey: Secret("temp-sk"), securityToken: Secret("session-token"))
        try await SimulatorHarness.with({ $0.accessKeys.append(temporary) }) { h async throws in
            let query = [(name: "instance_id", value: SimulatorHarness.mysql.id)]
            let without = signed(h, method: "GET", path: h.backupsPath, query: query, date: h.clock.now(), accessKey: "TEMPAK", secretKey: Secret("temp-sk"))
            #expect(try await h.send(.GET, h.backupsPath, query: query, headers: without).errorCode == "APIG.0301")
            let with = signed(
                h, method: "GET", path: h.backupsPath, query: query, date: h.clock.now(), accessKey: "TEMPAK",
                secretKey: Secret("temp-sk"), extra: [(name: "X-Security-Token", value: "session-token")])
            #expect(try await h.send(.GET, h.backupsPath, query: query, headers: with).status == 200)
        }
    }

    @Test func recordsNameTheAuthKindButHoldNoSecret() async throws {
        try await SimulatorHarness.with { h async throws in
            let token = try await h.token()
            _ = try await h.rds(.GET, h.instancesPath, token: token)
            let records = h.simulator.requests()
            #expect(records.map(\.auth) == [.password, .token])
            #expect(records.map(\.status) == [201, 200])
            #expect(records.map(\.route) == [.token, .listInstances])
            var dumped = ""
            dump(records, to: &dumped)
            #expect(!dumped.contains(token))
            #expect(!dumped.contains("simulator-password"))
        }
    }

    @Test func unknownPathIsAGatewayNotFound() async throws {
        try await SimulatorHarness.with { h async throws in
            let response = try await h.rds(.GET, "/v3/\(SimulatorHarness.projectID)/flavors")
            #expect(response.status == 404)
            #expect(response.errorCode == "APIG.0101")
        }
    }
}
