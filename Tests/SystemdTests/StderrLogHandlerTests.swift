import Foundation
import Logging
import RDSClient
import Testing

@testable import Systemd

@Suite struct StderrLogHandlerTests {
    private let fixed = Date(timeIntervalSince1970: 1_795_946_400)  // 2026-11-29T10:00:00Z

    private func logger(_ collector: TextCollector) -> Logger {
        let now = fixed
        return Logger(label: "t") { StderrLogHandler(label: $0, now: { now }, write: collector.write) }
    }

    @Test func eventPrintsAsOneReadableLine() {
        let collector = TextCollector()
        logger(collector).warning("backup failed", metadata: [
            "MESSAGE_ID": "c8ba84c836b94c11b97f4c47bf27d6a8", "RDS_ERROR_CODE": "DBS.201205",
            "RDS_INSTANCE_ID": "abc123in03", "RDS_ENTRY": "orders",
        ])
        #expect(collector.lines == [
            "2026-11-29T10:00:00Z warning backup failed entry=orders instance=abc123in03 code=DBS.201205",
        ])
    }

    @Test func valuesWithBlanksOrNewlinesAreQuotedOnOneLine() {
        let collector = TextCollector()
        logger(collector).error("request failed\nsecond line", metadata: ["RDS_REQUEST_ID": "r 1", "detail": "a\nb"])
        #expect(collector.lines == [
            #"2026-11-29T10:00:00Z error request failed\nsecond line request_id="r 1" detail="a\nb""#,
        ])
    }

    @Test func secretInMetadataPrintsRedacted() {
        let collector = TextCollector()
        logger(collector).error("auth failed", metadata: [
            "password": .stringConvertible(Secret("hunter2-secret")),
            "token": .stringConvertible(RedactedStandIn(value: "tok-123")),
        ])
        #expect(collector.lines == ["2026-11-29T10:00:00Z error auth failed password=<redacted> token=<redacted>"])
    }
}
