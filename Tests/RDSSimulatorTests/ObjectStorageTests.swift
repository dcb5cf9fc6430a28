import AsyncHTTPClient
import Foundation
import NIOCore
import RDSSimulator
import Testing

/// The simulated object storage behind `backup-files` links: signed, expiring links, `Range`,
/// deterministic content, counted bytes.
@Suite struct ObjectStorageTests {
    func withStorage(_ body: (SimulatedObjectStorage, HTTPClient) async throws -> Void) async throws {
        let storage = SimulatedObjectStorage(clock: SimulatorClock(start: Date(timeIntervalSince1970: 1_800_000_000)))
        try await storage.start()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await body(storage, client)
        } catch {
            try? await client.shutdown()
            try? await storage.shutdown()
            throw error
        }
        try await client.shutdown()
        try await storage.shutdown()
    }

    func get(_ client: HTTPClient, _ url: String, range: String? = nil) async throws -> (status: Int, headers: [String: String], body: [UInt8]) {
        var request = HTTPClientRequest(url: url)
        if let range { request.headers.add(name: "Range", value: range) }
        let response = try await client.execute(request, timeout: .seconds(30))
        var body = try await response.body.collect(upTo: 64 * 1024 * 1024)
        var headers: [String: String] = [:]
        for header in response.headers { headers[header.name.lowercased()] = header.value }
        return (Int(response.status.code), headers, body.readBytes(length: body.readableBytes) ?? [])
    }

    @Test func aLinkServesTheObjectWholeOrFromAnOffset() async throws {
        try await withStorage { storage, client in
            let object = storage.put(key: "inst/backup/file.qp", size: 300_001)
            let link = storage.link(key: "inst/backup/file.qp")
            let whole = try await get(client, link.url)
            #expect(whole.status == 200)
            #expect(whole.body == object.content.bytes(0..<300_001))
            #expect(whole.headers["etag"] == object.etag)
            #expect(object.etag.count == 34, "an MD5 in quotes")
            let tail = try await get(client, link.url, range: "bytes=100000-")
            #expect(tail.status == 206)
            #expect(tail.headers["content-range"] == "bytes 100000-300000/300001")
            #expect(tail.body == object.content.bytes(100_000..<300_001))
            #expect(storage.bodyBytesServed == 300_001 + 200_001)
            #expect(try await get(client, link.url, range: "bytes=300001-").status == 416)
        }
    }

    @Test func expiredAndForgedLinksAreRefused() async throws {
        try await withStorage { storage, client in
            storage.linkLifetime = 60
            storage.put(key: "k", size: 10)
            let link = storage.link(key: "k")
            #expect(link.expiresAt == storage.clock.now().addingTimeInterval(60))
            #expect(try await get(client, link.url).status == 200)
            let forged = link.url.replacingOccurrences(of: "Signature=", with: "Signature=0")
            let refused = try await get(client, forged)
            #expect(refused.status == 403)
            #expect(String(decoding: refused.body, as: UTF8.self).contains("SignatureDoesNotMatch"))
            storage.clock.advance(by: 61)
            let expired = try await get(client, link.url)
            #expect(expired.status == 403)
            #expect(String(decoding: expired.body, as: UTF8.self).contains("Request has expired"))
            #expect(try await get(client, storage.link(key: "k").url).status == 200, "a fresh link works")
        }
    }

    @Test func largeObjectsGetAMultipartTagAndContentIsAFunctionOfKeyAndOffset() {
        let storage = SimulatedObjectStorage()
        storage.md5ETagLimit = 1000
        let object = storage.put(key: "big", size: 5000)
        #expect(object.etag.contains("-"))
        #expect(object.content.bytes(1234..<1300) == Array(object.content.bytes(0..<5000)[1234..<1300]))
        #expect(storage.put(key: "big", size: 1) == object, "put keeps what is stored")
        #expect(DeterministicContent(seed: 1, size: 64).bytes(0..<64) != DeterministicContent(seed: 2, size: 64).bytes(0..<64))
    }
}
