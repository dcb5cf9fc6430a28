import ArgumentParser
import BackupScheduler
import Foundation
import Logging
import RDSClient

/// `rds-backupd create-backup`: one manual backup through the shared client, with the service's retry rules.
struct CreateBackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create-backup",
        abstract: "Create one manual backup now, through the same client and retry rules as the service.",
        discussion: """
            Transient failures (connection errors, timeouts, 5xx, 429, a busy instance) are retried with \
            exponential backoff and full jitter; anything else fails at once with the API's code and message. \
            A create whose answer was lost is resolved by looking the name up, never by creating twice.

            Exit status: 0 created (with --wait: completed), 2 invalid input (nothing was sent), \
            3 the API refused (code and message printed), 4 still failing after the retries, \
            5 with --wait: the backup ended FAILED or did not finish within --timeout.

            Examples:
              rds-backupd create-backup --os-cloud otc --instance d8e6ca5a624745bcb546a227aa3ae1cfin01 --name orders_manual_0001
              rds-backupd create-backup --instance ID --name payroll-hr-0001 --databases hr,payroll --wait --json
              rds-backupd create-backup --simulate --instance d8e6ca5a624745bcb546a227aa3ae1cfin01 --name demo-0001 --wait
            """)

    @Option(help: "The DB instance id.")
    var instance: String

    @Option(help: "Backup name: 4-64 characters, a letter first, then letters, digits, '-' and '_'; unique.")
    var name: String

    @Option(help: "Description: at most 256 characters, none of > ! < \" & ' = or a line break.")
    var description: String?

    @Option(help: "SQL Server only: comma-separated databases for a partial backup.")
    var databases: String?

    @Flag(help: "Follow the backup until COMPLETED or FAILED.")
    var wait = false

    @Option(help: "With --wait: how long to follow the backup.")
    var timeout = DurationArgument(.seconds(4 * 3600))

    @Option(name: .customLong("poll-interval"), help: "With --wait: time between status checks.")
    var pollInterval = DurationArgument(.seconds(5))

    @Option(name: .customLong("retry-attempts"), help: "Attempts in all, the first included.")
    var retryAttempts = 8

    @Option(name: .customLong("retry-initial"), help: "First backoff ceiling.")
    var retryInitial = DurationArgument(.seconds(10))

    @Option(name: .customLong("retry-max"), help: "Largest backoff ceiling.")
    var retryMax = DurationArgument(.seconds(600))

    @Flag(help: "Print the backup as JSON.")
    var json = false

    @Flag(help: "Run against an embedded simulator on loopback (no cloud account needed); the instance is created there.")
    var simulate = false

    @OptionGroup var client: ClientOptions

    func validate() throws {
        do {
            _ = try BackupName(name)
        } catch {
            throw ValidationError("--name: \(error)")
        }
        if let description {
            do { _ = try BackupDescription(description) } catch { throw ValidationError("--description: \(error)") }
        }
        if let databases, parsedDatabases(databases).isEmpty {
            throw ValidationError("--databases: give one or more database names separated by commas")
        }
        guard retryAttempts >= 1 else { throw ValidationError("--retry-attempts must be 1 or more") }
        guard retryInitial.duration > .zero, retryMax.duration >= retryInitial.duration else {
            throw ValidationError("--retry-initial must be positive and not above --retry-max")
        }
        guard pollInterval.duration > .zero else { throw ValidationError("--poll-interval must be positive") }
    }

    func parsedDatabases(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func run() async throws {
        let logger = client.logger(label: "rds-backupd.create-backup")
        let request = CreateBackupRequest(
            instanceID: instance, name: try BackupName(name), description: try description.map { try BackupDescription($0) },
            databases: databases.map(parsedDatabases) ?? [])

        // A clouds.yaml cloud is also looked for in the service's credentials (root can read them);
        // without one, $CREDENTIALS_DIRECTORY would switch the source, so it is left as it is.
        let inherited = ProcessInfo.processInfo.environment
        let named = client.osCloud ?? inherited["OS_CLOUD"]
        let environment = named.map { !$0.isEmpty } == true ? ServiceCredentials.environment(inherited) : inherited
        let session: CloudSession
        do {
            session = try await CloudSession.open(
                options: client, simulate: simulate, simulatedInstances: [instance], logger: logger, environment: environment)
        } catch let error as ClientConfigurationError {
            printError("error: \(error)")
            if let hint = ServiceCredentials.hint(environment: environment) { printError("hint: \(hint)") }
            throw ExitCode(ExitStatus.invalidInput)
        }
        let status = await perform(request, session: session, logger: logger)
        await session.close()
        if status != 0 { throw ExitCode(status) }
    }

    private func perform(_ request: CreateBackupRequest, session: CloudSession, logger: Logger) async -> Int32 {
        let retrier = Retrier(policy: RetryPolicy(attempts: retryAttempts, initial: retryInitial.duration, max: retryMax.duration))
        let creator = BackupCreator(client: session.client, retrier: retrier, logger: logger)
        // Only a backup this command's own create can have made is taken as its own: begun since
        // it started (less the clock skew) and carrying its description.
        let evidence = OwnershipEvidence(firstRun: Date(), description: request.description?.value ?? "")
        var backup: Backup
        do {
            let outcome = try await creator.create(request, evidence: evidence) { notice in
                printError(notice.message())
            }
            backup = outcome.backup
            if case .adopted = outcome { printError("note: an earlier attempt had created the backup; using it") }
        } catch let error as RetriesExhausted {
            printError("error: \(error)")
            return ExitStatus.retriesExhausted
        } catch let error as RDSError {
            printError("error: \(error)")
            return ExitStatus.refused
        } catch let error as ClientConfigurationError {
            printError("error: \(error)")
            return ExitStatus.invalidInput
        } catch {
            printError("error: \(error)")
            return ExitStatus.refused
        }
        if !json { print("created backup \(backup.name) (id \(backup.id)) of instance \(backup.instanceID): \(backup.status)") }

        if wait {
            let deadline = ContinuousClock.now + timeout.duration
            while !backup.status.isFinal {
                if ContinuousClock.now + pollInterval.duration > deadline {
                    printError("error: backup \(backup.id) is still \(backup.status) after \(DurationParser.format(timeout.duration))")
                    emit(backup)
                    return ExitStatus.backupFailed
                }
                do {
                    try await Task.sleep(for: pollInterval.duration)
                    guard let current = try await session.client.backup(id: backup.id, instanceID: backup.instanceID) else {
                        printError("error: backup \(backup.id) disappeared while it was \(backup.status)")
                        return ExitStatus.backupFailed
                    }
                    backup = current
                } catch let error as RDSError where error.errorClass.isRetryable {
                    printError("status check failed, trying again: \(error)")
                } catch {
                    printError("error: \(error)")
                    return ExitStatus.refused
                }
            }
            if !json {
                let size = backup.sizeKB.map { ", \($0) kB" } ?? ""
                print("backup \(backup.name) \(backup.status == .completed ? "completed" : "FAILED")\(size)")
            }
        }
        if json { emit(backup) }
        return backup.status == .failed ? ExitStatus.backupFailed : 0
    }

    private func emit(_ backup: Backup) {
        guard json else { return }
        print(BackupJSON.render(backup))
    }
}

/// The JSON shape `--json` prints for a backup.
enum BackupJSON {
    static func object(_ backup: Backup) -> [String: Any] {
        var object: [String: Any] = [
            "id": backup.id, "instance_id": backup.instanceID, "name": backup.name,
            "status": backup.status.apiValue, "type": backup.type.apiValue,
        ]
        if let description = backup.description { object["description"] = description }
        if let begin = backup.beginTime { object["begin_time"] = ISO8601DateFormatter().string(from: begin) }
        if let end = backup.endTime { object["end_time"] = ISO8601DateFormatter().string(from: end) }
        if let size = backup.sizeKB { object["size_kb"] = size }
        if !backup.databases.isEmpty { object["databases"] = backup.databases }
        return object
    }

    static func render(_ backup: Backup) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object(backup), options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
