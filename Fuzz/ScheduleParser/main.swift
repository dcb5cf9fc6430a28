// libFuzzer target: any bytes as a schedule file. Built and run by scripts/fuzz.sh.
//
// Invariants (a violation traps, and libFuzzer saves the input):
// - parsing never crashes and never hangs (libFuzzer's -timeout catches a hang);
// - a rejected file has at least one problem, each with a line inside the file and a column >= 1;
// - an accepted file plans its next slots and renders their names without crashing.
import BackupScheduler
import Foundation

let now = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z

/// Lines as YAML counts them: CR LF, a lone CR, LF, NEL, LS and PS each end one (YAML 1.1 §5.4).
func yamlLineCount(_ text: String) -> Int {
    var lines = 1
    var afterCR = false
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\n": if !afterCR { lines += 1 }
        case "\r", "\u{85}", "\u{2028}", "\u{2029}": lines += 1
        default: break
        }
        afterCR = scalar == "\r"
    }
    return lines
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzScheduleParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // Schedule.load refuses what is not UTF-8; parse sees only text, so decode the way load does.
    guard let yaml = String(bytes: UnsafeBufferPointer(start: data, count: size), encoding: .utf8) else { return -1 }
    let lineCount = yamlLineCount(yaml)
    do {
        let schedule = try Schedule.parse(yaml: yaml, fileName: "fuzz.yaml", now: now)
        for entry in schedule.entries {
            for planned in SlotPlanner.upcoming(of: entry, after: now, count: 3) {
                precondition(planned.name.value.utf8.count <= 64, "rendered name too long: \(planned.name)")
            }
        }
    } catch {
        precondition(!error.problems.isEmpty, "rejected without a problem")
        for problem in error.problems {
            precondition(
                (1...lineCount + 1).contains(problem.line) && problem.column >= 1,
                "problem outside the file (\(lineCount) lines): \(problem)")
        }
    }
    return 0
}
