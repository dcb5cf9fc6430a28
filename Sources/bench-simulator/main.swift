import Dispatch
import Foundation
import RDSClient
import RDSSimulator

// The simulator the process benchmarks (scripts/bench_process.py) run against: N instances with the
// ids of the benchmark schedules, a response latency and the gateway's rate limit. It prints
// `listening PORT` when ready; on SIGTERM it prints one JSON line of counts and exits.
//
//   bench-simulator [--port 0] [--instances 2000] [--latency-ms 20] [--rate-limit 20] [--burst 20]
//                   [--backup-duration 5]

func option(_ name: String, _ fallback: Double) -> Double {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let value = Double(arguments[index + 1])
    else { return fallback }
    return value
}

/// 32 hex digits + `in01`, as `scripts/bench_schedule.py` writes them.
func instanceID(_ index: Int) -> String {
    let hex = String(index, radix: 16)
    return String(repeating: "0", count: 32 - hex.count) + hex + "in01"
}

var configuration = SimulatorConfiguration()
configuration.instances = (0..<Int(option("--instances", 2_000))).map {
    SimulatedInstance(id: instanceID($0), name: "db\($0)", engine: .postgreSQL, version: "13")
}
configuration.backupDuration = option("--backup-duration", 5)
configuration.responseLatency = option("--latency-ms", 0) / 1000
let rate = option("--rate-limit", 0)
if rate > 0 { configuration.rateLimit = .init(requestsPerSecond: rate, burst: Int(option("--burst", rate))) }
configuration.manualBackupQuota = nil

let simulator = RDSSimulator(configuration: configuration, clock: .wall())
try await simulator.start(host: "127.0.0.1", port: Int(option("--port", 0)))
// Written unbuffered, so the benchmark reading the pipe sees it at once.
FileHandle.standardOutput.write(Data("listening \(simulator.port)\n".utf8))

await waitForTermination()

let requests = simulator.requests()
var byRoute: [String: Int] = [:]
for request in requests { byRoute[request.route?.rawValue ?? "other", default: 0] += 1 }
let backups = simulator.backups()
var perInstance: [String: Int] = [:]
for backup in backups { perInstance[backup.instanceID, default: 0] += 1 }
let times = requests.map(\.receivedAt.timeIntervalSince1970)
let stats: [String: Any] = [
    "requests": requests.count,
    "by_route": byRoute,
    "throttled_429": requests.filter { $0.status == 429 }.count,
    "errors_4xx_5xx": requests.filter { ($0.status ?? 0) >= 400 && $0.status != 429 }.count,
    "backups": backups.count,
    "instances_backed_up": perInstance.count,
    "duplicates": perInstance.values.reduce(0) { $0 + max(0, $1 - 1) },
    "first_request": times.min() ?? 0,
    "last_request": times.max() ?? 0,
    "last_create": requests.filter { $0.route == .createBackup && $0.status == 200 }.map(\.receivedAt.timeIntervalSince1970).max() ?? 0,
]
let json = try JSONSerialization.data(withJSONObject: stats, options: [.sortedKeys])
FileHandle.standardOutput.write(json + Data("\n".utf8))
try? await simulator.shutdown()
