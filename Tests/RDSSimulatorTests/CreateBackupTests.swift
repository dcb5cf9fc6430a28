import Foundation
import RDSSimulator
import Testing

@Suite struct CreateBackupTests {
    @Test func createAnswers200WithTheBackupInBuilding() async throws {
        try await SimulatorHarness.with { h async throws in
            let response = try await h.create("nightly_2026-01-01", extra: #","description":"scheduled by rds-backupd""#)
            #expect(response.status == 200)
            let backup = try #require(try response.json()["backup"] as? [String: Any])
            let id = try #require(backup["id"] as? String)
            #expect(id.hasSuffix("br01") && id.count == 36)
            #expect(backup["instance_id"] as? String == SimulatorHarness.mysql.id)
            #expect(backup["name"] as? String == "nightly_2026-01-01")
            #expect(backup["description"] as? String == "scheduled by rds-backupd")
            #expect(backup["status"] as? String == "BUILDING")
            #expect(backup["type"] as? String == "manual")
            #expect(backup["begin_time"] as? String == "2026-01-01T12:00:00+0000")
            #expect(backup["databases"] == nil)
            #expect(h.simulator.backups().map(\.status) == [.building])
        }
    }

    @Test(arguments: ["abc", "1backup", "_backup", "back up", "backup!", "bäckup", String(repeating: "a", count: 65)])
    func invalidNameIsRefused(name: String) async throws {
        try await SimulatorHarness.with { h async throws in
            let response = try await h.rds(
                .POST, h.backupsPath,
                json: String(decoding: try JSONSerialization.data(withJSONObject: ["instance_id": SimulatorHarness.mysql.id, "name": name]), as: UTF8.self))
            #expect(response.status == 400)
            #expect(response.errorCode == "DBS.280277")
            #expect(h.simulator.backups().isEmpty)
        }
    }

    @Test(arguments: ["abcd", "a_b-", "Z" + String(repeating: "9", count: 63)])
    func validNameAtTheLimitsIsAccepted(name: String) async throws {
        try await SimulatorHarness.with { h async throws in
            #expect(try await h.create(name).status == 200)
        }
    }

    @Test(arguments: ["a=b", "it's", "<b>", "x!", "a&b", #"say "hi""#, "line\r\nbreak", String(repeating: "d", count: 257)])
    func invalidDescriptionIsRefused(description: String) async throws {
        try await SimulatorHarness.with { h async throws in
            let json = try JSONSerialization.data(withJSONObject: [
                "instance_id": SimulatorHarness.mysql.id, "name": "bk_desc", "description": description,
            ])
            let response = try await h.rds(.POST, h.backupsPath, json: String(decoding: json, as: UTF8.self))
            #expect(response.status == 400)
            #expect(response.errorCode == "DBS.280127")
        }
    }

    @Test func malformedOrIncompleteBodiesAreParameterErrors() async throws {
        try await SimulatorHarness.with { h async throws in
            #expect(try await h.rds(.POST, h.backupsPath, json: "").errorCode == "DBS.200006")
            #expect(try await h.rds(.POST, h.backupsPath, json: #"{"name":"bk_noinst"}"#).errorCode == "DBS.200001")
            #expect(try await h.rds(.POST, h.backupsPath, json: #"{"instance_id":"x","name":5}"#).errorCode == "DBS.200001")
            #expect(try await h.rds(.POST, h.backupsPath, json: "not json").status == 400)
        }
    }

    @Test func unknownInstanceIsNotFound() async throws {
        try await SimulatorHarness.with { h async throws in
            let response = try await h.create("bk_ghost", instance: "00000000000000000000000000000000in01")
            #expect(response.status == 404)
            #expect(response.errorCode == "DBS.200002")
        }
    }

    @Test func readReplicaCannotBeBackedUp() async throws {
        try await SimulatorHarness.with { h async throws in
            let response = try await h.create("bk_replica", instance: SimulatorHarness.replica.id)
            #expect(response.status == 400)
            #expect(response.errorCode == "DBS.201014")
        }
    }

    @Test func instanceThatIsNotActiveIsBusy() async throws {
        try await SimulatorHarness.with { h async throws in
            h.simulator.updateInstance(id: SimulatorHarness.mysql.id) { $0.status = "REBOOTING" }
            let response = try await h.create("bk_reboot")
            #expect(response.status == 409)
            #expect(response.errorCode == "DBS.201202")
            h.simulator.updateInstance(id: SimulatorHarness.mysql.id) { $0.status = "ACTIVE" }
            #expect(try await h.create("bk_reboot").status == 200)
        }
    }

    @Test func databasesAreForSQLServerOnly() async throws {
        try await SimulatorHarness.with { h async throws in
            let databases = #","databases":[{"name":"hr"},{"name":"payroll"}]"#
            let mysql = try await h.create("bk_partial", extra: databases)
            #expect(mysql.status == 400)
            #expect(mysql.errorCode == "DBS.200001")
            let sqlServer = try await h.create("bk_partial", instance: SimulatorHarness.sqlServer.id, extra: databases)
            #expect(sqlServer.status == 200)
            let backup = try #require(try sqlServer.json()["backup"] as? [String: Any])
            #expect((backup["databases"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["hr", "payroll"])
        }
    }

    @Test func onlyOneBackupBuildsPerInstance() async throws {
        try await SimulatorHarness.with { h async throws in
            #expect(try await h.create("bk_first").status == 200)
            let second = try await h.create("bk_second")
            #expect(second.status == 409)
            #expect(second.errorCode == "DBS.201205")
            #expect(try await h.create("bk_other", instance: SimulatorHarness.postgres.id).status == 200, "other instances are free")
            h.clock.advance(by: 60)
            #expect(try await h.create("bk_second").status == 200)
        }
    }

    @Test func duplicateNameIsRefusedAcrossTheProjectByDefault() async throws {
        try await SimulatorHarness.with { h async throws in
            #expect(try await h.create("bk_same").status == 200)
            h.clock.advance(by: 60)
            let again = try await h.create("bk_same")
            #expect(again.status == 409)
            #expect(again.errorCode == "DBS.201201")
            #expect(try await h.create("bk_same", instance: SimulatorHarness.postgres.id).errorCode == "DBS.201201")
        }
    }

    @Test func perInstanceUniquenessAllowsTheSameNameOnAnotherInstance() async throws {
        try await SimulatorHarness.with({ $0.nameUniqueness = .perInstance }) { h async throws in
            #expect(try await h.create("bk_same").status == 200)
            #expect(try await h.create("bk_same", instance: SimulatorHarness.postgres.id).status == 200)
            h.clock.advance(by: 60)
            #expect(try await h.create("bk_same").errorCode == "DBS.201201")
        }
    }

    @Test func withUniquenessNotEnforcedASecondCreateOfANameIsBusyWhileTheFirstBuildsThenAccepted() async throws {
        try await SimulatorHarness.with({ $0.nameUniqueness = .notEnforced }) { h async throws in
            #expect(try await h.create("bk_twice").status == 200)
            let busy = try await h.create("bk_twice")
            #expect(busy.status == 409)
            #expect(busy.errorCode == "DBS.201205")
            h.clock.advance(by: 60)
            #expect(try await h.create("bk_twice").status == 200)
            #expect(h.simulator.backups().filter { $0.name == "bk_twice" }.count == 2)
        }
    }

    @Test func retriedCreateOfABuildingBackupSaysItExists() async throws {
        try await SimulatorHarness.with { h async throws in
            #expect(try await h.create("bk_retry").status == 200)
            #expect(try await h.create("bk_retry").errorCode == "DBS.201201")
        }
    }

    @Test func manualBackupQuotaAnswers413() async throws {
        try await SimulatorHarness.with({ $0.manualBackupQuota = 1 }) { h async throws in
            #expect(try await h.create("bk_quota1").status == 200)
            h.clock.advance(by: 60)
            let response = try await h.create("bk_quota2")
            #expect(response.status == 413)
            #expect(response.errorCode == "RDS.3003")
        }
    }
}
