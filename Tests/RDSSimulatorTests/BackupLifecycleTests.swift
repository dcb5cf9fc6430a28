import Foundation
import RDSSimulator
import Testing

@Suite struct BackupLifecycleTests {
    static let mysql = SimulatorHarness.mysql.id

    @Test func backupBuildsThenCompletesWhenTheClockAdvances() async throws {
        try await SimulatorHarness.with({ $0.backupDuration = 300 }) { h async throws in
            let created = try await h.create("bk_lifecycle")
            let id = try #require((try created.json()["backup"] as? [String: Any])?["id"] as? String)
            let query = [(name: "instance_id", value: Self.mysql), (name: "backup_id", value: id)]

            let (building, buildingList) = try await h.listBackups(query)
            #expect(try building.json()["total_count"] as? Int == 1)
            let first = try #require(buildingList.first)
            #expect(first["status"] as? String == "BUILDING")
            #expect(first["size"] as? Int == 0)
            #expect(first["end_time"] == nil)

            h.clock.advance(by: 299)
            #expect(try await h.listBackups(query).1.first?["status"] as? String == "BUILDING")
            h.clock.advance(by: 1)
            let done = try #require(try await h.listBackups(query).1.first)
            #expect(done["status"] as? String == "COMPLETED")
            #expect(done["type"] as? String == "manual")
            #expect((done["size"] as? Int ?? 0) > 0)
            #expect(done["begin_time"] as? String == "2026-01-01T12:00:00+0000")
            #expect(done["end_time"] as? String == "2026-01-01T12:05:00+0000")
            #expect((done["datastore"] as? [String: Any])?["type"] as? String == "MySQL")
            #expect((done["datastore"] as? [String: Any])?["version"] as? String == "8.0")
            #expect(h.simulator.backup(id: id)?.status == .completed)
        }
    }

    @Test func timesUseTheConfiguredOffset() async throws {
        try await SimulatorHarness.with({ $0.responseUTCOffset = 8 * 3600 }) { h async throws in
            let created = try await h.create("bk_offset")
            #expect((try created.json()["backup"] as? [String: Any])?["begin_time"] as? String == "2026-01-01T20:00:00+0800")
        }
    }

    @Test func backupOfAFailingInstanceEndsFailed() async throws {
        try await SimulatorHarness.with { h async throws in
            h.simulator.updateInstance(id: Self.mysql) { $0.backupsFail = true }
            #expect(try await h.create("bk_doomed").status == 200)
            h.clock.advance(by: 60)
            let listed = try await h.listBackups([(name: "instance_id", value: Self.mysql)]).1
            #expect(listed.first?["status"] as? String == "FAILED")
        }
    }

    @Test func listPaginatesNewestFirstWithTotalCount() async throws {
        try await SimulatorHarness.with { h async throws in
            let token = try await h.token()
            for index in 1...5 {
                #expect(try await h.create("bk_page_\(index)", token: token).status == 200)
                h.clock.advance(by: 60)
            }
            let query = [(name: "instance_id", value: Self.mysql), (name: "offset", value: "1"), (name: "limit", value: "2")]
            let (response, page) = try await h.listBackups(query, token: token)
            #expect(try response.json()["total_count"] as? Int == 5)
            #expect(page.compactMap { $0["name"] as? String } == ["bk_page_4", "bk_page_3"])
            let all = try await h.listBackups([(name: "instance_id", value: Self.mysql)], token: token).1
            #expect(all.count == 5, "limit defaults to 100")
            let empty = try await h.listBackups([(name: "instance_id", value: SimulatorHarness.postgres.id)], token: token)
            #expect(try empty.0.json()["total_count"] as? Int == 0)
        }
    }

    @Test(arguments: [
        [(name: "limit", value: "0")], [(name: "limit", value: "101")], [(name: "offset", value: "-1")],
        [(name: "backup_type", value: "weekly")], [(name: "begin_time", value: "2026-01-01T00:00:00+0000")],
        [(name: "end_time", value: "2026-01-01T00:00:00+0000")],
        [(name: "begin_time", value: "2026-01-02T00:00:00+0000"), (name: "end_time", value: "2026-01-01T00:00:00+0000")],
        [(name: "begin_time", value: "2026-01-01T00:00:00Z"), (name: "end_time", value: "2026-01-02T00:00:00Z")],
    ])
    func invalidListParametersAreRefused(extra: [(name: String, value: String)]) async throws {
        try await SimulatorHarness.with { h async throws in
            let (response, _) = try await h.listBackups([(name: "instance_id", value: Self.mysql)] + extra)
            #expect(response.status == 400)
            #expect(response.errorCode == "DBS.200001")
        }
    }

    @Test func instanceIDIsMandatory() async throws {
        try await SimulatorHarness.with { h async throws in
            let (response, _) = try await h.listBackups([])
            #expect(response.status == 400)
            #expect(response.errorCode == "DBS.200001")
        }
    }

    @Test func timeWindowSelectsByBeginTimeAndHonoursOffsets() async throws {
        try await SimulatorHarness.with { h async throws in
            let token = try await h.token()
            #expect(try await h.create("bk_noon", token: token).status == 200)  // 12:00Z
            h.clock.advance(by: 3 * 3600)
            #expect(try await h.create("bk_three", token: token).status == 200)  // 15:00Z
            let window = [
                (name: "instance_id", value: Self.mysql),
                (name: "begin_time", value: "2026-01-01T21:30:00+0800"), (name: "end_time", value: "2026-01-01T23:30:00+0800"),
            ]
            let (response, selected) = try await h.listBackups(window, token: token)
            #expect(response.status == 200)
            #expect(selected.compactMap { $0["name"] as? String } == ["bk_three"])
        }
    }

    @Test func unencodedPlusInATimeIsRefused() async throws {
        try await SimulatorHarness.with { h async throws in
            let raw = "instance_id=\(Self.mysql)&begin_time=2026-01-01T00:00:00+0000&end_time=2026-01-02T00:00:00+0000"
            let response = try await h.send(
                .GET, h.backupsPath, rawQuery: raw, headers: [(name: "X-Auth-Token", value: try await h.token())])
            #expect(response.status == 400, "a raw + decodes to a space")
        }
    }

    @Test func backupTypeFilterSelectsManualOnly() async throws {
        try await SimulatorHarness.with { h async throws in
            let start = h.clock.now().addingTimeInterval(-86_400)
            h.simulator.addBackup(
                SimulatedBackup(
                    id: "autoauto00000000000000000000000br01", instanceID: Self.mysql, name: "auto-backup", type: "auto",
                    status: .completed, beginTime: start, endTime: start.addingTimeInterval(600), sizeKB: 4096))
            #expect(try await h.create("bk_manual").status == 200)
            let manual = try await h.listBackups([(name: "instance_id", value: Self.mysql), (name: "backup_type", value: "manual")]).1
            #expect(manual.compactMap { $0["name"] as? String } == ["bk_manual"])
            let auto = try await h.listBackups([(name: "instance_id", value: Self.mysql), (name: "backup_type", value: "auto")]).1
            #expect(auto.first?["size"] as? Int == 4096)
            let deleteAuto = try await h.rds(.DELETE, h.backupsPath + "/autoauto00000000000000000000000br01")
            #expect(deleteAuto.status == 400, "automated backups cannot be deleted manually")
        }
    }

    @Test func deletedBackupIsDeletingThenGoneThenDoesNotExist() async throws {
        try await SimulatorHarness.with({ $0.deleteDuration = 30 }) { h async throws in
            let token = try await h.token()
            let created = try await h.create("bk_doomed", token: token)
            let id = try #require((try created.json()["backup"] as? [String: Any])?["id"] as? String)
            let refused = try await h.rds(.DELETE, h.backupsPath + "/" + id, token: token)
            #expect(refused.status == 409, "a backup still building cannot be deleted")
            #expect(refused.errorCode == "DBS.201205")
            h.clock.advance(by: 60)

            let deleted = try await h.rds(.DELETE, h.backupsPath + "/" + id, token: token)
            #expect(deleted.status == 200)
            #expect(deleted.body.isEmpty)
            let query = [(name: "instance_id", value: Self.mysql), (name: "backup_id", value: id)]
            #expect(try await h.listBackups(query, token: token).1.first?["status"] as? String == "DELETING")
            #expect(try await h.rds(.DELETE, h.backupsPath + "/" + id, token: token).status == 200, "deleting twice is harmless")

            h.clock.advance(by: 30)
            let (gone, _) = try await h.listBackups(query, token: token)
            #expect(gone.status == 400)
            #expect(gone.errorCode == "DBS.201203")
            #expect(try gone.json()["error_msg"] as? String == "The backup file does not exist.")
            #expect(try await h.listBackups([(name: "instance_id", value: Self.mysql)], token: token).1.isEmpty)
            let again = try await h.rds(.DELETE, h.backupsPath + "/" + id, token: token)
            #expect(again.status == 404)
            #expect(again.errorCode == "DBS.201010")
            #expect(h.simulator.backup(id: id)?.status == .deleted, "tests still see deleted backups")
            #expect(try await h.create("bk_doomed", token: token).status == 200, "the name is free again")
        }
    }
}
