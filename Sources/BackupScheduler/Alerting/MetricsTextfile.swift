import Foundation
import Logging
import ServiceLifecycle

/// Keeps a node-exporter textfile-collector file (`metrics.textfile`) current: rewritten after
/// every change of the metrics, at start and at stop, atomically (a temporary file in the same
/// directory, renamed over it), so the collector never reads half a file.
public final class MetricsTextfile: Service, Sendable {
    public let path: String
    private let recorder: MetricsRecorder
    private let logger: Logger
    private let changes: AsyncStream<Void>
    private let changed: AsyncStream<Void>.Continuation

    /// A writer of `recorder`'s metrics to `path` (absolute; its directory must exist).
    public init(path: String, recorder: MetricsRecorder, logger: Logger) {
        self.path = path
        self.recorder = recorder
        self.logger = logger
        // One pending change is enough: the write that follows renders everything.
        (changes, changed) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let changed = self.changed
        recorder.onChange { changed.yield() }
    }

    /// Writes at start, after each change until graceful shutdown, and once more at the end.
    public func run() async {
        writeLogged()
        for await _ in changes.cancelOnGracefulShutdown() {
            writeLogged()
        }
        writeLogged()
    }

    /// Writes the file now; throws when the directory is missing or not writable.
    public func write() throws {
        try Self.writeAtomically(recorder.render(), to: path)
    }

    private func writeLogged() {
        do {
            try write()
        } catch {
            logger.warning(
                "cannot write the metrics textfile \(path): \(error); check that its directory exists and is writable by the service (systemd: ReadWritePaths=)")
        }
    }

    /// Writes `text` to a temporary file beside `path` (mode 0644, so node-exporter can read it
    /// under the service's UMask=0077), then renames it over `path`.
    static func writeAtomically(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o644]) else {
            throw TextfileError(message: "cannot create \(temporary.path)")
        }
        // createFile's mode is filtered by the umask; set it again.
        try? FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: temporary.path)
        guard rename(temporary.path, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw TextfileError(message: "cannot rename into place: \(reason)")
        }
    }

    struct TextfileError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
