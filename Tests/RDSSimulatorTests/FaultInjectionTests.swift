import AsyncHTTPClient
import Foundation
import RDSSimulator
import Testing

@Suite struct FaultInjectionTests {
    @Test(arguments: [500, 503])
    func serverErrorAnswersJSONAndCreatesNothing(status: Int) async throws {
        try await SimulatorHarness.with { h async throws in
            let token = try await h.token()
            h.simulator.inject(.serverError(status: status), on: .createBackup, count: 2)
            for _ in 1...2 {
                let response = try await h.create("bk_fault", token: token)
                #expect(response.status == status)
                #expect(response.errorCode == "DBS.108000")
            }
            #expect(h.simulator.backups().isEmpty)
            #expect(try await h.create("bk_fault", token: token).status == 200, "the fault is used up")
            #expect(h.simulator.counters().faultsApplied == 2)
        }
    }

    @Test func badGatewayAnswersAnHTMLPage() async throws {
        try await SimulatorHarness.with { h async throws in
            h.simulator.inject(.serverError(status: 502), on: .listInstances)
            let response = try await h.rds(.GET, h.instancesPath)
            #expect(response.status == 502)
            #expect(response.header("Content-Type") == "text/html")
            #expect(response.text.contains("502 Bad Gateway"))
            #expect((try? JSONSerialization.jsonObject(with: Data(response.body))) == nil)
        }
    }

    @Test func throttlingAnswers429WithRetryAfter() async throws {
        try await SimulatorHarness.with { h async throws in
            h.simulator.inject(.throttled(retryAfter: 7), on: .listBackups)
            let (response, _) = try await h.listBackups([(name: "instance_id", value: SimulatorHarness.mysql.id)])
            #expect(response.status == 429)
            #expect(response.header("Retry-After") == "7")
            let body = try response.json()
            #expect(body["error_code"] as? String == "APIG.0308")
            #expect((body["error_msg"] as? String)?.hasPrefix("The throttling threshold has been reached") == true)
            #expect(body["request_id"] as? String == response.header("X-Request-Id"))
        }
    }

    @Test func resetBeforeHandlingClosesWithoutCreating() async throws {
        try await SimulatorHarness.with { h async throws in
            let token = try await h.token()
            h.simulator.inject(.resetBeforeHandling, on: .createBackup)
            await #expect(throws: (any Error).self) { _ = try await h.create("bk_reset", token: token) }
            #expect(h.simulator.backups().isEmpty)
            #expect(h.simulator.requests().last?.status == nil)
            #expect(h.simulator.requests().last?.fault == .resetBeforeHandling)
        }
    }

    @Test func resetAfterHandlingLeavesTheBackupCreated() async throws {
        try await SimulatorHarness.with { h async throws in
            let token = try await h.token()
            h.simulator.inject(.resetAfterHandling, on: .createBackup)
            await #expect(throws: (any Error).self) { _ = try await h.create("bk_ambiguous", token: token) }
            #expect(h.simulator.backups().map(\.name) == ["bk_ambiguous"])
            #expect(try await h.create("bk_ambiguous", token: token).errorCode == "DBS.201201")
        }
    }

    @Test func delayAfterHandlingOutlastsTheClientTimeoutButTheBackupExists() async throws {
        try await SimulatorHarness.with { h async throws in
            let token = try await h.token()
            h.simulator.inject(.delayAfterHandling(seconds: 30), on: .createBackup)
            let body = Array(#"{"instance_id":"\#(SimulatorHarness.mysql.id)","name":"bk_slow"}"#.utf8)
            await #expect(throws: HTTPClientError.self) {
                _ = try await h.send(
                    .POST, h.backupsPath, headers: [(name: "X-Auth-Token", value: token)], body: body, timeout: .milliseconds(300))
            }
            #expect(h.simulator.backups().map(\.name) == ["bk_slow"])
        }
    }

    @Test func delayBeforeHandlingAnswersLate() async throws {
        try await SimulatorHarness.with { h async throws in
            let token = try await h.token()
            h.simulator.inject(.delayBeforeHandling(seconds: 0.2), on: .listInstances)
            let started = Date()
            let response = try await h.rds(.GET, h.instancesPath, token: token)
            #expect(response.status == 200)
            #expect(Date().timeIntervalSince(started) >= 0.2)
        }
    }

    @Test func malformedJSONAnswers200WithABrokenBodyAfterCreating() async throws {
        try await SimulatorHarness.with { h async throws in
            let token = try await h.token()
            h.simulator.inject(.malformedJSON, on: .createBackup)
            let response = try await h.create("bk_garbled", token: token)
            #expect(response.status == 200)
            #expect((try? JSONSerialization.jsonObject(with: Data(response.body))) == nil)
            #expect(h.simulator.backups().map(\.name) == ["bk_garbled"])
        }
    }

    @Test func expireAllTokensFaultRevokesEveryToken() async throws {
        try await SimulatorHarness.with { h async throws in
            let token = try await h.token()
            h.simulator.inject(.expireAllTokens, on: .listInstances)
            let first = try await h.rds(.GET, h.instancesPath, token: token)
            #expect(first.status == 401)
            #expect(first.errorCode == "APIG.0307")
            #expect(try await h.rds(.GET, h.instancesPath, token: token).errorCode == "APIG.0307", "still revoked")
            #expect(try await h.rds(.GET, h.instancesPath).status == 200, "a new token works")
        }
    }

    @Test func anyRouteFaultHitsTheNextRequestWhateverItIs() async throws {
        try await SimulatorHarness.with { h async throws in
            h.simulator.inject(.serverError(status: 503), on: .any, count: 1)
            #expect(h.simulator.pendingFaults(on: .any) == 1)
            let response = try await h.send(.POST, "/v3/auth/tokens", body: SimulatorHarness.tokenBody())
            #expect(response.status == 503)
            #expect(h.simulator.pendingFaults(on: .any) == 0)
            #expect(try await h.token().isEmpty == false)
        }
    }

    @Test func routeFaultsLeaveOtherRoutesAlone() async throws {
        try await SimulatorHarness.with { h async throws in
            let token = try await h.token()
            h.simulator.inject(.serverError(status: 500), on: .deleteBackup)
            #expect(try await h.rds(.GET, h.instancesPath, token: token).status == 200)
            #expect(try await h.create("bk_other", token: token).status == 200)
            #expect(h.simulator.pendingFaults(on: .deleteBackup) == 1)
        }
    }
}
