import Foundation
import Logging
import Spawn

/// Runs `alert.command` for a failed or missed slot: argv as written (no shell, no PATH search),
/// stdin from /dev/null, stdout and stderr where the service's go (the journal under systemd),
/// killed when it outlives its timeout. Its environment is built from an allow-list, never
/// inherited whole, so the cloud credentials (`OS_*`, `$CREDENTIALS_DIRECTORY`) never reach it.
public struct FailureCommandRunner: Sendable {
    /// The only variables taken from the service's environment.
    public static let inheritedVariables = [
        "PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY",
        "no_proxy",
    ]
    static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// How a run ended.
    public enum Outcome: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)
        case timedOut
        case couldNotStart(String)

        public var description: String {
            switch self {
            case .exited(let code): "exited with status \(code)"
            case .signalled(let signal): "ended by signal \(signal)"
            case .timedOut: "killed after its timeout"
            case .couldNotStart(let reason): "could not be started: \(reason)"
            }
        }
    }

    private let inherited: [String: String]
    private let sleep: @Sendable (Duration) async throws -> Void

    /// `environment` is the service's; `sleep` waits out the timeout (tests inject their own).
    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        inherited = environment.filter { Self.inheritedVariables.contains($0.key) }
        self.sleep = sleep
    }

    /// The command's environment: the allow-listed variables and the slot's details.
    public func environment(for observation: SlotObservation) -> [String: String] {
        var environment = inherited
        if environment["PATH"] == nil { environment["PATH"] = Self.defaultPath }
        environment["RDS_EVENT"] = observation.kind.rawValue
        environment["RDS_ENTRY"] = observation.entry
        environment["RDS_INSTANCE_ID"] = observation.instanceID
        environment["RDS_SLOT"] = RFC3339.formatUTC(observation.slot)
        environment["RDS_BACKUP_NAME"] = observation.backupName ?? ""
        environment["RDS_BACKUP_ID"] = observation.backupID ?? ""
        environment["RDS_ATTEMPT"] = "\(observation.attempts)"
        environment["RDS_ERROR_CODE"] = observation.errorCode ?? ""
        environment["RDS_ERROR_MESSAGE"] = observation.message ?? ""
        environment["RDS_REQUEST_ID"] = observation.requestID ?? ""
        return environment
    }

    /// Runs `command` for `observation` and waits for its end or its timeout (then kills it and
    /// its descendants). Cancellation kills it too.
    public func run(_ command: AlertCommand, for observation: SlotObservation) async -> Outcome {
        await run(command, environment: environment(for: observation))
    }

    /// The allow-listed variables with `details` added (copy commands' `RDS_*`).
    public func environment(adding details: [String: String]) -> [String: String] {
        var environment = inherited
        if environment["PATH"] == nil { environment["PATH"] = Self.defaultPath }
        environment.merge(details) { $1 }
        return environment
    }

    /// Runs `command` with exactly `environment`, bounded by its timeout (see above).
    public func run(_ command: AlertCommand, environment: [String: String]) async -> Outcome {
        guard let program = command.argv.first else { return .couldNotStart("empty command") }
        let (exits, exited) = AsyncStream.makeStream(of: Outcome.self, bufferingPolicy: .bufferingNewest(1))
        let child: ChildProcess
        do {
            child = try ChildProcess(
                executable: program, arguments: Array(command.argv.dropFirst()), environment: environment,
                workingDirectory: "/", stdout: .inherit, stderr: .inherit,
                onExit: { termination in
                    switch termination {
                    case .exited(let code): exited.yield(.exited(code))
                    case .signalled(let signal): exited.yield(.signalled(signal))
                    }
                    exited.finish()
                })
        } catch {
            return .couldNotStart(error.description)
        }
        let sleep = self.sleep
        let first = await withTaskGroup(of: Outcome?.self) { group in
            group.addTask {
                for await outcome in exits { return outcome }
                return .exited(-1)
            }
            group.addTask {
                try? await sleep(command.timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        if let first { return first }
        // Timed out (or cancelled): kill it and what it started, then reap it.
        ProcessTree.killTree(child.pid)
        _ = await child.exit()
        return .timedOut
    }
}
