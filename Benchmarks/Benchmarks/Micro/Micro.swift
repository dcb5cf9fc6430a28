import BackupScheduler
import Benchmark
import Foundation
import RDSClient

// Micro benchmarks of the per-slot work of rds-backupd (issue 8): wall time, CPU time and
// mallocs per operation. Each benchmark runs the operation `scaledIterations` times per sample.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        warmupIterations: 3,
        scalingFactor: .one,
        maxDuration: .seconds(2),
        maxIterations: 1_000
    )
    let now = Date(timeIntervalSince1970: 1_790_000_000)  // 2026-09-21, a fixed instant
    let berlin = TimeZone(identifier: "Europe/Berlin")!

    // Cron: a daily slot, an every-6-hours slot and a last-day-ish monthly slot, in a DST zone.
    for (label, source) in [("daily 0 2 * * *", "0 2 * * *"), ("30 */6 * * *", "30 */6 * * *"), ("0 3 28-31 * 1-5", "0 3 28-31 * 1-5")] {
        let cron = try! CronExpression(source)
        Benchmark("cron next(after:) \(label)", configuration: .init(scalingFactor: .kilo)) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(cron.next(after: now, in: berlin))
            }
        }
    }

    // Name rendering of the default template and one with UTC slot and engine.
    let schedule = try! Schedule.parse(yaml: ScheduleFixture.yaml(entries: 1), fileName: "bench.yaml", now: now)
    let entry = schedule.entries[0]
    Benchmark("name(for:) default template", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(entry.name(for: now, instanceName: "orders", engine: "PostgreSQL"))
        }
    }

    // SDK-HMAC-SHA256 signing of a create-backup request as the client sends it.
    let signer = SDKSigner(accessKey: "SIMULATORAK000000000", secretKey: Secret("simulator-secret-key-0000000000000000000"))
    let body = Array(#"{"instance_id":"d8e6ca5a624745bcb546a227aa3ae1cfin01","name":"orders-20260921-0200","description":"scheduled by rds-backupd"}"#.utf8)
    Benchmark("SDK-HMAC sign create-backup", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(
                signer.sign(
                    method: "POST", path: "/v3/0483b6b16e954cb88930a360d2c4e663/backups", query: [],
                    headers: [(name: "Host", value: "rds.eu-de.otc.t-systems.com"), (name: "Content-Type", value: "application/json")],
                    body: body, date: now))
        }
    }

    // Schedule file parse (YAML, validation, name-collision check), 10 / 1,000 / 10,000 entries.
    for count in [10, 1_000, 10_000] {
        let yaml = ScheduleFixture.yaml(entries: count)
        Benchmark(
            "Schedule.parse \(count) entries",
            configuration: .init(maxDuration: .seconds(count >= 10_000 ? 20 : 3), maxIterations: count >= 10_000 ? 5 : 100)
        ) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try Schedule.parse(yaml: yaml, fileName: "bench.yaml", now: now))
            }
        }
    }

    // State writes of one slot as SlotRunner makes them on the happy path: claim (insert pending),
    // started, attempt counted, name rendered, creating, created, completed: 7 transactions.
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rds-backupd-bench-\(getpid())").path
    try? FileManager.default.removeItem(atPath: directory)
    let store = try! StateStore(directory: directory)
    nonisolated(unsafe) var slotIndex = 0
    Benchmark("state writes per slot (7 transactions)") { benchmark in
        for _ in benchmark.scaledIterations {
            slotIndex += 1
            let slotAt = now.addingTimeInterval(Double(slotIndex) * 60)
            var record = try store.claim(
                SlotRecord(entry: "orders", instanceID: "d8e6ca5a624745bcb546a227aa3ae1cfin01", slotAt: slotAt, runAt: slotAt, now: slotAt)
            ).record
            record.startedAt = slotAt
            record = try store.save(record, now: slotAt)
            record.attempts += 1
            record = try store.save(record, now: slotAt)
            record.name = "orders-\(slotIndex)"
            record = try store.save(record, now: slotAt)
            record.state = .creating
            record = try store.save(record, now: slotAt)
            record.backupID = "b\(slotIndex)br01"
            record.state = .created
            record = try store.save(record, now: slotAt)
            record.state = .completed
            record.sizeKB = 1024
            blackHole(try store.save(record, now: slotAt))
        }
    }
}
