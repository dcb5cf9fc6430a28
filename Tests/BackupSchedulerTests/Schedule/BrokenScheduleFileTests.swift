import Foundation
import Testing

@testable import BackupScheduler

/// Broken schedule files: every message names line, column and field path, and what is allowed.
struct BrokenScheduleFileTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let label: String
        let yaml: String
        let line: Int
        let column: Int
        let path: String
        let fragment: String
        var testDescription: String { label }
    }

    static let header = """
        cloud:
          region: eu-de
          project_id: 0483b6b16e954cb88930a360d2c4e663
          auth: env
        backups:
          - alias: orders
            instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01

        """

    /// The valid base file with `cron` on line 8 and `extra` lines from line 9.
    static func entry(cron: String = "\"0 2 * * *\"", _ extra: String = "") -> String {
        header + "    cron: \(cron)\n" + extra
    }

    static let secondEntry = """
          - alias: weekly
            instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01
            cron: "0 2 * * 1"

        """

    static let cases: [Case] = [
        Case(label: "six-field cron", yaml: entry(cron: "\"0 0 2 * * *\""), line: 8, column: 11, path: "backups[0].cron",
             fragment: "'0 0 2 * * *' has 6 fields; a seconds (or year) field is not supported: write 5 fields"),
        Case(label: "cron value out of range", yaml: entry(cron: "\"60 2 * * *\""), line: 8, column: 11, path: "backups[0].cron",
             fragment: "minute 60 is out of range; minute is 0-59"),
        Case(label: "@reboot", yaml: entry(cron: "\"@reboot\""), line: 8, column: 11, path: "backups[0].cron",
             fragment: "'@reboot' is not a time"),
        Case(label: "cron that never matches", yaml: entry(cron: "\"0 0 31 2 *\""), line: 8, column: 11, path: "backups[0].cron",
             fragment: "never matches"),
        Case(label: "unknown key near a known one", yaml: entry("    timezon: Europe/Berlin\n"), line: 9, column: 5,
             path: "backups[0].timezon", fragment: "unknown key `timezon` (did you mean `timezone`?); allowed keys here are alias,"),
        Case(label: "unknown time zone", yaml: entry("    timezone: Europe/Berln\n"), line: 9, column: 15,
             path: "backups[0].timezone", fragment: "unknown time zone 'Europe/Berln' (did you mean Europe/Berlin?); use an IANA zone name"),
        Case(label: "duration without unit", yaml: entry("    start_window: 90\n"), line: 9, column: 19,
             path: "backups[0].start_window", fragment: "'90' is not a duration (a bare number has no unit: did you mean 90s or 90m?)"),
        Case(label: "unknown name token", yaml: entry("    name: \"{alias}-{slot:%Y%m%d}-{aliass}\"\n"), line: 9, column: 11,
             path: "backups[0].name", fragment: "unknown token {aliass} (did you mean {alias}?)"),
        Case(label: "bad slot format", yaml: entry("    name: \"{alias}-{slot:%Y%Q}\"\n"), line: 9, column: 11,
             path: "backups[0].name", fragment: "unknown conversion '%Q'; allowed conversions are %Y"),
        Case(label: "name repeats within a year", yaml: entry(cron: "\"@hourly\"", "    name: \"{alias}-{slot:%Y%m%d}\"\n"),
             line: 9, column: 11, path: "backups[0].name",
             fragment: "renders 'orders-20250601' for two slots of backups[0] (orders), 2025-06-01T01:00:00+00:00 and 2025-06-01T02:00:00+00:00"),
        Case(label: "jitter not below start window", yaml: entry("    jitter: 2h\n"), line: 9, column: 13,
             path: "backups[0].jitter", fragment: "jitter 2h is not shorter than the default start_window 1h"),
        Case(label: "retry max below initial", yaml: entry("    retry: { initial: 5m, max: 1m }\n"), line: 9, column: 32,
             path: "backups[0].retry.max", fragment: "retry max 1m is shorter than retry initial 5m"),
        Case(label: "misspelt retention key", yaml: entry("    retention: { keep_lst: 3 }\n"), line: 9, column: 18,
             path: "backups[0].retention.keep_lst", fragment: "unknown key `keep_lst` (did you mean `keep_last`?)"),
        Case(label: "paused not a boolean", yaml: entry("    paused: maybe\n"), line: 9, column: 13,
             path: "backups[0].paused", fragment: "'maybe' is not allowed; write true or false"),
        Case(label: "empty databases", yaml: entry("    databases: []\n"), line: 9, column: 16,
             path: "backups[0].databases", fragment: "is empty; list the SQL Server databases"),
        Case(label: "forbidden character in description", yaml: entry("    description: \"nightly <full> backup\"\n"),
             line: 9, column: 18, path: "backups[0].description", fragment: "has '<' in its literal text; a description may not contain"),
        Case(label: "cloud on an entry of a single-cloud file", yaml: entry("    cloud: prod\n"), line: 9, column: 12,
             path: "backups[0].cloud", fragment: "the file has a single `cloud:`"),
        Case(label: "secret on an entry", yaml: entry("    token: abc123\n"), line: 9, column: 5,
             path: "backups[0].token", fragment: "secrets never live in the schedule file"),
        Case(label: "invalid instance id", yaml: header.replacingOccurrences(of: "d8e6ca5a624745bcb546a227aa3ae1cfin01", with: "D8E6-bad") + "    cron: \"@daily\"\n",
             line: 7, column: 18, path: "backups[0].instance_id", fragment: "'D8E6-bad' is not an RDS instance id; an instance id is 32 lowercase hex"),
        Case(label: "missing cron", yaml: header, line: 6, column: 5, path: "backups[0].cron",
             fragment: "is missing; set a 5-field cron expression"),
        Case(label: "invalid alias", yaml: header.replacingOccurrences(of: "alias: orders", with: "alias: 1orders") + "    cron: \"@daily\"\n",
             line: 6, column: 12, path: "backups[0].alias", fragment: "'1orders' is not an alias; an alias is 1-32 characters: a letter"),
        Case(label: "duplicate alias", yaml: entry() + secondEntry.replacingOccurrences(of: "weekly", with: "orders").replacingOccurrences(of: "* * 1", with: "* * 2"),
             line: 9, column: 12, path: "backups[1].alias", fragment: "alias 'orders' is already used by backups[0] (line 6); aliases must be unique"),
        Case(label: "duplicate instance and cron", yaml: entry() + secondEntry.replacingOccurrences(of: "* * 1", with: "* * *"),
             line: 11, column: 11, path: "backups[1].cron",
             fragment: "instance d8e6ca5a624745bcb546a227aa3ae1cfin01 already has cron '0 2 * * *' in UTC in backups[0] (line 8)"),
        Case(label: "two entries render the same name",
             yaml: entry("    name: \"{instance_id}-{slot:%Y%m%d-%H%M}\"\n") + secondEntry + "    name: \"{instance_id}-{slot:%Y%m%d-%H%M}\"\n",
             line: 13, column: 11, path: "backups[1].name",
             fragment: "backups[1] (weekly) and backups[0] (orders, line 6) can both render 'd8e6ca5a624745bcb546a227aa3ae1cfin01-20250602-0200'"),
        Case(label: "secret in cloud", yaml: entry().replacingOccurrences(of: "  auth: env\n", with: "  auth: env\n  secret_key: s3cr3t\n"),
             line: 5, column: 3, path: "cloud.secret_key", fragment: "secrets never live in the schedule file; set `auth:`"),
        Case(label: "invalid project id", yaml: entry().replacingOccurrences(of: "0483b6b16e954cb88930a360d2c4e663", with: "0483"),
             line: 3, column: 15, path: "cloud.project_id", fragment: "'0483' is not a project id; a project id is 32 lowercase hex characters"),
        Case(label: "unknown auth source", yaml: entry().replacingOccurrences(of: "auth: env", with: "auth: keystone"),
             line: 4, column: 9, path: "cloud.auth", fragment: "'keystone' is not an auth source; allowed are `clouds.yaml:NAME`, `credentials`"),
        Case(label: "plain http endpoint off loopback", yaml: entry().replacingOccurrences(of: "  auth: env\n", with: "  auth: env\n  endpoint: http://rds.example.com\n"),
             line: 5, column: 13, path: "cloud.endpoint", fragment: "is not allowed; use an https:// URL, or http:// only on loopback"),
        Case(label: "missing region", yaml: entry().replacingOccurrences(of: "  region: eu-de\n", with: ""),
             line: 2, column: 3, path: "cloud.region", fragment: "is missing; set the region"),
        Case(label: "both cloud and clouds",
             yaml: "clouds:\n  x: { region: eu-de, project_id: 0483b6b16e954cb88930a360d2c4e663, auth: env }\n" + entry(),
             line: 1, column: 1, path: "clouds", fragment: "both `cloud` (line 3) and `clouds` are set"),
        Case(label: "entry names an unknown cloud",
             yaml: """
                clouds:
                  prod: { region: eu-de, project_id: 0483b6b16e954cb88930a360d2c4e663, auth: env }
                  test: { region: eu-de, project_id: 0483b6b16e954cb88930a360d2c4e663, auth: env }
                backups:
                  - { alias: orders, instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01, cron: "@daily", cloud: prdo }
                """,
             line: 5, column: 96, path: "backups[0].cloud", fragment: "no cloud named 'prdo' (did you mean 'prod'?); defined clouds are prod, test"),
        Case(label: "backups not a list", yaml: header.components(separatedBy: "backups:")[0] + "backups: orders\n",
             line: 5, column: 10, path: "backups", fragment: "must be a list of entries"),
        Case(label: "misspelt top-level key", yaml: entry().replacingOccurrences(of: "backups:", with: "backup:"),
             line: 5, column: 1, path: "backup", fragment: "unknown key `backup` (did you mean `backups`?); allowed keys here are cloud, clouds, defaults, backups"),
        Case(label: "cron in defaults", yaml: entry().replacingOccurrences(of: "backups:", with: "defaults:\n  cron: \"@daily\"\nbackups:"),
             line: 6, column: 3, path: "defaults.cron", fragment: "unknown key `cron`; allowed keys here are cloud, timezone, name"),
        Case(label: "empty retention", yaml: entry("    retention: {}\n"), line: 9, column: 16,
             path: "backups[0].retention", fragment: "is empty; set some of keep_last"),
        Case(label: "rate out of range", yaml: entry().replacingOccurrences(of: "  auth: env\n", with: "  auth: env\n  requests_per_second: 0\n"),
             line: 5, column: 24, path: "cloud.requests_per_second", fragment: "'0' is not allowed; requests_per_second is a number from 0.1 to 1000"),
        Case(label: "duplicate YAML key", yaml: entry().replacingOccurrences(of: "  auth: env\n", with: "  auth: env\n  region: eu-nl\n"),
             line: 2, column: 3, path: "", fragment: "duplicate key 'region' in one mapping; each key may appear once"),
        Case(label: "YAML syntax error", yaml: entry().replacingOccurrences(of: "  auth: env\n", with: "  auth: [env\n"),
             line: 5, column: 8, path: "", fragment: "not valid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 4)"),
        Case(label: "empty file", yaml: "# nothing yet\n", line: 1, column: 1, path: "", fragment: "the file is empty"),
    ]

    static func problems(_ yaml: String) -> [ScheduleProblem] {
        do {
            _ = try Schedule.parse(yaml: yaml, fileName: "schedule.yaml", now: T.date("2025-06-01T00:00:00Z"))
            return []
        } catch {
            return error.problems
        }
    }

    @Test(arguments: cases)
    func brokenFilesNameLineColumnPathAndWhatIsAllowed(_ c: Case) throws {
        let problems = Self.problems(c.yaml)
        let match = problems.first { $0.message.contains(c.fragment) }
        let problem = try #require(match, "no problem contains \"\(c.fragment)\"; got:\n\(problems.map(\.description).joined(separator: "\n"))")
        #expect(problem.file == "schedule.yaml")
        #expect(problem.line == c.line, "\(problem)")
        #expect(problem.column == c.column, "\(problem)")
        #expect(problem.path == c.path, "\(problem)")
        #expect(problem.description.hasPrefix("schedule.yaml:\(c.line):\(c.column): " + (c.path.isEmpty ? "" : "\(c.path): ")))
    }

    @Test func secretValuesNeverAppearInMessages() {
        let yaml = Self.entry("    password: hunter2-very-secret\n").replacingOccurrences(of: "  auth: env\n", with: "  auth: env\n  os_token: tok-abc\n")
        let text = Self.problems(yaml).map(\.description).joined(separator: "\n")
        #expect(text.contains("backups[0].password") && text.contains("cloud.os_token"))
        #expect(!text.contains("hunter2") && !text.contains("tok-abc"))
    }

    @Test func everyErrorOfAFileIsReportedTogetherInFileOrder() {
        let yaml = Self.entry("    jitter: 10\n    paused: sometimes\n")
            .replacingOccurrences(of: "region: eu-de", with: "region: Frankfurt")
            .replacingOccurrences(of: "\"0 2 * * *\"", with: "\"0 2 * *\"")
        let problems = Self.problems(yaml)
        #expect(problems.map(\.path) == ["cloud.region", "backups[0].cron", "backups[0].jitter", "backups[0].paused"])
        #expect(problems.map(\.line) == [2, 8, 9, 10])
    }

    @Test func anAliasBombIsRefusedBeforeTheYAMLLibrarySeesIt() {
        // Aliased collections as mapping keys make the YAML library's duplicate-key check
        // exponential, so anchors are refused before composing.
        var yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            let refs = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            yaml += "a\(level): &a\(level) [\(refs)]\n"
        }
        yaml += "m:\n  ? *a9\n  : 1\n  ? *a8\n  : 2\n"
        let problems = Self.problems(yaml)
        #expect(problems.map(\.description) == [
            "schedule.yaml:1:5: YAML anchor '&a0' is not allowed; the schedule file shares settings through `defaults:`, not anchors and aliases"
        ])
    }

    @Test func anUnquotedCronThatLooksLikeAnAliasGetsAQuotingHint() {
        let problems = Self.problems(Self.entry(cron: "*/5 * * * *"))
        #expect(problems.first?.description.hasPrefix("schedule.yaml:8:11: YAML alias '*/5' is not allowed") == true)
        #expect(problems.first?.message.hasSuffix("if it is a cron expression, quote it: cron: \"*/5 * * * *\"") == true)
    }

    @Test(arguments: [
        ("key: *x", 1, 6), ("- *x", 1, 3), ("k: [a, *x]", 1, 8), ("? *x\n: 1", 1, 3), ("k: {a: *x}", 1, 8),
        ("*x : 1", 1, 1), ("k: !!str &x v", 1, 10), ("a: 'q'\nb:\n  - &anchor [1]", 3, 5), ("a: |\n  text\nb: *x", 3, 4),
        ("m: {\n  *k : 1 }", 2, 3), ("a: [\n  x,\n  &a [y]\n]", 3, 3), ("--- &a [x]", 1, 5), ("a: 'it''s'\nb: \"q\\\" \" \nc: *x", 3, 4),
    ])
    func anchorsAndAliasesAreFoundWhereNodesStart(_ yaml: String, _ line: Int, _ column: Int) {
        let finding = YAMLAliasScanner.firstAnchorOrAlias(in: yaml)
        #expect(finding?.line == line && finding?.column == column, "\(String(describing: finding))")
    }

    @Test(arguments: [
        "cron: 0 2 * * *", "cron: \"*/5 * * * *\"", "cron: '*/5 * * * *'", "description: R&D backup *daily*",
        "description: a & b", "# *x &y\nk: v # *z", "a: |\n  *not an alias\n  &nor an anchor\nb: c",
        "k: \"multi\n  *line\"", "k: [\"*x\", '&y']", "k: a:*b", "k: {a: \"*x\", b: c}", "k: [a\n  b*x]", "---\nk: v\n...",
    ])
    func textThatOnlyLooksLikeAnchorsIsAccepted(_ yaml: String) {
        #expect(YAMLAliasScanner.firstAnchorOrAlias(in: yaml) == nil)
    }

    @Test func deepNestingIsRefused() {
        let yaml = String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "\n"
        let problems = Self.problems(yaml)
        #expect(problems.first?.message.contains("nesting deeper than 32 levels") == true)
    }

    @Test func anOversizedFileIsRefusedBeforeParsing() {
        let yaml = "# " + String(repeating: "x", count: Schedule.maxFileSize) + "\n"
        #expect(Self.problems(yaml).first?.message.contains("a schedule file is at most") == true)
    }
}

/// Random, mostly broken YAML never crashes the loader and always yields positioned problems.
struct ScheduleFileFuzzTests {
    static let fragments = [
        "cloud:", "backups:", "defaults:", "clouds:", "\n", "\n  ", "\n    ", "- ", "alias: ", "cron: ", "name: ",
        "timezone: ", "retry: ", "{", "}", "[", "]", ", ", ": ", "'", "\"", "\\", "#", "&a", "*a", "|", ">", "!!str ",
        "? ", "---", "orders", "\"0 2 * * *\"", "*/5", "{slot:%Y}", "Europe/Berlin", "10m", "true", "~", "é", "\t",
        "password: x", "region: eu-de", "instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01",
    ]

    @Test func randomDocumentsNeverCrashAndAlwaysPointIntoTheFile() {
        var rng = SeededRandom(seed: 11)
        for _ in 0..<1_500 {
            let yaml = (0..<Int.random(in: 1...40, using: &rng)).map { _ in Self.fragments.randomElement(using: &rng)! }.joined()
            let lineCount = yaml.split(separator: "\n", omittingEmptySubsequences: false).count
            do {
                _ = try Schedule.parse(yaml: yaml, fileName: "f.yaml", now: T.date("2025-06-01T00:00:00Z"))
            } catch {
                #expect(!error.problems.isEmpty)
                for problem in error.problems {
                    #expect((1...lineCount + 1).contains(problem.line) && problem.column >= 1, "\(problem) in:\n\(yaml)")
                }
            }
        }
    }
}
