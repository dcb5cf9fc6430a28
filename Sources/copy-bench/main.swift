import Dispatch
import Foundation
import OffsiteCopy
import RDSClient
import RDSSimulator

#if canImport(Glibc)
import Glibc
#endif

// The offsite-copy benchmark (scripts/bench_copy.py), in two processes so the copying one is
// measured alone:
//
//   copy-bench serve --bytes N       a simulator holding one completed MySQL backup of N bytes;
//                                    prints `listening PORT BACKUP_ID`, serves until SIGTERM
//   copy-bench copy --port P --backup ID --dest DIR [--bandwidth BYTES_PER_S]
//                                    copies the backup into DIR through the API and the links;
//                                    prints one JSON line: bytes, seconds, CPU seconds, peak RSS

func option(_ name: String) -> String? {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("copy-bench: \(message)\n".utf8))
    exit(2)
}

let instanceID = "00000000000000000000000000000000in01"


switch CommandLine.arguments.dropFirst().first {
case "serve":
    guard let bytes = option("--bytes").flatMap(Int64.init), bytes > 0 else { fail("serve needs --bytes N") }
    var configuration = SimulatorConfiguration()
    configuration.instances = [SimulatedInstance(id: instanceID, name: "bench", engine: .mysql, version: "8.0")]
    let simulator = RDSSimulator(configuration: configuration, clock: .wall())
    simulator.objectStorage.backupBytes = bytes
    let now = Date()
    let backupID = "b0000000000000000000000000000000br01"
    simulator.addBackup(
        SimulatedBackup(
            id: backupID, instanceID: instanceID, name: "bench-copy", status: .completed, beginTime: now.addingTimeInterval(-600),
            endTime: now.addingTimeInterval(-300), sizeKB: Int(bytes / 1024)))
    try await simulator.start(host: "127.0.0.1", port: 0)
    FileHandle.standardOutput.write(Data("listening \(simulator.port) \(backupID)\n".utf8))
    await waitForTermination()
    try await simulator.shutdown()
    let served = simulator.objectStorage.bodyBytesServed
    FileHandle.standardOutput.write(Data("{\"body_bytes_served\": \(served)}\n".utf8))

case "copy":
    guard let port = option("--port").flatMap(Int.init), let backupID = option("--backup"), let destination = option("--dest")
    else { fail("copy needs --port P --backup ID --dest DIR") }
    let defaults = SimulatorConfiguration()
    let user = defaults.users[0]
    let profile = CloudProfile(
        region: defaults.region, projectID: defaults.projectID, authURL: "http://127.0.0.1:\(port)/v3",
        credentials: .password(PasswordCredentials(username: user.name, password: user.password, userDomainName: defaults.domainName)))
    let transport = try HTTPTransport(environment: [:])
    let client = try RDSAPIClient(profile: profile, transport: transport)
    var engineConfiguration = CopyEngine.Configuration()
    engineConfiguration.bandwidthBytesPerSecond = option("--bandwidth").flatMap(Int64.init)
    let engine = CopyEngine(transport: transport, configuration: engineConfiguration)
    let started = ContinuousClock.now
    let result = try await engine.copy(
        CopySubject(backupID: backupID, backupName: "bench-copy", instanceID: instanceID, engine: "MySQL"),
        into: destination + "/" + backupID
    ) { try await client.backupFiles(backupID: backupID) }
    let elapsed = ContinuousClock.now - started
    try await transport.shutdown()
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let cpu = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
        + Double(usage.ru_stime.tv_usec) / 1e6
    let (whole, fraction) = elapsed.components
    let seconds = Double(whole) + Double(fraction) / 1e18
    let report: [String: Any] = [
        "bytes": result.manifest.totalBytes, "fetched": result.bytesFetched, "seconds": seconds,
        "user_seconds": Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6,
        "system_seconds": Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6,
        "cpu_seconds": cpu, "peak_rss_kib": usage.ru_maxrss, "sha256": result.manifest.files.first?.sha256 ?? "",
    ]
    let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
    FileHandle.standardOutput.write(data + Data("\n".utf8))

default:
    fail("usage: copy-bench serve --bytes N | copy --port P --backup ID --dest DIR [--bandwidth B]")
}
