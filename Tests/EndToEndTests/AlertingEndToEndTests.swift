import Foundation
import RDSClient
import RDSTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `rds-backupd run` with `metrics:` as an operator runs it: the textfile is written before
/// READY=1 is long past, the loopback listener serves the same series, SIGTERM closes both cleanly.
@Suite struct AlertingEndToEndTests {
    /// A port nobody listens on right now (bound and released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test func runExportsMetricsToTheTextfileAndTheLoopbackListenerAndStopsCleanly() async throws {
        let directory = TestScratch.path("rds-metrics-e2e")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = try Self.freePort()
        let textfile = directory + "/rds_backupd.prom"
        let demo = try String(contentsOf: BinaryRunner.packageRoot.appendingPathComponent("config/demo.yaml"), encoding: .utf8)
        let schedule = directory + "/schedule.yaml"
        try (demo + "\nmetrics:\n  textfile: \(textfile)\n  listen: 127.0.0.1:\(port)\n").write(toFile: schedule, atomically: true, encoding: .utf8)

        let listener = try DatagramListener()
        let service = try RunningBinary(
            ["run", "--simulate", "--schedule", schedule, "--state-dir", directory + "/state"],
            environment: ["NOTIFY_SOCKET": listener.address])
        let ready = await listener.collect(until: { $0.contains { $0.hasPrefix("READY=1") } }, timeout: .seconds(30))
        #expect(ready.first?.hasPrefix("READY=1") == true, "\(service.stderr)")

        // The textfile appears at start and is rewritten once the scheduler queued the next slots.
        // The completed count is primed (0 at start) but may already be 1: the demo's entries run
        // every minute, so a slot can complete before the file is read on a loaded machine.
        let expected = try ["orders", "analytics", "payroll"].flatMap { alias in
            try [
                #"rds_backupd_slots_total\{entry="\#(alias)",outcome="completed"\} [0-9]+\n"#,
                #"rds_backupd_next_slot_timestamp_seconds\{entry="\#(alias)"\} "#,
            ].map { try Regex($0) }
        }
        let deadline = ContinuousClock.now + .seconds(10)
        var text = ""
        while ContinuousClock.now < deadline {
            text = (try? String(contentsOfFile: textfile, encoding: .utf8)) ?? ""
            if expected.allSatisfy({ text.contains($0) }) { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        for pattern in expected { #expect(text.contains(pattern), "\(text)") }
        #expect(text.contains("# TYPE rds_backupd_backups_failed_total counter"))

        var quick = HTTPTransport.Configuration()
        quick.connectTimeout = .milliseconds(500)
        let transport = try HTTPTransport(configuration: quick, environment: [:])
        let response = try await transport.send(HTTPRequestSpec(method: .GET, url: "http://127.0.0.1:\(port)/metrics", headers: []))
        let served = String(decoding: response.body, as: UTF8.self)
        #expect(response.status == 200)
        #expect(served.contains("rds_backupd_slots_total{entry=\"orders\",outcome=\"completed\"}"))
        #expect(served.contains("# TYPE rds_backupd_api_request_duration_seconds histogram") || served.contains("rds_backupd_next_slot_timestamp_seconds{entry=\"payroll\"}"))

        service.kill(SIGTERM)
        #expect(await service.waitForExit() == 0, "\(service.stderr)")
        await #expect(throws: TransportFailure.self) {
            _ = try await transport.send(HTTPRequestSpec(method: .GET, url: "http://127.0.0.1:\(port)/metrics", headers: []))
        }
        try await transport.shutdown()
        #expect(FileManager.default.fileExists(atPath: textfile))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".tmp") }.isEmpty)
    }

    @Test func aNonLoopbackListenAddressIsRefusedAtLoadWithLineAndColumn() async throws {
        let directory = TestScratch.path("rds-metrics-e2e")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let demo = try String(contentsOf: BinaryRunner.packageRoot.appendingPathComponent("config/demo.yaml"), encoding: .utf8)
        let schedule = directory + "/schedule.yaml"
        try (demo + "\nmetrics:\n  listen: 0.0.0.0:9468\n").write(toFile: schedule, atomically: true, encoding: .utf8)
        let lines = demo.split(separator: "\n", omittingEmptySubsequences: false).count
        let output = try await BinaryRunner.run(["check-config", schedule], environment: [:])
        #expect(output.status == 1)
        #expect(output.stdout.contains("schedule.yaml:\(lines + 2):11: metrics.listen: '0.0.0.0:9468' is not allowed") || output.stderr.contains("schedule.yaml:\(lines + 2):11: metrics.listen"), "\(output.stdout)\(output.stderr)")
    }
}
