import Foundation
import RDSClient
import Testing

/// Signatures computed by Huawei's Python SDK signer for fixed inputs (docs/rds-api.md §7.2), verbatim.
@Suite struct SDKSignerTests {
    static let emptyBodyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    @Test func vectorAMatchesHuaweiPythonSDK() {
        let headers = [
            (name: "X-Sdk-Date", value: "20200608T023900Z"),
            (name: "Host", value: "service.endpoint.myhuaweicloud.com"),
        ]
        let canonical = SDKSigner.canonicalRequest(
            method: "GET", path: "/resources", query: [(name: "size", value: "1")], headers: headers, body: [])
        #expect(
            canonical == [
                "GET", "/resources/", "size=1", "host:service.endpoint.myhuaweicloud.com",
                "x-sdk-date:20200608T023900Z", "", "host;x-sdk-date", Self.emptyBodyHash,
            ].joined(separator: "\n"))
        #expect(sha256Hex(canonical) == "de94dd1e1ccdb730b403ce35d7e14f7c7b04337f6def1c3a3a2ba936852b133f")

        let signer = SDKSigner(accessKey: "my ak", secretKey: Secret("my sk"))
        let out = signer.sign(
            method: "GET", path: "/resources", query: [(name: "size", value: "1")], headers: headers, body: [],
            date: Date(timeIntervalSince1970: 0))
        #expect(out.count == 1, "X-Sdk-Date was given, so only Authorization is added")
        #expect(
            authorization(out)
                == "SDK-HMAC-SHA256 Access=my ak, SignedHeaders=host;x-sdk-date, Signature=6d5bc610d3d4475346aae5cd7ed8d99585e60c0430a1d3d6e2f54e2bdd633701"
        )
    }

    @Test func vectorBSignsOnlyTheGivenHeaders() {
        let signer = SDKSigner(accessKey: "AccessKey", secretKey: Secret("SecretKey"))
        let out = signer.sign(
            method: "GET", path: "/path", query: [(name: "limit", value: "1")],
            headers: [(name: "x-sdk-date", value: "20060102T150405Z")], body: [], date: Date())
        #expect(
            authorization(out)
                == "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624"
        )
    }

    @Test func vectorCHashesTheBodyWithItsTrailingNewline() {
        let signer = SDKSigner(accessKey: "AccessKey", secretKey: Secret("SecretKey"))
        let out = signer.sign(
            method: "POST", path: "/path", query: [(name: "key", value: "value")],
            headers: [(name: "x-sdk-date", value: "20060102T150405Z")],
            body: Array("{\"Name\":\"test\",\"Id\":1}\n".utf8), date: Date())
        #expect(
            authorization(out)
                == "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59"
        )
    }

    @Test func vectorDMatchesTheSigningGuideExample() {
        let query = [(name: "limit", value: "2"), (name: "marker", value: "13551d6b-755d-4757-b956-536f674975c0")]
        let headers = [
            (name: "Content-Type", value: "application/json"),
            (name: "Host", value: "service.region.example.com"),
            (name: "X-Sdk-Date", value: "20191115T033655Z"),
        ]
        let path = "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs"
        let canonical = SDKSigner.canonicalRequest(method: "GET", path: path, query: query, headers: headers, body: [])
        #expect(sha256Hex(canonical) == "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a")
        let signer = SDKSigner(accessKey: "QTWAOYTTINDUT2QVKYUC", secretKey: Secret("MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc"))
        let out = signer.sign(method: "GET", path: path, query: query, headers: headers, body: [], date: Date())
        #expect(
            authorization(out)
                == "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"
        )
    }

    static let projectID = "0483b6b16e954cb88930a360d2c4e663"
    static let rdsSigner = SDKSigner(accessKey: "AKEXAMPLE0000000", secretKey: Secret("SKEXAMPLE000000000000000000000000000000"))

    @Test func vectorECreateBackupRequest() {
        let body = Array(#"{"instance_id":"d8e6ca5a624745bcb546a227aa3ae1cfin01","name":"bk_test_0001"}"#.utf8)
        #expect(sha256Hex(body) == "170f2b8c76a01d51daaf37aad777ec66dbeba3190e97818bd3f8466263a88290")
        let out = Self.rdsSigner.sign(
            method: "POST", path: "/v3/\(Self.projectID)/backups", query: [],
            headers: [
                (name: "Content-Type", value: "application/json"),
                (name: "Host", value: "rds.eu-de.otc.t-systems.com"),
                (name: "X-Project-Id", value: Self.projectID),
            ],
            body: body, date: Date(timeIntervalSince1970: 1_704_067_200))  // 2024-01-01T00:00:00Z
        #expect(out.first { $0.name == "X-Sdk-Date" }?.value == "20240101T000000Z", "X-Sdk-Date is added from date")
        #expect(
            authorization(out)
                == "SDK-HMAC-SHA256 Access=AKEXAMPLE0000000, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=e1bb872c608f7fae075888be235c2278c707111e62d0b81a0cc002f73a774459"
        )
    }

    @Test func vectorFListBackupsWithEncodedTimeOffsets() {
        let query = [
            (name: "instance_id", value: "d8e6ca5a624745bcb546a227aa3ae1cfin01"),
            (name: "backup_type", value: "manual"),
            (name: "begin_time", value: "2024-01-01T00:00:00+0000"),
            (name: "end_time", value: "2024-01-02T00:00:00+0000"),
            (name: "limit", value: "100"),
            (name: "offset", value: "0"),
        ]
        #expect(
            SDKSigner.canonicalQuery(query)
                == "backup_type=manual&begin_time=2024-01-01T00%3A00%3A00%2B0000&end_time=2024-01-02T00%3A00%3A00%2B0000&instance_id=d8e6ca5a624745bcb546a227aa3ae1cfin01&limit=100&offset=0"
        )
        let out = Self.rdsSigner.sign(
            method: "GET", path: "/v3/\(Self.projectID)/backups", query: query,
            headers: [
                (name: "Host", value: "rds.eu-de.otc.t-systems.com"),
                (name: "X-Project-Id", value: Self.projectID),
                (name: "X-Sdk-Date", value: "20240101T000000Z"),
            ],
            body: [], date: Date())
        #expect(
            authorization(out)
                == "SDK-HMAC-SHA256 Access=AKEXAMPLE0000000, SignedHeaders=host;x-project-id;x-sdk-date, Signature=510add334099b63b34468569b566850e5e123eafbdf31df7ffd4746f0d472186"
        )
    }

    @Test func percentEncodingKeepsOnlyUnreservedCharacters() {
        #expect(SDKSigner.percentEncode("aZ09-_.~") == "aZ09-_.~")
        #expect(SDKSigner.percentEncode("a b+c:d/é") == "a%20b%2Bc%3Ad%2F%C3%A9")
        #expect(SDKSigner.canonicalQuery([]) == "")
        #expect(SDKSigner.canonicalQuery([(name: "b", value: "2"), (name: "a", value: "y"), (name: "a", value: "x")]) == "a=x&a=y&b=2")
    }

    @Test func alreadyEncodedPathSegmentsAreNotEncodedTwice() {
        let plain = SDKSigner.canonicalRequest(method: "get", path: "/a b/c", query: [], headers: [], body: [])
        let encoded = SDKSigner.canonicalRequest(method: "GET", path: "/a%20b/c/", query: [], headers: [], body: [])
        #expect(plain == encoded)
        #expect(plain.hasPrefix("GET\n/a%20b/c/\n"))
    }

    @Test func secretKeyNeverAppearsInHeadersOrDescriptions() {
        let sk = "SKEXAMPLE000000000000000000000000000000"
        let out = Self.rdsSigner.sign(
            method: "GET", path: "/", query: [], headers: [(name: "Host", value: "h")], body: [], date: Date())
        #expect(!out.contains { $0.value.contains(sk) })
        #expect(!String(describing: Self.rdsSigner).contains(sk))
        #expect(!String(reflecting: Self.rdsSigner).contains(sk))
        var dumped = ""
        dump(Self.rdsSigner, to: &dumped)
        #expect(!dumped.contains(sk))
        #expect(String(describing: Self.rdsSigner).contains("AKEXAMPLE0000000"))
    }
}

private func authorization(_ headers: [(name: String, value: String)]) -> String? {
    headers.first { $0.name == "Authorization" }?.value
}

private func sha256Hex(_ text: String) -> String { sha256Hex(Array(text.utf8)) }

private func sha256Hex(_ bytes: [UInt8]) -> String {
    // The test target has no Crypto product; the signer's own pieces give the hash through a
    // canonical request whose only variable part is the body hash line.
    let canonical = SDKSigner.canonicalRequest(method: "X", path: "/", query: [], headers: [], body: bytes)
    return String(canonical.split(separator: "\n", omittingEmptySubsequences: false).last!)
}
