import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RDSClient
import RDSSimulator
import Testing

/// A started simulator plus a raw HTTP client, shut down together at the end of every test.
struct SimulatorHarness {
    static let projectID = "0483b6b16e954cb88930a360d2c4e663"
    static let mysql = SimulatedInstance(
        id: "d8e6ca5a624745bcb546a227aa3ae1cfin01", name: "orders", engine: .mysql, version: "8.0", type: .ha)
    static let postgres = SimulatedInstance(
        id: "7a0e5f3c2b1d4e6f8a9b0c1d2e3f4a5bin03", name: "inventory", engine: .postgreSQL, version: "13")
    static let sqlServer = SimulatedInstance(
        id: "5e1c0c8f1d4a4b7e9b6a0f1e2d3c4b5ain04", name: "payroll", engine: .sqlServer, version: "2017_SE")
    static let replica = SimulatedInstance(
        id: "c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8in01", name: "orders-replica", engine: .mysql, version: "8.0",
        type: .replica)

    let simulator: RDSSimulator
    let client: HTTPClient
    var clock: SimulatorClock { simulator.clock }
    var backupsPath: String { "/v3/\(Self.projectID)/backups" }
    var instancesPath: String { "/v3/\(Self.projectID)/instances" }

    /// Runs `body` against a fresh simulator with the four standard instances; always shuts both down.
    static func with(
        _ configure: ((inout SimulatorConfiguration) -> Void)? = nil,
        _ body: (SimulatorHarness) async throws -> Void
    ) async throws {
        var configuration = SimulatorConfiguration()
        configuration.instances = [mysql, postgres, sqlServer, replica]
        configure?(&configuration)
        let simulator = RDSSimulator(configuration: configuration, clock: SimulatorClock(start: Date(timeIntervalSince1970: 1_767_268_800)))
        try await simulator.start()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let harness = SimulatorHarness(simulator: simulator, client: client)
        do {
            try await body(harness)
        } catch {
            try? await client.shutdown()
            try? await simulator.shutdown()
            throw error
        }
        try await client.shutdown()
        try await simulator.shutdown()
    }

    struct Response {
        var status: Int
        var headers: [(name: String, value: String)]
        var body: [UInt8]

        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
        var text: String { String(decoding: body, as: UTF8.self) }
        /// The body as a JSON object (a test failure when it is not one).
        func json(sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
            let object = try JSONSerialization.jsonObject(with: Data(body))
            return try #require(object as? [String: Any], sourceLocation: sourceLocation)
        }
        var errorCode: String? { (try? json())?["error_code"] as? String }
    }

    /// Sends a request; `query` is encoded the way the signer canonicalises it (`+` as `%2B`).
    func send(
        _ method: HTTPMethod, _ path: String, query: [(name: String, value: String)] = [], rawQuery: String? = nil,
        headers: [(name: String, value: String)] = [], body: [UInt8]? = nil, timeout: TimeAmount = .seconds(10),
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Response {
        let queryString = rawQuery ?? SDKSigner.canonicalQuery(query)
        var request = HTTPClientRequest(url: simulator.endpoint + path + (queryString.isEmpty ? "" : "?" + queryString))
        request.method = method
        for header in headers { request.headers.add(name: header.name, value: header.value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(body)
        }
        let response = try await client.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 1 << 22)
        let result = Response(
            status: Int(response.status.code), headers: response.headers.map { (name: $0.name, value: $0.value) },
            body: Array(bytes.readableBytesView))
        // Every answer carries a request id (32 hex).
        #expect(result.header("X-Request-Id")?.count == 32, "no X-Request-Id", sourceLocation: sourceLocation)
        return result
    }

    /// The token request body of docs/rds-api.md §7.1.
    static func tokenBody(
        user: String = "backup-operator", password: String = "simulator-password",
        domain: String = "OTC00000000001000000001", scope: String = #"{"project":{"id":"0483b6b16e954cb88930a360d2c4e663"}}"#
    ) -> [UInt8] {
        Array(
            #"{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"\#(user)","password":"\#(password)","domain":{"name":"\#(domain)"}}}},"scope":\#(scope)}}"#
                .utf8)
    }

    /// A fresh project token.
    func token() async throws -> String {
        let response = try await send(.POST, "/v3/auth/tokens", body: Self.tokenBody())
        #expect(response.status == 201)
        return try #require(response.header("X-Subject-Token"))
    }

    /// An RDS call with a fresh token.
    func rds(
        _ method: HTTPMethod, _ path: String, query: [(name: String, value: String)] = [], json: String? = nil,
        token: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Response {
        let value: String
        if let token { value = token } else { value = try await self.token() }
        return try await send(
            method, path, query: query, headers: [(name: "X-Auth-Token", value: value)], body: json.map { Array($0.utf8) },
            sourceLocation: sourceLocation)
    }

    /// `POST /backups` with a flat body.
    func create(_ name: String, instance: String = mysql.id, extra: String = "", token: String? = nil) async throws -> Response {
        try await rds(.POST, backupsPath, json: #"{"instance_id":"\#(instance)","name":"\#(name)"\#(extra)}"#, token: token)
    }

    /// The backups of `GET /backups` as JSON objects.
    func listBackups(_ query: [(name: String, value: String)], token: String? = nil) async throws -> (Response, [[String: Any]]) {
        let response = try await rds(.GET, backupsPath, query: query, token: token)
        let backups = (try? response.json())?["backups"] as? [[String: Any]] ?? []
        return (response, backups)
    }
}
