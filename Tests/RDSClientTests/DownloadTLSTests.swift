import Foundation
import NIOCore
import RDSClient
import Testing

/// Downloads (`HTTPTransport.stream`, offsite copies) verify TLS like the API calls: an untrusted
/// storage is refused as a certificate problem, the operator's CA is trusted, and no error
/// carries the link's query.
@Suite(.serialized) struct DownloadTLSTests {
    static func transport(caBundle: String? = nil) throws -> HTTPTransport {
        var configuration = HTTPTransport.Configuration()
        configuration.caBundlePath = caBundle
        configuration.connectTimeout = .seconds(3)
        configuration.requestTimeout = .seconds(10)
        return try HTTPTransport(configuration: configuration, environment: [:])
    }

    @Test func anUntrustedStorageIsRefusedAndTheErrorHoldsNoSignature() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let tls = try certificates.serverTLS(certificate: certificates.selfSignedPEM, key: certificates.selfSignedKey)
        try await ScriptedHTTPServer.with(tls: tls, script: { _ in .json(200, "{}") }) { server in
            let transport = try Self.transport()
            let url = "https://localhost:\(server.port)/bucket/file.qp?AccessKeyId=AK&Signature=SECRETSIG"
            do {
                _ = try await transport.stream(url: url, headers: [], deadline: .seconds(10))
                Issue.record("the self-signed storage was accepted")
            } catch let error as TransportFailure {
                #expect(error.isCertificateProblem, "\(error)")
                #expect(!error.message.contains("SECRETSIG"))
            } catch {
                Issue.record("not a transport failure: \(error)")
            }
            #expect(server.requests.isEmpty)
            try await transport.shutdown()
        }
    }

    @Test func theOperatorsCAIsTrustedForDownloads() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let tls = try certificates.serverTLS(certificate: certificates.serverPEM, key: certificates.serverKey)
        try await ScriptedHTTPServer.with(tls: tls, script: { _ in .json(200, #"{"ok":true}"#) }) { server in
            let transport = try Self.transport(caBundle: certificates.caPEM)
            let response = try await transport.stream(
                url: "https://localhost:\(server.port)/bucket/file.qp?Signature=S", headers: [], deadline: .seconds(10))
            #expect(response.status == 200)
            var body = try await response.body.collect(upTo: 1024)
            #expect(body.readString(length: body.readableBytes) == #"{"ok":true}"#)
            try await transport.shutdown()
        }
    }
}
