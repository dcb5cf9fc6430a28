import Foundation

/// Schedule YAML with `count` entries, the same shape as `scripts/bench_schedule.py` writes for the
/// process benchmarks: one line per entry (flow mapping), so 10,000 entries stay under the 1 MiB limit.
enum ScheduleFixture {
    static func yaml(entries count: Int) -> String {
        var text = """
            cloud:
              region: eu-de
              project_id: 0483b6b16e954cb88930a360d2c4e663
              auth: env
            defaults:
              timezone: Europe/Berlin
              name: "{alias}-{slot:%Y%m%d-%H%M}"
              jitter: 0s
            backups:

            """
        text.reserveCapacity(count * 96)
        for index in 0..<count {
            text += "  - {alias: e\(index), instance_id: \(instanceID(index)), cron: \"\(index % 60) \(index % 24) * * *\"}\n"
        }
        return text
    }

    /// 32 hex digits + `in01`, distinct per index.
    static func instanceID(_ index: Int) -> String {
        let hex = String(index, radix: 16)
        return String(repeating: "0", count: 32 - hex.count) + hex + "in01"
    }
}
