import BackupScheduler
import Foundation
import RDSSimulator
import RDSTestSupport
import Testing

@testable import RDSClient

/// A bounded, seeded mutation run of each libFuzzer target's entry points inside `swift test`
/// (`make fuzz` builds the real fuzzers, about 14 minutes: too slow for CI). The checked-in seed
/// corpora (Fuzz/corpus/<target>/) are mutated with byte flips, random bytes, deletions,
/// duplications, truncations, splices of two seeds and insertions of Fuzz/dict tokens; each
/// mutant goes through the same calls and invariants as the fuzz target. A failure names the
/// seed and iteration: `RDS_FUZZ_SEED=<seed> RDS_FUZZ_ITERATIONS=<n>` replays and extends it.
@Suite struct BoundedFuzzTests {
    static let root = BinaryRunner.packageRoot.appendingPathComponent("Fuzz")

    static var seed: UInt64 { ProcessInfo.processInfo.environment["RDS_FUZZ_SEED"].flatMap(UInt64.init) ?? 0x5EED_F022 }
    static func iterations(_ standard: Int) -> Int {
        ProcessInfo.processInfo.environment["RDS_FUZZ_ITERATIONS"].flatMap(Int.init) ?? standard
    }

    static func seeds(_ target: String) throws -> [[UInt8]] {
        let directory = root.appendingPathComponent("corpus/" + target)
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
            .map { Array(try Data(contentsOf: $0)) }
    }

    /// The quoted tokens of a libFuzzer dictionary (`"text"` lines, with \" and \\ escapes).
    static func dictionary(_ name: String) throws -> [[UInt8]] {
        let text = try String(contentsOf: root.appendingPathComponent("dict/" + name), encoding: .utf8)
        return text.split(separator: "\n").compactMap { line -> [UInt8]? in
            guard let open = line.firstIndex(of: "\""), let close = line.lastIndex(of: "\""), open < close,
                !line.hasPrefix("#")
            else { return nil }
            var token: [UInt8] = []
            var escaped = false
            for byte in line[line.index(after: open)..<close].utf8 {
                if escaped || byte != UInt8(ascii: "\\") {
                    token.append(byte)
                    escaped = false
                } else {
                    escaped = true
                }
            }
            return token
        }
    }

    /// libFuzzer-style mutations, reproducible from the generator's seed.
    struct Mutator {
        var random: SplitMix64
        let seeds: [[UInt8]]
        let tokens: [[UInt8]]
        var maxSize = 8_192

        mutating func int(_ bound: Int) -> Int { bound <= 0 ? 0 : Int(random.next() % UInt64(bound)) }

        /// A seed with one to four stacked mutations.
        mutating func next() -> [UInt8] {
            var bytes = seeds[int(seeds.count)]
            for _ in 0...int(4) { mutate(&bytes) }
            if bytes.count > maxSize { bytes.removeLast(bytes.count - maxSize) }
            return bytes
        }

        mutating func mutate(_ bytes: inout [UInt8]) {
            let position = int(bytes.count + 1)
            switch int(9) {
            case 0 where !bytes.isEmpty:  // flip a bit
                let index = int(bytes.count)
                bytes[index] ^= 1 << UInt8(int(8))
            case 1 where !bytes.isEmpty:  // a random byte (often a structural one)
                let special: [UInt8] = [0, 9, 10, 13, 32, 34, 35, 38, 39, 42, 44, 45, 58, 91, 93, 123, 125, 0x7F, 0xC3, 0xFF]
                bytes[int(bytes.count)] = int(2) == 0 ? special[int(special.count)] : UInt8(truncatingIfNeeded: random.next())
            case 2 where !bytes.isEmpty:  // delete a range
                let start = int(bytes.count)
                bytes.removeSubrange(start..<min(bytes.count, start + 1 + int(16)))
            case 3 where !bytes.isEmpty:  // duplicate a range in place
                let start = int(bytes.count)
                let slice = bytes[start..<min(bytes.count, start + 1 + int(64))]
                bytes.insert(contentsOf: slice, at: int(bytes.count + 1))
            case 4:  // truncate
                bytes = Array(bytes.prefix(position))
            case 5:  // splice with another seed
                let other = seeds[int(seeds.count)]
                let cut = int(other.count + 1)
                bytes = Array(bytes.prefix(position)) + Array(other.suffix(from: cut))
            case 6 where !tokens.isEmpty, 7 where !tokens.isEmpty:  // insert a dictionary token
                bytes.insert(contentsOf: tokens[int(tokens.count)], at: position)
            case 8 where !tokens.isEmpty && !bytes.isEmpty:  // overwrite with a dictionary token
                let token = tokens[int(tokens.count)]
                let start = int(bytes.count)
                bytes.replaceSubrange(start..<min(bytes.count, start + token.count), with: token)
            default:  // random bytes
                bytes.insert(contentsOf: (0...int(8)).map { _ in UInt8(truncatingIfNeeded: random.next()) }, at: position)
            }
        }
    }

    /// Records the first failing input (hex) and stops after a few, so a finding is readable.
    final class Findings {
        var count = 0
        func record(_ what: String, iteration: Int, input: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
            count += 1
            guard count <= 3 else { return }
            let hex = input.prefix(2_048).map { String(format: "%02x", $0) }.joined()
            Issue.record(
                "\(what) at iteration \(iteration) (RDS_FUZZ_SEED=\(BoundedFuzzTests.seed)); input (\(input.count) bytes, hex): \(hex)",
                sourceLocation: sourceLocation)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func mutatedSchedulesParseOrAreRejectedWithEveryProblemOnALineOfTheFile() throws {
        var mutator = Mutator(random: SplitMix64(seed: Self.seed), seeds: try Self.seeds("schedule"), tokens: try Self.dictionary("schedule.dict"))
        mutator.maxSize = 4_096
        let now = Date(timeIntervalSince1970: 1_767_225_600)
        let findings = Findings()
        var accepted = 0
        var rejected = 0
        let started = ContinuousClock.now
        for iteration in 0..<Self.iterations(1_200) {
            let input = mutator.next()
            guard let yaml = String(bytes: input, encoding: .utf8) else { continue }
            let lines = YAMLLines.count(yaml)
            do {
                let schedule = try Schedule.parse(yaml: yaml, fileName: "fuzz.yaml", now: now)
                accepted += 1
                for entry in schedule.entries {
                    for planned in SlotPlanner.upcoming(of: entry, after: now, count: 3) where planned.name.value.utf8.count > 64 {
                        findings.record("rendered name too long: \(planned.name.value)", iteration: iteration, input: input)
                    }
                }
            } catch {
                rejected += 1
                if error.problems.isEmpty { findings.record("rejected without a problem", iteration: iteration, input: input) }
                for problem in error.problems where !(1...lines + 1).contains(problem.line) || problem.column < 1 {
                    findings.record("problem outside the file (\(lines) lines): \(problem)", iteration: iteration, input: input)
                }
            }
        }
        #expect(findings.count == 0)
        #expect(accepted > 0 && rejected > 0, "the mutants reach both sides: \(accepted) accepted, \(rejected) rejected")
        print("BoundedFuzzTests schedule: \(accepted) accepted, \(rejected) rejected in \(ContinuousClock.now - started)")
    }

    @Test(.timeLimit(.minutes(1)))
    func mutatedAPIAnswersYieldBoundedCleanErrorsAndNeverCrashTheDecoders() throws {
        var mutator = Mutator(
            random: SplitMix64(seed: Self.seed &+ 1), seeds: try Self.seeds("api-response"), tokens: try Self.dictionary("api-response.dict"))
        let findings = Findings()
        let decoder = JSONDecoder()
        struct BackupEnvelope: Decodable { var backup: Backup }
        struct BackupPage: Decodable { var backups: [Backup]; var total_count: Int? }
        struct InstancePage: Decodable { var instances: [Instance]; var total_count: Int? }
        var decoded = 0
        let started = ContinuousClock.now
        for iteration in 0..<Self.iterations(2_000) {
            let bytes = mutator.next()
            for status in [400, 409, 500] {
                let parsed = APIErrorBody.parse(bytes, status: status)
                if parsed.message.isEmpty { findings.record("empty message", iteration: iteration, input: bytes) }
                if parsed.message.count > APIErrorBody.maxMessage + 1 {
                    findings.record("message of \(parsed.message.count) characters", iteration: iteration, input: bytes)
                }
                if (parsed.code?.count ?? 0) > APIErrorBody.maxCode + 1 || (parsed.requestID?.count ?? 0) > APIErrorBody.maxRequestID + 1 {
                    findings.record("code or request id too long", iteration: iteration, input: bytes)
                }
                for text in [parsed.message, parsed.code ?? "", parsed.requestID ?? ""]
                where text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                    findings.record("control character kept: \(text.debugDescription)", iteration: iteration, input: bytes)
                }
                _ = ErrorClassifier.classify(status: status, code: parsed.code, message: parsed.message)
            }
            let body = Data(bytes)
            if let envelope = try? decoder.decode(BackupEnvelope.self, from: body) {
                decoded += 1
                _ = "\(envelope.backup.name) \(envelope.backup.type) \(envelope.backup.sizeKB ?? 0) \(envelope.backup.status.isFinal)"
            }
            if let page = try? decoder.decode(InstancePage.self, from: body) { _ = page.instances.map { ($0.isActive, $0.engine) } }
            do {
                decoded += try decoder.decode(BackupPage.self, from: body).backups.isEmpty ? 0 : 1
            } catch {
                let described = DecodingFailure.describe(error)
                if described.isEmpty || described.count >= 4_000 {
                    findings.record("decoding failure description of \(described.count) characters", iteration: iteration, input: bytes)
                }
            }
            let text = String(decoding: bytes.prefix(256), as: UTF8.self)
            if let date = APITime.parse(text) { _ = APITime.formatQuery(date) }
            _ = RetryAfter.parse(text, now: Date(timeIntervalSince1970: 1_767_225_600))
            if let url = try? EndpointURL(text, purpose: "fuzz"), url.scheme != "https", !EndpointURL.isLoopback(url.host) {
                findings.record("plain http accepted for \(url.host)", iteration: iteration, input: bytes)
            }
        }
        #expect(findings.count == 0)
        #expect(decoded > 0, "some mutants still decode, so the decoders' insides are reached")
        print("BoundedFuzzTests api-response: \(decoded) decoded in \(ContinuousClock.now - started)")
    }

    @Test(.timeLimit(.minutes(1)))
    func mutatedNameTemplatesRenderValidStableNamesOrAreRefusedWithAMessage() throws {
        let zones = ["UTC", "Europe/Berlin", "America/St_Johns", "Asia/Kolkata", "Pacific/Chatham", "Australia/Lord_Howe", "Pacific/Kiritimati"]
            .compactMap { TimeZone(identifier: $0) }
        let tokens = ["{alias}", "{instance_id}", "{instance_name}", "{engine}", "{slot:", "{slot_utc:", "%Y", "%m", "%d", "%H", "%M", "%S", "%j", "%%", "}", "{", "\u{0}"]
            .map { Array($0.utf8) }
        var mutator = Mutator(random: SplitMix64(seed: Self.seed &+ 2), seeds: try Self.seeds("name-template"), tokens: tokens)
        mutator.maxSize = 512
        let findings = Findings()
        var rendered = 0
        let started = ContinuousClock.now
        for iteration in 0..<Self.iterations(3_000) {
            var bytes = mutator.next()
            var seed: UInt64 = 0
            if bytes.count >= 8 {
                for byte in bytes.suffix(8) { seed = seed << 8 | UInt64(byte) }
                bytes.removeLast(8)
            }
            let fields = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            func field(_ index: Int) -> String? { index < fields.count ? fields[index] : nil }
            guard let source = field(0) else { continue }
            let template: NameTemplate
            do {
                template = try NameTemplate(source)
            } catch {
                if error.message.isEmpty { findings.record("refused without a message", iteration: iteration, input: bytes) }
                continue
            }
            let context = NameContext(
                alias: field(1) ?? "orders", instanceID: field(2) ?? SimulatorFixture.orders, instanceName: field(3), engine: field(4))
            let slot = Date(timeIntervalSince1970: Double(seed % 253_402_300_800))
            let zone = zones[Int(seed >> 59) % zones.count]
            let name = template.render(slot: slot, context: context, timeZone: zone)
            rendered += 1
            if (try? BackupName(name.value)) == nil { findings.record("invalid name \(name.value)", iteration: iteration, input: bytes) }
            if template.render(slot: slot, context: context, timeZone: zone) != name {
                findings.record("same slot, different name", iteration: iteration, input: bytes)
            }
        }
        #expect(findings.count == 0)
        #expect(rendered > 100, "mutants reach rendering: \(rendered)")
        print("BoundedFuzzTests name-template: \(rendered) rendered in \(ContinuousClock.now - started)")
    }
}
