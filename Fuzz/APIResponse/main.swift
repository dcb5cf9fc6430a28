// libFuzzer target: any bytes as an API answer body. Built and run by scripts/fuzz.sh.
//
// Invariants (a violation traps, and libFuzzer saves the input):
// - APIErrorBody.parse always yields a message that is non-empty, bounded and free of control
//   characters, whatever the body (JSON of any shape, HTML, invalid UTF-8, deep nesting);
// - the lenient models (Backup, Instance) decode or throw, never crash;
// - API time strings parse or not, never crash; a parsed time formats back without crashing;
// - the body's text as an endpoint URL is accepted with plain http only for a loopback host.
import Foundation
@testable import RDSClient

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAPIResponse(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    for status in [400, 409, 500] {
        let parsed = APIErrorBody.parse(bytes, status: status)
        precondition(!parsed.message.isEmpty, "empty message")
        precondition(parsed.message.count <= APIErrorBody.maxMessage + 1, "message of \(parsed.message.count) characters")
        precondition((parsed.code?.count ?? 0) <= APIErrorBody.maxCode + 1, "code too long")
        precondition((parsed.requestID?.count ?? 0) <= APIErrorBody.maxRequestID + 1, "request id too long")
        for text in [parsed.message, parsed.code ?? "", parsed.requestID ?? ""] {
            precondition(!text.unicodeScalars.contains { $0.properties.generalCategory == .control }, "control character kept: \(text.debugDescription)")
        }
        _ = ErrorClassifier.classify(status: status, code: parsed.code, message: parsed.message)
    }

    let body = Data(bytes)
    let decoder = JSONDecoder()
    struct BackupEnvelope: Decodable { var backup: Backup }
    struct BackupPage: Decodable { var backups: [Backup]; var total_count: Int? }
    struct InstancePage: Decodable { var instances: [Instance]; var total_count: Int? }
    if let envelope = try? decoder.decode(BackupEnvelope.self, from: body) {
        _ = envelope.backup.status.isFinal
        _ = "\(envelope.backup.name) \(envelope.backup.type) \(envelope.backup.sizeKB ?? 0)"
    }
    if let page = try? decoder.decode(BackupPage.self, from: body) { _ = page.backups.map(\.id) }
    if let page = try? decoder.decode(InstancePage.self, from: body) { _ = page.instances.map { ($0.isActive, $0.engine) } }
    do {
        _ = try decoder.decode(BackupPage.self, from: body)
    } catch {
        let described = DecodingFailure.describe(error)
        precondition(!described.isEmpty && described.count < 4_000, "decoding failure description of \(described.count) characters")
    }

    let text = String(decoding: bytes.prefix(256), as: UTF8.self)
    if let date = APITime.parse(text) {
        _ = APITime.formatQuery(date)
    }
    _ = RetryAfter.parse(text, now: Date(timeIntervalSince1970: 1_767_225_600))
    if let url = try? EndpointURL(text, purpose: "fuzz") {
        precondition(url.scheme == "https" || EndpointURL.isLoopback(url.host), "plain http accepted for \(url.host)")
        _ = url.description
    }
    return 0
}
