import Foundation
import RDSClient
import Testing

/// Answers no real server should give, to each call the daemon makes: every one becomes an
/// `RDSError` with a class (or a lenient success), bounded in size and time, never a crash or a hang.
// Serialized: its 20 MB bodies and deep JSON would otherwise all run at once and starve the
// timing-sensitive tests running beside it.
@Suite(.serialized) struct HostileResponseTests {
    static let projectID = "0483b6b16e954cb88930a360d2c4e663"
    static let instanceID = "d8e6ca5a624745bcb546a227aa3ae1cfin01"
    static let fakeToken = "Leak-Canary-Token-77d1"
    static let fakePassword = "Leak-Canary-Pw-9f3a"
    static let fakeSecretKey = "Leak-Canary-SK-c4e8"
    /// Longest message an error may carry: it goes into the journal and onto the terminal.
    static let maxMessageLength = 2_000

    enum Route: String, Sendable, CaseIterable {
        case create, listBackups, instances, token
    }

    enum Expected: Sendable, CustomStringConvertible {
        case error(ErrorClass, mayHaveTakenEffect: Bool)
        /// A lenient read: the call succeeds (unknown shapes of optional fields are ignored).
        case success

        var description: String {
            switch self {
            case .error(let errorClass, let effect): "\(errorClass)\(effect ? "+mayHaveTakenEffect" : "")"
            case .success: "success"
            }
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var route: Route
        var response: ScriptedResponse
        var expected: Expected
        var testDescription: String { "\(route.rawValue): \(name) → \(expected)" }
    }

    // MARK: - Bodies

    static let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
    static let deepObject = String(repeating: "{\"a\":", count: 50_000) + "1" + String(repeating: "}", count: 50_000)
    static let huge = [UInt8](repeating: UInt8(ascii: "x"), count: 20 * 1024 * 1024)
    static let invalidUTF8: [UInt8] = Array("{\"backup\":{\"id\":\"".utf8) + [0xFF, 0xFE, 0xC0, 0x80] + Array("\",\"status\":\"BUILDING\"}}".utf8)
    static let invalidUTF8List: [UInt8] = Array("{\"backups\":[{\"id\":\"".utf8) + [0xED, 0xA0, 0x80] + Array("\"}],\"total_count\":1}".utf8)
    static let instance = #"{"id":"d8e6ca5a624745bcb546a227aa3ae1cfin01","name":"orders","status":"ACTIVE","type":"Ha","datastore":{"type":"MySQL","version":"8.0"}}"#
    static let tokenBody = #"{"token":{"expires_at":"2099-01-01T00:00:00.000000Z","issued_at":"2026-01-01T00:00:00.000000Z","project":{"id":"0483b6b16e954cb88930a360d2c4e663"}}}"#

    static func ok(_ text: String) -> ScriptedResponse { .json(200, text) }
    static func bytes(_ status: Int, _ body: [UInt8]) -> ScriptedResponse { .http(status: status, body: body) }
    static func token(_ body: String, header: Bool = true) -> ScriptedResponse {
        .json(201, body, headers: header ? [("X-Subject-Token", fakeToken)] : [])
    }

    static let transient = Expected.error(.transient, mayHaveTakenEffect: false)
    static let transientMaybeCreated = Expected.error(.transient, mayHaveTakenEffect: true)

    /// Answers every route must survive the same way.
    static func common(_ route: Route, created: Bool) -> [Case] {
        let malformed = created ? transientMaybeCreated : transient
        return [
            Case(name: "empty 200", route: route, response: bytes(200, []), expected: malformed),
            Case(name: "truncated JSON", route: route, response: ok(#"{"backup":{"id":"ab","na"#), expected: malformed),
            Case(name: "JSON null", route: route, response: ok("null"), expected: malformed),
            Case(name: "top-level array", route: route, response: ok("[]"), expected: malformed),
            Case(name: "top-level string", route: route, response: ok(#""ok""#), expected: malformed),
            Case(name: "HTML 200", route: route, response: .http(status: 200, headers: [("Content-Type", "text/html")], body: Array("<html><body>Welcome to nginx</body></html>".utf8)), expected: malformed),
            Case(name: "100 000 nested arrays", route: route, response: ok(deep), expected: malformed),
            Case(name: "50 000 nested objects", route: route, response: ok(deepObject), expected: malformed),
            Case(name: "20 MB body", route: route, response: bytes(200, huge), expected: created ? transientMaybeCreated : transient),
            Case(name: "Content-Length says more than comes", route: route,
                 response: .raw(Array("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\nContent-Type: application/json\r\n\r\n{\"backups\":[".utf8)),
                 expected: created ? transientMaybeCreated : transient),
            Case(name: "garbage instead of HTTP", route: route, response: .raw(Array("SSH-2.0-OpenSSH_9.6\r\n\r\n".utf8)),
                 expected: created ? transientMaybeCreated : transient),
            Case(name: "headers, then silence", route: route,
                 response: .rawThenStall(Array("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{".utf8)),
                 expected: created ? transientMaybeCreated : transient),
            Case(name: "502 HTML from a proxy", route: route,
                 response: .http(status: 502, body: Array("<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>".utf8)),
                 expected: transient),
            Case(name: "500 plain text", route: route, response: bytes(500, Array("upstream connect error or disconnect/reset before headers".utf8)), expected: transient),
            Case(name: "503 empty", route: route, response: bytes(503, []), expected: transient),
            Case(name: "400 invalid UTF-8", route: route, response: bytes(400, [0xFF, 0xFE, 0xFD, 0x00, 0x1B]), expected: route == .token ? .error(.auth, mayHaveTakenEffect: false) : .error(.permanent, mayHaveTakenEffect: false)),
            Case(name: "400 deeply nested error", route: route, response: .json(400, deep), expected: route == .token ? .error(.auth, mayHaveTakenEffect: false) : .error(.permanent, mayHaveTakenEffect: false)),
            Case(name: "429 with an absurd Retry-After", route: route,
                 response: .json(429, #"{"error_code":"APIG.0308","error_msg":"throttled"}"#, headers: [("Retry-After", "99999999999999999999999")]),
                 expected: transient),
            Case(name: "409 error_code as a number", route: route, response: .json(409, #"{"error_code":201205,"error_msg":["x"]}"#),
                 expected: .error(.permanent, mayHaveTakenEffect: false)),
            Case(name: "a megabyte of error_msg with terminal escapes and line breaks", route: route,
                 response: .json(409, #"{"error_code":"DBS.280001","error_msg":"\u001b[2J\u001b[31m"# + String(repeating: "A", count: 1 << 20) + #"\r\nFAKE LOG LINE\u0007"}"#),
                 expected: .error(.permanent, mayHaveTakenEffect: false)),
            Case(name: "a megabyte of error_code", route: route,
                 response: .json(409, #"{"error_code":""# + String(repeating: "D", count: 1 << 20) + #"","error_msg":"x","request_id":""# + String(repeating: "r", count: 100_000) + #""}"#),
                 expected: .error(.permanent, mayHaveTakenEffect: false)),
            Case(name: "a 60 kB X-Request-Id", route: route,
                 response: .json(500, #"{"error_code":"DBS.108000","error_msg":"x"}"#, headers: [("X-Request-Id", String(repeating: "q", count: 60_000))]),
                 expected: transient),
        ]
    }

    static let cases: [Case] =
        common(.create, created: true) + common(.listBackups, created: false) + common(.instances, created: false)
        + common(.token, created: false) + [
            // create
            Case(name: "id is a number", route: .create, response: ok(#"{"backup":{"id":5,"name":"x"}}"#), expected: transientMaybeCreated),
            Case(name: "backup is a string", route: .create, response: ok(#"{"backup":"x"}"#), expected: transientMaybeCreated),
            Case(name: "no backup key", route: .create, response: ok(#"{"job_id":"x"}"#), expected: transientMaybeCreated),
            Case(name: "backup without id", route: .create, response: ok(#"{"backup":{"name":"hostile-1","status":"BUILDING"}}"#), expected: transientMaybeCreated),
            Case(name: "invalid UTF-8 in the id", route: .create, response: bytes(200, invalidUTF8), expected: transientMaybeCreated),
            Case(name: "size is an object, times are junk", route: .create,
                 response: ok(#"{"backup":{"id":"b1","size":{},"begin_time":"yesterday","end_time":"2026-13-45T99:99:99Z","status":"\u0000"}}"#),
                 expected: .success),
            Case(name: "status is a number", route: .create, response: ok(#"{"backup":{"id":"b1","status":7}}"#), expected: transientMaybeCreated),
            // list backups
            Case(name: "backups is a string", route: .listBackups, response: ok(#"{"backups":"x","total_count":1}"#), expected: transient),
            Case(name: "backups missing", route: .listBackups, response: ok(#"{"total_count":3}"#), expected: transient),
            Case(name: "a backup without id", route: .listBackups, response: ok(#"{"backups":[{"name":"x"}],"total_count":1}"#), expected: transient),
            Case(name: "a backup is null", route: .listBackups, response: ok(#"{"backups":[null],"total_count":1}"#), expected: transient),
            Case(name: "total_count is a string", route: .listBackups, response: ok(#"{"backups":[],"total_count":"lots"}"#), expected: transient),
            Case(name: "total_count overflows", route: .listBackups, response: ok(#"{"backups":[],"total_count":1e400}"#), expected: transient),
            Case(name: "invalid UTF-8 (lone surrogate) in an id", route: .listBackups, response: bytes(200, invalidUTF8List), expected: transient),
            Case(name: "size is an object", route: .listBackups, response: ok(#"{"backups":[{"id":"b1","size":{}}],"total_count":1}"#), expected: .success),
            Case(name: "size beyond Int64", route: .listBackups, response: ok(#"{"backups":[{"id":"b1","size":1e30}],"total_count":1}"#), expected: .success),
            Case(name: "databases is a string", route: .listBackups, response: ok(#"{"backups":[{"id":"b1","databases":"hr"}],"total_count":1}"#), expected: transient),
            // instances
            Case(name: "instances is an object", route: .instances, response: ok(#"{"instances":{},"total_count":0}"#), expected: transient),
            Case(name: "an instance without id", route: .instances, response: ok(#"{"instances":[{"name":"orders"}],"total_count":1}"#), expected: transient),
            Case(name: "datastore is a string", route: .instances, response: ok(#"{"instances":[{"id":"i","datastore":"MySQL"}],"total_count":1}"#), expected: transient),
            Case(name: "status is an array", route: .instances, response: ok(#"{"instances":[{"id":"i","status":[]}],"total_count":1}"#), expected: transient),
            // token
            Case(name: "no X-Subject-Token", route: .token, response: token(tokenBody, header: false), expected: transient),
            Case(name: "expires_at is not a time", route: .token, response: token(#"{"token":{"expires_at":"soon","project":{"id":"p"}}}"#), expected: transient),
            Case(name: "expires_at is a number", route: .token, response: token(#"{"token":{"expires_at":5}}"#), expected: transient),
            Case(name: "catalog is a string", route: .token, response: token(#"{"token":{"expires_at":"2099-01-01T00:00:00Z","catalog":"x"}}"#), expected: transient),
            Case(name: "token missing", route: .token, response: token(#"{"tokens":{}}"#), expected: transient),
            Case(name: "an expires_at of a megabyte", route: .token,
                 response: token(#"{"token":{"expires_at":""# + String(repeating: "9", count: 1 << 20) + #""}}"#), expected: transient),
            Case(name: "401 keystone shape", route: .token,
                 response: .json(401, #"{"error":{"code":401,"message":"The request you have made requires authentication.","title":"Unauthorized"}}"#),
                 expected: .error(.auth, mayHaveTakenEffect: false)),
        ]

    /// A server that answers `hostile` on the case's route and sensibly everywhere else.
    static func script(for testCase: Case) -> ScriptedHTTPServer.Script {
        { request in
            let route: Route
            if request.path.hasSuffix("/auth/tokens") {
                route = .token
            } else if request.path.hasSuffix("/instances") {
                route = .instances
            } else {
                route = request.method == "POST" ? .create : .listBackups
            }
            if route == testCase.route { return testCase.response }
            switch route {
            case .token: return token(tokenBody)
            case .instances: return ok(#"{"instances":["# + instance + #"],"total_count":1}"#)
            case .create: return ok(#"{"backup":{"id":"b1","name":"hostile-1","status":"BUILDING"}}"#)
            case .listBackups: return ok(#"{"backups":[],"total_count":0}"#)
            }
        }
    }

    /// A client for `server`: password (so a token is fetched) for the token route, AK/SK otherwise.
    static func client(for server: ScriptedHTTPServer, route: Route) throws -> (RDSAPIClient, HTTPTransport) {
        var configuration = HTTPTransport.Configuration()
        configuration.connectTimeout = .seconds(2)
        configuration.requestTimeout = .seconds(2)
        let transport = try HTTPTransport(configuration: configuration, environment: [:])
        let base = "http://127.0.0.1:\(server.port)"
        let credentials: Credentials = route == .token
            ? .password(PasswordCredentials(username: "backup-operator", password: Secret(fakePassword), userDomainName: "OTC-TEST"))
            : .accessKey(AccessKeyCredentials(accessKey: "AKHOSTILE", secretKey: Secret(fakeSecretKey)))
        let profile = CloudProfile(region: "eu-de", projectID: projectID, authURL: base + "/v3", endpoint: base, credentials: credentials)
        return (try RDSAPIClient(profile: profile, transport: transport), transport)
    }

    static func call(_ client: RDSAPIClient, route: Route) async throws {
        switch route {
        case .create: _ = try await client.createBackup(CreateBackupRequest(instanceID: instanceID, name: try BackupName("hostile-1")))
        case .listBackups: _ = try await client.listBackups(BackupQuery(instanceID: instanceID))
        case .instances, .token: _ = try await client.listInstances()
        }
    }

    @Test(arguments: cases)
    func aHostileAnswerBecomesAClassifiedErrorNeverACrash(_ testCase: Case) async throws {
        try await ScriptedHTTPServer.with(script: Self.script(for: testCase)) { server in
            let (client, transport) = try Self.client(for: server, route: testCase.route)
            let started = ContinuousClock.now
            var caught: (any Error)?
            do { try await Self.call(client, route: testCase.route) } catch { caught = error }
            let elapsed = ContinuousClock.now - started
            try await transport.shutdown()

            // A bound on hanging (the timeouts are 1-2 s), not a timing: a loaded run took 10.4 s.
            #expect(elapsed < .seconds(30), "bounded: took \(elapsed)")
            #expect(server.requests.contains { $0.path.hasSuffix(testCase.route == .token ? "/auth/tokens" : "") })
            switch testCase.expected {
            case .success:
                #expect(caught == nil, "\(String(describing: caught))")
            case .error(let errorClass, let mayHaveTakenEffect):
                let error = try #require(caught as? RDSError, "not an RDSError: \(String(describing: caught))")
                #expect(error.errorClass == errorClass, "\(error)")
                #expect(error.mayHaveTakenEffect == mayHaveTakenEffect, "\(error)")
                #expect(!error.message.isEmpty)
                #expect(error.description.count <= Self.maxMessageLength, "message of \(error.description.count) characters")
                #expect(!error.description.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "no control characters: \(error.description.debugDescription.prefix(300))")
                for secret in [Self.fakeToken, Self.fakePassword, Self.fakeSecretKey] {
                    #expect(!error.description.contains(secret), "\(error)")
                }
            }
        }
    }

    // MARK: - Error bodies found by the fuzzer (Fuzz/corpus/api-response/regression-*)

    @Test func anErrorBodyOfOnlyTagsAndControlCharactersStillHasAMessage() {
        // Found by fuzz-api-response: plain-text extraction kept a DEL, cleaning removed it, the message was empty.
        let body: [UInt8] = Array("<html><http{e\"D\"0308>>>>><>>>>>>".utf8) + [0xFF, 0xFF, 0x3E, 0x7F, 0xFF, 0x3E, 0xFF]
        let parsed = APIErrorBody.parse(body, status: 502)
        #expect(parsed.message == "HTTP 502 with a body that is not an API error")
        #expect(APIErrorBody.parse(Array(#"{"error_code":"\u0007","error_msg":"\u001b\u0000","request_id":"\n"}"#.utf8), status: 400)
            == APIErrorBody(code: nil, message: "HTTP 400 with a body that is not an API error", requestID: nil))
    }

    // MARK: - Pagination that lies

    static func backupsPage(offset: Int, count: Int, total: String) -> ScriptedResponse {
        let items = (0..<count).map { #"{"id":"b\#(offset + $0)","name":"n\#(offset + $0)","status":"COMPLETED"}"# }
        return ok(#"{"backups":["# + items.joined(separator: ",") + #"],"total_count":\#(total)}"#)
    }

    @Test func aServerThatIgnoresOffsetAndClaimsMoreEndsTheListingInsteadOfLoopingOn() async throws {
        // Full pages of the same 100 backups, forever, with a total that is never reached.
        try await ScriptedHTTPServer.with(script: { _ in Self.backupsPage(offset: 0, count: 100, total: "1000000000") }) { server in
            let (client, transport) = try Self.client(for: server, route: .listBackups)
            let started = ContinuousClock.now
            var caught: (any Error)?
            do { _ = try await client.listBackups(BackupQuery(instanceID: Self.instanceID)) } catch { caught = error }
            let elapsed = ContinuousClock.now - started
            try await transport.shutdown()
            let error = try #require(caught as? RDSError, "\(String(describing: caught))")
            #expect(error.errorClass == .transient)
            #expect(server.requests.count <= 3, "stopped at the repeated page, after \(server.requests.count) requests")
            #expect(elapsed < .seconds(30), "a bound on looping, not a timing: took \(elapsed)")
        }
    }

    @Test func aTotalCountBelowWhatComesEndsTheListingAtTheTotal() async throws {
        try await ScriptedHTTPServer.with(script: { request in
            Self.backupsPage(offset: Int(request.query["offset"] ?? "0") ?? 0, count: 100, total: "150")
        }) { server in
            let (client, transport) = try Self.client(for: server, route: .listBackups)
            let backups = try await client.listBackups(BackupQuery(instanceID: Self.instanceID))
            try await transport.shutdown()
            #expect(backups.count == 200)
            #expect(Set(backups.map(\.id)).count == 200)
            #expect(server.requests.count == 2)
        }
    }

    @Test(arguments: ["-1", "0", "null"])
    func anAbsurdTotalCountStillEndsAtTheFirstShortPage(_ total: String) async throws {
        try await ScriptedHTTPServer.with(script: { request in
            let offset = Int(request.query["offset"] ?? "0") ?? 0
            return Self.backupsPage(offset: offset, count: offset < 200 ? 100 : 7, total: total)
        }) { server in
            let (client, transport) = try Self.client(for: server, route: .listBackups)
            let backups = try await client.listBackups(BackupQuery(instanceID: Self.instanceID))
            try await transport.shutdown()
            #expect(backups.count == (total == "null" ? 207 : 100), "a total at or below the offset ends the listing")
        }
    }
}
