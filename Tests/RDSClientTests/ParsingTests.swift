import Foundation
import Testing

@testable import RDSClient

@Suite struct APITimeTests {
    @Test func parsesEveryShapeTheAPIUses() throws {
        let expected = Date(timeIntervalSince1970: 1_533_530_474)  // 2018-08-06T04:41:14Z
        #expect(APITime.parse("2018-08-06T12:41:14+0800") == expected)
        #expect(APITime.parse("2018-08-06T12:41:14+08:00") == expected)
        #expect(APITime.parse("2018-08-06T04:41:14Z") == expected)
        #expect(APITime.parse("2018-08-06T04:41:14") == expected, "no zone is read as UTC")
        #expect(APITime.parse("2018-08-05T23:41:14-0500") == expected)
        let fractional = try #require(APITime.parse("2015-11-09T01:42:57.527363Z"))
        #expect(abs(fractional.timeIntervalSince1970 - 1_447_033_377.527363) < 0.000_01)
    }

    @Test func refusesWhatIsNotATime() {
        for text in ["", "yesterday", "2018-13-06T12:41:14Z", "2018-08-06T12:41", "2018-08-06T12:41:14+8", "2018-08-06T12:41:14Zjunk", "2018-08-06T12:41:14."] {
            #expect(APITime.parse(text) == nil, "\(text)")
        }
    }

    @Test func formatsQueryTimesInUTCWithoutColon() {
        #expect(APITime.formatQuery(Date(timeIntervalSince1970: 1_704_067_200)) == "2024-01-01T00:00:00+0000")
        #expect(APITime.formatQuery(Date(timeIntervalSince1970: 951_825_599)) == "2000-02-29T11:59:59+0000")
        #expect(APITime.formatQuery(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59+0000")
    }

    @Test func formatAndParseRoundTripOverFourCenturies() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let seconds = Int64.random(in: -5_000_000_000...8_000_000_000, using: &generator)
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            #expect(APITime.parse(APITime.formatQuery(date)) == date)
        }
    }
}

@Suite struct APIErrorBodyTests {
    @Test func readsTheRDSShape() {
        let body = APIErrorBody.parse(Array(#"{"error_code":"DBS.201205","error_msg":"Backup is in progress, please wait."}"#.utf8), status: 409)
        #expect(body == APIErrorBody(code: "DBS.201205", message: "Backup is in progress, please wait.", requestID: nil))
    }

    @Test func readsTheGatewayShapeWithRequestID() {
        let body = APIErrorBody.parse(Array(#"{"error_code":"APIG.0308","error_msg":"throttled","request_id":"abc123"}"#.utf8), status: 429)
        #expect(body.code == "APIG.0308")
        #expect(body.requestID == "abc123")
    }

    @Test func readsKeystoneLegacyAndTroveShapes() {
        let keystone = APIErrorBody.parse(Array(#"{"error":{"code":401,"message":"The request you have made requires authentication.","title":"Unauthorized"}}"#.utf8), status: 401)
        #expect(keystone.code == "401")
        #expect(keystone.message == "Unauthorized: The request you have made requires authentication.")
        let legacy = APIErrorBody.parse(Array(#"{"errCode":"RDS.3003","externalMessage":"quota"}"#.utf8), status: 413)
        #expect(legacy.code == "RDS.3003")
        #expect(legacy.message == "quota")
        let trove = APIErrorBody.parse(Array(#"{"itemNotFound":{"code":404,"message":"not found"}}"#.utf8), status: 404)
        #expect(trove.code == "404")
        #expect(trove.message == "not found")
    }

    @Test func nonJSONBodiesBecomeShortPlainText() {
        let html = APIErrorBody.parse(Array("<html><body><h1>502 Bad Gateway</h1>\n<hr>nginx</body></html>".utf8), status: 502)
        #expect(html.code == nil)
        #expect(html.message == "502 Bad Gateway nginx")
        let long = APIErrorBody.parse(Array(String(repeating: "x ", count: 5000).utf8), status: 500)
        #expect(long.message.count <= 201)
        let empty = APIErrorBody.parse([], status: 503)
        #expect(empty.message == "HTTP 503 with an empty body")
        let binary = APIErrorBody.parse([0xFF, 0xFE, 0x00, 0x01], status: 500)
        #expect(!binary.message.contains("\u{0}"))
        let truncated = APIErrorBody.parse(Array(#"{"error_code":"DBS.2"#.utf8), status: 500)
        #expect(truncated.code == nil)
    }
}

@Suite struct ErrorClassifierTests {
    @Test(arguments: [
        (500, nil, ErrorClass.transient), (502, nil, .transient), (503, "DBS.108000", .transient),
        (429, nil, .transient), (429, "APIG.0308", .transient), (429, "APIGW.0308", .transient),
        (409, "DBS.201205", .busy), (409, "DBS.201202", .busy), (409, "DBS.200011", .busy),
        (409, "DBS.200019", .busy), (409, "DBS.200047", .busy), (409, "DBS.212006", .busy),
        (401, "APIG.0301", .auth), (401, "APIGW.0301", .auth), (401, "APIG.0307", .auth),
        (403, "DBS.280056", .auth), (401, nil, .auth),
        (409, "DBS.201201", .alreadyExists),
        (400, "DBS.280277", .permanent), (403, "DBS.200010", .permanent), (404, "DBS.200002", .permanent),
        (413, "DBS.200046", .permanent), (400, "DBS.216028", .permanent),
    ] as [(Int, String?, ErrorClass)])
    func classifiesPerTheAPIReference(status: Int, code: String?, expected: ErrorClass) {
        #expect(ErrorClassifier.classify(status: status, code: code, message: "x") == expected)
    }

    @Test func duplicateNameWordingIsAlreadyExistsWhateverTheCode() {
        #expect(ErrorClassifier.classify(status: 409, code: "DBS.999999", message: "The backup name already exists.") == .alreadyExists)
        #expect(ErrorClassifier.classify(status: 400, code: nil, message: "Duplicate name") == .alreadyExists)
    }

    @Test func quotaErrorsSayTheQuotaIsReached() {
        let error = RDSError(operation: "create backup", errorClass: .permanent, status: 413, code: "RDS.3003", message: "quota")
        #expect(error.isQuotaExceeded)
        // What frees room (retention, by hand) is for the caller to say: only it knows whether retention is set.
        #expect(error.description == "create backup failed (HTTP 413 RDS.3003): quota — the manual backup quota is reached")
        let internalCode = RDSError(operation: "create backup", errorClass: .permanent, status: 400, code: "DBS.216028", message: "quota")
        #expect(internalCode.isQuotaExceeded && internalCode.description.hasSuffix("— the manual backup quota is reached"))
    }

    @Test func aCodeThatRepeatsTheStatusIsPrintedOnce() {
        let error = RDSError(operation: "authenticate with IAM", errorClass: .auth, status: 401, code: "401", message: "Unauthorized")
        #expect(error.description == "authenticate with IAM failed (HTTP 401): Unauthorized")
    }

    @Test func errorDescriptionCarriesCodeMessageAndRequestID() {
        let error = RDSError(
            operation: "create backup x", errorClass: .busy, status: 409, code: "DBS.201205",
            message: "Backup is in progress, please wait.", requestID: "req-1")
        #expect(error.description == "create backup x failed (HTTP 409 DBS.201205): Backup is in progress, please wait. [request req-1]")
    }
}

@Suite struct ValueTypeTests {
    @Test func backupNameEnforcesEveryRule() throws {
        #expect(try BackupName("bk_test_0001").value == "bk_test_0001")
        #expect(throws: BackupNameError.tooShort(name: "abc", length: 3)) { try BackupName("abc") }
        #expect(throws: BackupNameError.tooLong(name: String(repeating: "a", count: 65), length: 65)) {
            try BackupName(String(repeating: "a", count: 65))
        }
        #expect(try BackupName(String(repeating: "a", count: 64)).value.count == 64)
        #expect(throws: BackupNameError.mustStartWithLetter(name: "1abc", found: "1")) { try BackupName("1abc") }
        #expect(throws: BackupNameError.invalidCharacter(name: "ab.cd", character: ".", position: 3)) { try BackupName("ab.cd") }
        #expect(throws: BackupNameError.self) { try BackupName("abcé") }
        #expect(throws: BackupNameError.self) { try BackupName("_abc") }
    }

    @Test func backupNameErrorSaysWhatIsAllowed() {
        let message = BackupNameError.invalidCharacter(name: "ab.cd", character: ".", position: 3).description
        #expect(message.contains("position 3"))
        #expect(message.contains("4 to 64 characters"))
    }

    @Test func descriptionRefusesForbiddenCharacters() throws {
        #expect(try BackupDescription("scheduled by rds-backupd").value == "scheduled by rds-backupd")
        for bad in [">", "!", "<", "\"", "&", "'", "=", "\r", "\n", "\r\n"] {
            #expect(throws: BackupDescriptionError.self) { try BackupDescription("a\(bad)b") }
        }
        #expect(throws: BackupDescriptionError.tooLong(length: 257)) { try BackupDescription(String(repeating: "d", count: 257)) }
    }

    @Test func createBodyIsFlatAndOmitsUnsetKeys() throws {
        let plain = CreateBackupRequest(instanceID: "i1", name: try BackupName("bk_test_0001"))
        #expect(String(decoding: plain.jsonBody(), as: UTF8.self) == #"{"instance_id":"i1","name":"bk_test_0001"}"#)
        let full = CreateBackupRequest(
            instanceID: "i1", name: try BackupName("bk_test_0001"), description: try BackupDescription("nightly"),
            databases: ["hr", "payroll"])
        #expect(
            String(decoding: full.jsonBody(), as: UTF8.self)
                == #"{"databases":[{"name":"hr"},{"name":"payroll"}],"description":"nightly","instance_id":"i1","name":"bk_test_0001"}"#)
    }

    @Test func secretsNeverPrint() {
        let secret = Secret("hunter2-very-secret")
        let credentials = Credentials.password(PasswordCredentials(username: "u", password: secret, userDomainName: "d"))
        let keys = Credentials.accessKey(AccessKeyCredentials(accessKey: "AK", secretKey: secret, securityToken: secret))
        for text in ["\(secret)", String(describing: secret), String(reflecting: secret), "\(credentials)", "\(keys)",
                     String(reflecting: credentials), String(reflecting: keys)] {
            #expect(!text.contains("hunter2"), "\(text)")
        }
        var dumped = ""
        dump(CloudProfile(region: "eu-de", projectID: "p", credentials: keys), to: &dumped)
        #expect(!dumped.contains("hunter2"))
    }

    @Test func backupDecodesLenientlyAndIgnoresUnknownFields() throws {
        let json = #"""
            {"id":"2f4d-br01","instance_id":"i1","name":"n1","type":"manual","status":"COMPLETED","size":"2048",
             "begin_time":"2018-08-06T12:41:14+0800","end_time":"2018-08-06T12:43:14+0800",
             "datastore":{"type":"MySQL","version":"8.0"},"databases":[{"name":"db1"}],"job_id":"x","new_field":{"a":1}}
            """#
        let backup = try JSONDecoder().decode(Backup.self, from: Data(json.utf8))
        #expect(backup.status == .completed)
        #expect(backup.sizeKB == 2048)
        #expect(backup.databases == ["db1"])
        #expect(backup.endTime == Date(timeIntervalSince1970: 1_533_530_594))
        let odd = try JSONDecoder().decode(Backup.self, from: Data(#"{"id":"x","status":"ARCHIVED","type":"weird"}"#.utf8))
        #expect(odd.status == .other("ARCHIVED"))
        #expect(odd.type == .other("weird"))
    }
}

@Suite struct EndpointTests {
    @Test func plainHTTPOnlyToLoopback() throws {
        #expect(try EndpointURL("http://127.0.0.1:8080", purpose: "endpoint").authority == "127.0.0.1:8080")
        #expect(try EndpointURL("http://localhost:1/", purpose: "endpoint").path == "")
        #expect(try EndpointURL("http://[::1]:9/v3", purpose: "endpoint").authority == "[::1]:9")
        #expect(try EndpointURL("https://rds.eu-de.otc.t-systems.com:443", purpose: "endpoint").authority == "rds.eu-de.otc.t-systems.com")
        for bad in ["http://rds.eu-de.otc.t-systems.com", "http://10.0.0.1", "ftp://x", "not a url", "https://user:pw@host"] {
            #expect(throws: ClientConfigurationError.self, "\(bad)") { try EndpointURL(bad, purpose: "endpoint") }
        }
    }

    @Test func serviceRootAcceptsHostCatalogAndPlaceholderForms() throws {
        let pid = "0483b6b16e954cb88930a360d2c4e663"
        let expected = "https://rds.eu-de.otc.t-systems.com/v3/\(pid)"
        for form in ["https://rds.eu-de.otc.t-systems.com", "https://rds.eu-de.otc.t-systems.com/", "https://rds.eu-de.otc.t-systems.com/v3",
                     "https://rds.eu-de.otc.t-systems.com/v3/$(tenant_id)s", "https://rds.eu-de.otc.t-systems.com/v3/%(tenant_id)s",
                     "https://rds.eu-de.otc.t-systems.com/v3/\(pid)"] {
            #expect(try ServiceRoot(rdsURL: form, projectID: pid, purpose: "endpoint").description == expected, "\(form)")
        }
    }

    @Test func catalogPicksThePublicRDSv3EndpointOfTheRegion() {
        let catalog = [
            CatalogEntry(type: "rdsv1", name: "rds", endpoints: [.init(url: "https://old", region: "eu-de", regionID: "eu-de", interface: "public")]),
            CatalogEntry(type: "rdsv3", name: "rdsv3", endpoints: [
                .init(url: "https://nl", region: "eu-nl", regionID: "eu-nl", interface: "public"),
                .init(url: "https://de-internal", region: "eu-de", regionID: "eu-de", interface: "internal"),
                .init(url: "https://de", region: "eu-de", regionID: "eu-de", interface: "public"),
            ]),
        ]
        #expect(CatalogEntry.rdsURL(in: catalog, region: "eu-de") == "https://de")
        #expect(CatalogEntry.rdsURL(in: catalog, region: "eu-ch2") == nil)
    }
}
