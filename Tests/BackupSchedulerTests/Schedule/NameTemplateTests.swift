import Foundation
import RDSClient
import Testing

@testable import BackupScheduler

struct NameTemplateTests {
    let berlin = T.zone("Europe/Berlin")
    let slot = T.date("2025-06-01T00:00:00Z")  // 02:00 in Berlin, a Sunday
    let context = NameContext(alias: "orders", instanceID: "d8e6ca5a624745bcb546a227aa3ae1cfin01")

    func render(_ template: String, _ context: NameContext? = nil) throws -> String {
        try NameTemplate(template).render(slot: slot, context: context ?? self.context, timeZone: berlin).value
    }

    @Test func theDefaultTemplateRendersAliasAndLocalSlotTime() throws {
        #expect(try render(NameTemplate.defaultSource) == "orders-20250601-0200")
    }

    @Test func everyTokenAndConversionRenders() throws {
        #expect(try render("{alias}_{slot:%y%m%d%H%M%S}_{slot:%j_%a_%b_%u}") == "orders_250601020000_152_Sun_Jun_7")
        #expect(try render("{instance_id}-{slot_utc:%Y%m%dT%H%MZ}") == "d8e6ca5a624745bcb546a227aa3ae1cfin01-20250601T0000Z")
        let online = NameContext(alias: "orders", instanceID: "x", instanceName: "orders-db", engine: "mysql")
        #expect(try render("{instance_name}-{engine}-{slot:%H%M}", online) == "orders-db-mysql-0200")
    }

    @Test func offlineInstanceNameAndEngineRenderAsPlaceholders() throws {
        #expect(try render("{engine}-{instance_name}-{slot:%H}") == "db-d8e6ca5a624745bcb546a227aa3ae1cfin01-02")
    }

    @Test func invalidCharactersFromVariablePartsBecomeDashesAndRunsCollapse() throws {
        let hostile = NameContext(alias: "orders", instanceID: "x", instanceName: "Orders DB.prod  (eu) ✓")
        #expect(try render("{instance_name}-{slot:%Y%m%d}", hostile) == "Orders-DB-prod-eu-20250601")
    }

    @Test func aNameThatStartsWithANonLetterGetsAPrefix() throws {
        #expect(try render("{slot:%Y%m%d}-{alias}") == "b-20250601-orders")
        let digits = NameContext(alias: "orders", instanceID: "x", instanceName: "1st")
        #expect(try render("{instance_name}{slot:%H%M}", digits) == "b-1st0200")
        let dash = NameContext(alias: "orders", instanceID: "x", instanceName: "--x")
        #expect(try render("{instance_name}{slot:%H%M}", dash) == "b-x0200")
    }

    @Test func aShortNameIsPaddedToFourCharacters() throws {
        #expect(try render("{alias}{slot:%u}", NameContext(alias: "a", instanceID: "x")) == "a7__")
    }

    @Test func anOverlongNameShortensItsVariablePartsAndKeepsTheSlotTime() throws {
        let long = NameContext(alias: "orders", instanceID: "x", instanceName: String(repeating: "n", count: 100))
        let name = try render("{alias}-{instance_name}-{slot:%Y%m%d-%H%M}", long)
        #expect(name.count == 64)
        #expect(name.hasPrefix("orders-nnnn"))
        #expect(name.hasSuffix("-20250601-0200"))
    }

    @Test(arguments: [
        ("{alias}-{slot:%Y%m%d}-{aliass}", "unknown token {aliass} (did you mean {alias}?)"),
        ("{alias}-{slot:%Y%m%Q}", "unknown conversion '%Q'"),
        ("{alias}.{slot:%Y%m%d}", "has '.' in its literal text"),
        ("{alias}-{slot:%H:%M}", "slot format '%H:%M' has ':'"),
        ("{alias}", "has no slot token"),
        ("{alias}-{slot}", "token {slot} needs a format"),
        ("{alias}-{slot:%Y", "is never closed"),
        ("{alias}}-{slot:%Y}", "'}' without a matching '{'"),
        ("{alias}-{slot:-}", "has no conversion"),
        (String(repeating: "x", count: 60) + "{slot:%Y%m%d}", "a backup name is at most 64 characters"),
    ])
    func badTemplatesAreRefusedAtLoadTime(_ template: String, _ fragment: String) {
        #expect {
            try NameTemplate(template)
        } throws: { error in
            (error as? TemplateError)?.message.contains(fragment) == true
        }
    }

    @Test func descriptionsRenderWithTheSameTokensAndStayValid() throws {
        let template = try DescriptionTemplate("backup of {alias} at {slot:%Y-%m-%d %H:%M} ({engine})")
        #expect(template.render(slot: slot, context: context, timeZone: berlin).value == "backup of orders at 2025-06-01 02:00 (db)")
        let hostile = NameContext(alias: "orders", instanceID: "x", instanceName: "a<b>&'c'\r\n" + String(repeating: "z", count: 400))
        let rendered = try DescriptionTemplate("{instance_name} {slot:%H%M}").render(slot: slot, context: hostile, timeZone: berlin)
        #expect(rendered.value.count == 256)
        #expect(rendered.value.hasPrefix("a-b---c--zzz"))  // CR LF is one character
        #expect(rendered.value.hasSuffix(" 0200"))
        #expect(throws: TemplateError.self) { try DescriptionTemplate("it's {alias}") }
    }

    @Test func hostileVariablesAlwaysRenderACompliantNameThatKeepsTheSlotTime() throws {
        var rng = SeededRandom(seed: 3)
        let alphabet: [Character] = Array("aZ09-_ .é✓🙂\t\r\n/\\'\"{}%$#@!~^&*()[]+=:;,<>?|`") + ["e\u{301}", "\u{0}"]
        let templates = [
            "{alias}-{slot:%Y%m%d-%H%M}", "{instance_name}-{slot:%Y%m%d-%H%M}", "{slot:%Y%m%d}-{instance_name}-{engine}",
            "{engine}{instance_name}{alias}{slot_utc:%H%M}", "{instance_name}{slot:%u}", "_{instance_name}_{slot:%j}",
        ].map { try! NameTemplate($0) }
        for _ in 0..<2_000 {
            func hostile() -> String {
                String((0..<Int.random(in: 0...120, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            }
            let context = NameContext(
                alias: "a" + String(hostile().filter { $0.isASCII && ($0.isLetter || $0.isNumber) }.prefix(31)),
                instanceID: "d8e6ca5a624745bcb546a227aa3ae1cfin01", instanceName: hostile(), engine: hostile())
            let template = templates.randomElement(using: &rng)!
            let slot = Date(timeIntervalSince1970: Double(Int.random(in: 1_600_000_000...1_900_000_000, using: &rng) / 60 * 60))
            let name = template.render(slot: slot, context: context, timeZone: berlin)
            // Re-validating proves compliance independently of the render's own steps.
            #expect((try? BackupName(name.value)) != nil)
            #expect(!name.value.contains("--"))
            let slotText = template.template.slotKey(slot: slot, timeZone: berlin).replacingOccurrences(of: "|", with: "")
            #expect(name.value.contains(slotText), "\(name) lost its slot time \(slotText)")
        }
    }
}

struct StableJitterTests {
    @Test func theOffsetDependsOnlyOnTheInstanceAndStaysWithinTheJitter() {
        let a = StableJitter.offset(instanceID: "d8e6ca5a624745bcb546a227aa3ae1cfin01", jitter: .seconds(300))
        #expect(a == StableJitter.offset(instanceID: "d8e6ca5a624745bcb546a227aa3ae1cfin01", jitter: .seconds(300)))
        #expect(a >= .zero && a < .seconds(300))
        #expect(StableJitter.offset(instanceID: "anything", jitter: .zero) == .zero)
        let offsets = Set((0..<50).map { StableJitter.offset(instanceID: "instance\($0)", jitter: .seconds(300)) })
        #expect(offsets.count > 30, "offsets should spread instances out")
    }

    @Test func theOffsetIsPinnedSoAnUpgradeCannotMoveSlots() {
        // FNV-1a 64 of the id, modulo 300 s: a changed algorithm would move every slot.
        #expect(StableJitter.fnv1a("") == 0xcbf2_9ce4_8422_2325)
        #expect(StableJitter.fnv1a("a") == 0xaf63_dc4c_8601_ec8c)
    }
}

struct DurationParserTests {
    @Test(arguments: [
        ("90s", 90), ("10m", 600), ("1h30m", 5400), ("2d", 172_800), ("0", 0), ("0s", 0), ("1d2h3m4s", 93_784),
    ])
    func durationsParse(_ text: String, _ seconds: Int64) {
        #expect(DurationParser.parse(text) == .seconds(seconds))
    }

    @Test(arguments: ["90", "", "m", "1.5h", "30m1h", "1h1h", "-5m", "5 m", "10M", "1w"])
    func malformedDurationsAreRefused(_ text: String) {
        #expect(DurationParser.parse(text) == nil)
    }

    @Test func durationsFormatTheWayTheyParse() {
        #expect(DurationParser.format(.seconds(5400)) == "1h30m")
        #expect(DurationParser.format(.zero) == "0s")
        #expect(DurationParser.format(.seconds(93_784)) == "1d2h3m4s")
    }
}

struct SchedulePathTests {
    @Test func theConfigurationDirectoryWinsOverTheFallback() {
        #expect(SchedulePath.defaultPath(environment: ["CONFIGURATION_DIRECTORY": "/etc/rds-backupd"]) == "/etc/rds-backupd/schedule.yaml")
        #expect(SchedulePath.defaultPath(environment: ["CONFIGURATION_DIRECTORY": "/a/:/b"]) == "/a/schedule.yaml")
        #expect(SchedulePath.defaultPath(environment: [:]) == "/etc/rds-backupd/schedule.yaml")
        #expect(SchedulePath.defaultPath(environment: ["CONFIGURATION_DIRECTORY": ""]) == "/etc/rds-backupd/schedule.yaml")
    }
}
