import Foundation
import RDSSimulator
import RDSTestSupport
import Testing

@testable import RDSClient

/// `GET /v3/{project_id}/backup-files`: the model, the call against the simulator, and the links'
/// secrecy.
@Suite struct BackupFilesTests {
    let orders = SimulatorFixture.orders

    /// OTC's example answer (with its malformed `link_expired_time`, "2018-08-016").
    @Test func theReferenceExampleParsesAndAnUnreadableExpiryIsNoFailure() throws {
        let json = """
            {"files": [{"name": "43e4feaab48f11e89039fa163ebaa7e4br01.xxx", "size": 2803,
              "download_link": "https://obs.domainname.com/rdsbucket.username.1/xxxxxx",
              "link_expired_time": "2018-08-016T10:15:14+0800"}], "bucket": "rdsbucket.bucketname"}
            """
        let list = try JSONDecoder().decode(BackupFileList.self, from: Data(json.utf8))
        #expect(list.bucket == "rdsbucket.bucketname")
        #expect(list.files.count == 1)
        #expect(list.files[0].name == "43e4feaab48f11e89039fa163ebaa7e4br01.xxx")
        #expect(list.files[0].sizeKB == 2803)
        #expect(list.files[0].linkExpiresAt == nil)
        let good = try JSONDecoder().decode(
            BackupFile.self,
            from: Data(#"{"name":"a.qp","size":"12","download_link":"https://x/y","link_expired_time":"2018-08-16T10:15:14Z"}"#.utf8))
        #expect(good.sizeKB == 12)
        #expect(good.linkExpiresAt == Date(timeIntervalSince1970: 1_534_414_514))
    }

    @Test func aDownloadLinkNeverShowsItsQueryOrUserInfo() {
        let link = DownloadLink("https://user:pw@obs.eu-de.otc.t-systems.com/bucket/key.qp?AccessKeyId=AK&Expires=1&Signature=SECRETSIG")
        for shown in [link.description, link.debugDescription, "\(link)", String(reflecting: link), { var s = ""; dump(link, to: &s); return s }()] {
            #expect(!shown.contains("SECRETSIG"), "\(shown)")
            #expect(!shown.contains("pw@"), "\(shown)")
        }
        #expect(link.redacted == "https://<redacted>@obs.eu-de.otc.t-systems.com/bucket/key.qp?<redacted>")
        #expect(link.reveal().hasSuffix("Signature=SECRETSIG"))
        let file = BackupFile(name: "a.qp", sizeKB: 1, downloadLink: link)
        #expect(!"\(file)".contains("SECRETSIG"))
        #expect(!String(reflecting: file).contains("SECRETSIG"))
    }

    @Test func aCompletedBackupListsItsFilesWithWorkingLinks() async throws {
        try await SimulatorFixture.with { fixture in
            let simulator = fixture.simulator
            simulator.objectStorage.backupBytes = 5_000
            let client = try fixture.client()
            let created = try await client.createBackup(CreateBackupRequest(instanceID: orders, name: try BackupName("orders-files")))
            simulator.clock.advance(by: fixture.configuration.backupDuration + 1)
            let list = try await client.backupFiles(backupID: created.id)
            #expect(list.bucket == SimulatedObjectStorage.backupBucket)
            #expect(list.files.map(\.name) == ["\(created.id).qp"])
            #expect(list.files[0].sizeKB == 5)  // 5,000 bytes, rounded up
            #expect(list.files[0].linkExpiresAt == simulator.clock.now().addingTimeInterval(3600))
            #expect(list.files[0].downloadLink.host == "127.0.0.1")
            #expect(!fixture.logs.all.joined().contains("Signature="), "no link in the client's log")
            let request = try #require(simulator.requests().last)
            #expect(request.route == .backupFiles)
            #expect(request.queryValue("backup_id") == created.id)
        }
    }

    @Test func sqlServerBackupsHaveOneFilePerDatabase() async throws {
        try await SimulatorFixture.with { fixture in
            fixture.simulator.objectStorage.backupBytes = 10_000
            let client = try fixture.client()
            let created = try await client.createBackup(
                CreateBackupRequest(instanceID: SimulatorFixture.payroll, name: try BackupName("payroll-files"), databases: ["hr", "pay"]))
            fixture.simulator.clock.advance(by: fixture.configuration.backupDuration + 1)
            let list = try await client.backupFiles(backupID: created.id)
            #expect(list.files.map(\.name) == ["hr_\(created.id).bak", "pay_\(created.id).bak"])
            #expect(list.files.map(\.databaseName) == ["hr", "pay"])
            #expect(list.files.map(\.sizeKB) == [5, 5])
        }
    }

    @Test func backupsTheReferenceDoesNotServeAnswerThatTheFileDoesNotExist() async throws {
        try await SimulatorFixture.with { fixture in
            let simulator = fixture.simulator
            let now = simulator.clock.now()
            simulator.addBackup(
                SimulatedBackup(
                    id: "incrsqlbr01", instanceID: SimulatorFixture.payroll, name: "inc", type: "incremental", status: .completed,
                    beginTime: now.addingTimeInterval(-600), endTime: now.addingTimeInterval(-300), sizeKB: 10))
            simulator.addBackup(
                SimulatedBackup(
                    id: "incrmysqlbr01", instanceID: orders, name: "inc2", type: "incremental", status: .completed,
                    beginTime: now.addingTimeInterval(-600), endTime: now.addingTimeInterval(-300), sizeKB: 10))
            let client = try fixture.client()
            let building = try await client.createBackup(CreateBackupRequest(instanceID: orders, name: try BackupName("still-building")))
            for id in ["incrsqlbr01", building.id, "nosuchbr01"] {
                let error = await #expect(throws: RDSError.self) { try await client.backupFiles(backupID: id) }
                #expect(error?.status == 400)
                #expect(error?.code == "DBS.201203")
            }
            #expect(try await client.backupFiles(backupID: "incrmysqlbr01").files.count == 1)
        }
    }
}
