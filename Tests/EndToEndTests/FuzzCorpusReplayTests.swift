import BackupScheduler
import Foundation
import RDSClient
import RDSTestSupport
import Testing

/// Every file of the checked-in fuzz corpora (Fuzz/corpus/<target>/, including the regressions the
/// fuzzers found) replayed through the same calls and invariants as the libFuzzer targets, so a
/// plain `swift test` guards them without a fuzzing toolchain. scripts/fuzz.sh explores further.
@Suite struct FuzzCorpusReplayTests {
    static let corpus = BinaryRunner.packageRoot.appendingPathComponent("Fuzz/corpus")

    static func files(_ target: String) throws -> [URL] {
        let directory = corpus.appendingPathComponent(target)
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test func scheduleCorpusParsesOrIsRejectedWithLinesInsideTheFile() throws {
        let files = try Self.files("schedule")
        #expect(files.count >= 5)
        let now = Date(timeIntervalSince1970: 1_767_225_600)
        var accepted = 0
        for file in files {
            guard let yaml = String(data: try Data(contentsOf: file), encoding: .utf8) else { continue }
            let lines = YAMLLines.count(yaml)
            do {
                let schedule = try Schedule.parse(yaml: yaml, fileName: file.lastPathComponent, now: now)
                accepted += 1
                for entry in schedule.entries {
                    #expect(!SlotPlanner.upcoming(of: entry, after: now, count: 3).isEmpty || entry.paused, "\(file.lastPathComponent)")
                }
            } catch {
                #expect(!error.problems.isEmpty, "\(file.lastPathComponent)")
                for problem in error.problems {
                    #expect((1...lines + 1).contains(problem.line) && problem.column >= 1, "\(file.lastPathComponent): \(problem)")
                }
            }
        }
        #expect(accepted >= 2, "the valid seeds (demo, example, clouds) are accepted")
    }

    /// Found by fuzz-schedule (a libFuzzer timeout): the demo file with its entries pasted twice.
    /// NameCollisions.acrossEntries used to render a whole year of every-minute names (525,600 per
    /// entry) before reporting the clash the first slot already shows, so check-config (and a SIGHUP
    /// reload) took over a minute. It now walks both entries' slots together and stops at the clash.
    @Test func aCopyPastedEveryMinuteEntryIsRejectedWithinSeconds() async throws {
        let directory = TestScratch.path("rds-backupd-dup")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/schedule.yaml"
        try """
            cloud:
              region: eu-de
              project_id: 0483b6b16e954cb88930a360d2c4e663
              auth: env
            backups:
              - alias: orders
                instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01
                cron: "* * * * *"
              - alias: orders
                instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01
                cron: "* * * * *"
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let started = ContinuousClock.now
        // A bound on hanging, not a timing: what counts is that it is rejected, not killed.
        let output = try await BinaryRunner.run(["check-config", path], timeout: .seconds(40))
        let elapsed = ContinuousClock.now - started
        #expect(elapsed < .seconds(35), "check-config took \(elapsed) (killed after 40 s)")
        #expect(output.status == 1, "rejected, not killed: status \(output.status)")
        #expect((output.stderr + output.stdout).contains("schedule.yaml:9:"), "the duplicate is named by line")
    }

    @Test func apiResponseCorpusYieldsBoundedCleanErrorMessages() throws {
        for file in try Self.files("api-response") {
            let bytes = Array(try Data(contentsOf: file))
            for status in [400, 409, 500] {
                let parsed = APIErrorBody.parse(bytes, status: status)
                #expect(!parsed.message.isEmpty, "\(file.lastPathComponent)")
                #expect(parsed.message.count <= 501, "\(file.lastPathComponent)")
                for text in [parsed.message, parsed.code ?? "", parsed.requestID ?? ""] {
                    #expect(!text.unicodeScalars.contains { $0.properties.generalCategory == .control }, "\(file.lastPathComponent)")
                }
            }
            struct Page: Decodable { var backups: [Backup] }
            _ = try? JSONDecoder().decode(Page.self, from: Data(bytes))
            let text = String(decoding: bytes.prefix(256), as: UTF8.self)
            if let date = APITime.parse(text) { _ = APITime.formatQuery(date) }
            if let url = try? EndpointURL(text, purpose: "corpus") {
                #expect(url.scheme == "https" || EndpointURL.isLoopback(url.host), "\(file.lastPathComponent)")
            }
        }
    }

    @Test func nameTemplateCorpusRendersValidStableNames() throws {
        for file in try Self.files("name-template") {
            var bytes = Array(try Data(contentsOf: file))
            var seed: UInt64 = 0
            if bytes.count >= 8 {
                for byte in bytes.suffix(8) { seed = seed << 8 | UInt64(byte) }
                bytes.removeLast(8)
            }
            let fields = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            func field(_ index: Int) -> String? { index < fields.count ? fields[index] : nil }
            guard let source = field(0), let template = try? NameTemplate(source) else { continue }
            let context = NameContext(
                alias: field(1) ?? "orders", instanceID: field(2) ?? SimulatorFixture.orders, instanceName: field(3), engine: field(4))
            let slot = Date(timeIntervalSince1970: Double(seed % 253_402_300_800))
            let zone = TimeZone(identifier: "Europe/Berlin")!
            let name = template.render(slot: slot, context: context, timeZone: zone)
            #expect((try? BackupName(name.value)) != nil, "\(file.lastPathComponent): \(name.value)")
            #expect(template.render(slot: slot, context: context, timeZone: zone) == name)
        }
    }
}
