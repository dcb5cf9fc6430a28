import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import RDSClient

/// Copies one backup's files out of the cloud into a directory: streams each file to
/// `NAME.partial` (bounded memory), resumes with `Range` after a broken transfer (also across
/// processes: a new engine on the same directory re-hashes what is on disk and fetches only the
/// rest), asks for fresh links when the storage refuses one (403, an expired link), checks the
/// length against the listing and the MD5 against the storage's `ETag` where it is one, fsyncs,
/// renames into place, and writes the manifest last. A copy is complete exactly when its
/// manifest exists; no file gets its final name before it was checked.
///
/// Errors are `CopyError` (or `CancellationError` when the task is cancelled: the partial file
/// stays for the next run). Download links never reach a log line or an error.
public struct CopyEngine: Sendable {
    public struct Configuration: Sendable {
        /// Average rate cap in bytes per second; nil: no cap.
        public var bandwidthBytesPerSecond: Int64?
        /// Failed requests in a row (without a byte gained) before the file's copy fails.
        public var attemptsWithoutProgress = 5
        /// Fresh link lists asked for per file (after 403 answers) before the file's copy fails.
        public var linkRefreshes = 3
        /// Whole downloads again after an MD5 mismatch, before the file's copy fails.
        public var checksumRetries = 1
        /// Bounds one request, from send to its last body byte.
        public var transferDeadline: Duration = .seconds(24 * 3600)
        /// Wait after the first failed attempt; doubled per further failure, capped.
        public var retryDelay: Duration = .seconds(1)
        public var maxRetryDelay: Duration = .seconds(60)

        public init() {}
    }

    /// Fetches the backup's file list with fresh links (normally `RDSAPIClient.backupFiles`).
    public typealias LinkSource = @Sendable () async throws -> BackupFileList

    /// What one run did.
    public struct Result: Sendable {
        public var directory: String
        public var manifest: CopyManifest
        /// Body bytes received over the network in this run.
        public var bytesFetched: Int64
        /// Bytes found on disk from an earlier run and kept (not fetched again).
        public var bytesReused: Int64
        /// The manifest was already there: nothing was fetched.
        public var wasComplete: Bool
        /// Download requests sent.
        public var requests: Int
        /// Fresh link lists asked for after a refused link.
        public var linkRefreshes: Int
        public var elapsed: Duration
    }

    let transport: HTTPTransport
    let configuration: Configuration
    let logger: Logger
    let now: @Sendable () -> Date
    let sleep: @Sendable (Duration) async throws -> Void
    let uptime: @Sendable () -> Double
    let progress: (@Sendable (_ file: String, _ bytesOnDisk: Int64) -> Void)?

    /// - Parameters:
    ///   - sleep: waits between attempts and for the bandwidth cap (tests inject one that does not wait).
    ///   - uptime: a monotonic clock in seconds, for the bandwidth cap.
    ///   - progress: called after each chunk written, with the file's bytes on disk.
    public init(
        transport: HTTPTransport, configuration: Configuration = .init(),
        logger: Logger = Logger(label: "rds-backupd.copy"), now: @escaping @Sendable () -> Date = { Date() },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        uptime: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime },
        progress: (@Sendable (_ file: String, _ bytesOnDisk: Int64) -> Void)? = nil
    ) {
        self.transport = transport
        self.configuration = configuration
        self.logger = logger
        self.now = now
        self.sleep = sleep
        self.uptime = uptime
        self.progress = progress
    }

    /// A name that can only mean a file inside the copy's directory.
    public static func isSafeFileName(_ name: String) -> Bool {
        SecureFiles.isPlainFileName(name) && !name.hasSuffix(".partial") && name != CopyManifest.fileName
    }

    /// Copies the backup into `directory` (created 0700 with missing parents), or finishes an
    /// interrupted copy there. Returns at once when the directory already holds its manifest.
    public func copy(_ subject: CopySubject, into directory: String, links: LinkSource) async throws -> Result {
        let started = now()
        let clock = ContinuousClock()
        let startedAt = clock.now
        try SecureFiles.makeDirectory(directory)
        if FileManager.default.fileExists(atPath: directory + "/" + CopyManifest.fileName) {
            let manifest = try CopyManifest.read(from: directory)
            guard manifest.backupID == subject.backupID else {
                throw CopyError(.destination, "\(directory) already holds the copy of backup \(manifest.backupID)")
            }
            return Result(
                directory: directory, manifest: manifest, bytesFetched: 0, bytesReused: manifest.totalBytes,
                wasComplete: true, requests: 0, linkRefreshes: 0, elapsed: clock.now - startedAt)
        }
        var list = try await fetchLinks(links, backupID: subject.backupID)
        var seen: Set<String> = []
        for file in list.files {
            guard Self.isSafeFileName(file.name) else {
                throw CopyError(.links, "the listing names a file '\(file.name)' that is not a plain file name")
            }
            guard seen.insert(file.name).inserted else { throw CopyError(.links, "the listing names the file '\(file.name)' twice") }
        }
        var stats = Stats()
        var files: [CopyManifest.File] = []
        for name in list.files.map(\.name) {
            try Task.checkCancellation()
            files.append(try await copyFile(name, list: &list, directory: directory, links: links, backupID: subject.backupID, stats: &stats))
        }
        let manifest = CopyManifest(subject: subject, bucket: list.bucket, files: files, copyStartedAt: started, copyCompletedAt: now())
        try manifest.write(into: directory)
        logger.debug(
            "copy written",
            metadata: ["backup_id": "\(subject.backupID)", "bytes": "\(manifest.totalBytes)", "fetched": "\(stats.fetched)"])
        return Result(
            directory: directory, manifest: manifest, bytesFetched: stats.fetched, bytesReused: stats.reused, wasComplete: false,
            requests: stats.requests, linkRefreshes: stats.refreshes, elapsed: clock.now - startedAt)
    }

    struct Stats {
        var fetched: Int64 = 0
        var reused: Int64 = 0
        var requests = 0
        var refreshes = 0
    }

    private func fetchLinks(_ links: LinkSource, backupID: String) async throws -> BackupFileList {
        let list: BackupFileList
        do {
            list = try await links()
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw CopyError(.links, "the download links of backup \(backupID) could not be had: \(error)")
        }
        guard !list.files.isEmpty else { throw CopyError(.links, "the API lists no files for backup \(backupID)") }
        return list
    }

    /// The hashers of one file's bytes, in order. The MD5 is dropped once the storage's `ETag`
    /// turns out not to be one (a multipart upload): nothing to compare it with.
    struct Digests {
        var sha256 = SHA256()
        var md5: Insecure.MD5? = Insecure.MD5()
        mutating func update(_ raw: UnsafeRawBufferPointer) {
            sha256.update(bufferPointer: raw)
            md5?.update(bufferPointer: raw)
        }
    }

    // One file: resume or start, retry, check, rename. Returns its manifest line.
    private func copyFile(
        _ name: String, list: inout BackupFileList, directory: String, links: LinkSource, backupID: String, stats: inout Stats
    ) async throws -> CopyManifest.File {
        let finalPath = directory + "/" + name
        let partialPath = finalPath + ".partial"
        let listedKB = list.files.first { $0.name == name }?.sizeKB

        // Renamed into place by an earlier run that stopped before the manifest: checked then.
        if FileManager.default.fileExists(atPath: finalPath) {
            let size = (try? FileManager.default.attributesOfItem(atPath: finalPath)[.size] as? NSNumber)?.int64Value ?? -1
            if let listedKB, !StorageChecks.lengthMatches(size, listedKB: listedKB) {
                throw CopyError(.destination, "\(finalPath) is in the way: \(size) bytes where the listing says \(listedKB) kB", file: name)
            }
            stats.reused += size
            unlink(partialPath)
            return CopyManifest.File(name: name, bytes: size, sha256: try CopyVerifier.sha256(of: finalPath))
        }

        var (fd, offset) = try SecureFiles.openForAppend(partialPath)
        defer { if fd >= 0 { close(fd) } }
        var digests = Digests()
        if offset > 0 {
            try CopyVerifier.read(partialPath, limit: offset) { digests.update($0) }
            stats.reused += offset
            logger.debug("resuming a partial file", metadata: ["file": "\(name)", "bytes_on_disk": "\(offset)"])
        }
        func restart() throws(CopyError) {
            try SecureFiles.truncate(fd, to: 0, path: partialPath)
            offset = 0
            digests = Digests()
        }
        func discard(_ message: String) -> CopyError {
            close(fd)
            fd = -1
            unlink(partialPath)
            return CopyError(.content, message + "; the partial file was removed", file: name)
        }

        var failuresInARow = 0
        var refreshes = 0
        var checksumRetries = 0
        var lastFailure = ""
        var limiter = configuration.bandwidthBytesPerSecond.map { BandwidthLimiter(bytesPerSecond: $0) }

        while true {
            try Task.checkCancellation()
            if failuresInARow >= configuration.attemptsWithoutProgress {
                throw CopyError(
                    .transfer, "gave up after \(failuresInARow) failed attempts in a row (last: \(lastFailure)); \(offset) bytes kept for the next run",
                    file: name)
            }
            if failuresInARow > 0 { try await sleep(backoff(failuresInARow)) }
            guard let file = list.files.first(where: { $0.name == name }) else {
                throw CopyError(.links, "the fresh listing of backup \(backupID) no longer names this file", file: name)
            }
            if let expires = file.linkExpiresAt, expires <= now(), refreshes < configuration.linkRefreshes {
                refreshes += 1
                stats.refreshes += 1
                list = try await fetchLinks(links, backupID: backupID)
                continue
            }
            var headers: [(name: String, value: String)] = [("Accept-Encoding", "identity")]
            if offset > 0 { headers.append(("Range", "bytes=\(offset)-")) }
            stats.requests += 1
            let response: HTTPStreamResponse
            do {
                response = try await transport.stream(url: file.downloadLink.reveal(), headers: headers, deadline: configuration.transferDeadline)
            } catch {
                if Task.isCancelled { throw CancellationError() }
                lastFailure = error.message
                failuresInARow += 1
                continue
            }
            switch response.status {
            case 200, 206:
                break
            case 401, 403:
                guard refreshes < configuration.linkRefreshes else {
                    throw CopyError(
                        .transfer, "the storage refused the link (HTTP \(response.status)) after \(refreshes) fresh links; \(offset) bytes kept",
                        file: name)
                }
                refreshes += 1
                stats.refreshes += 1
                logger.info(
                    "download link refused, asking for fresh links",
                    metadata: ["file": "\(name)", "status": "\(response.status)", "host": "\(file.downloadLink.host ?? "-")"])
                list = try await fetchLinks(links, backupID: backupID)
                continue
            case 416:
                lastFailure = "HTTP 416 for a range from byte \(offset)"
                failuresInARow += 1
                try restart()
                continue
            case 408, 429, 500...599:
                lastFailure = "HTTP \(response.status)"
                failuresInARow += 1
                continue
            default:
                throw CopyError(.transfer, "the storage answered HTTP \(response.status); \(offset) bytes kept", file: name)
            }

            var start: Int64 = 0
            var total: Int64?
            if response.status == 206 {
                guard let range = StorageChecks.contentRange(response.headers), let first = range.start else {
                    lastFailure = "a partial answer without a readable Content-Range"
                    failuresInARow += 1
                    continue
                }
                start = first
                total = range.total
            } else {
                total = response.headers.first(name: "Content-Length").flatMap { Int64($0) }
            }
            if start != offset {
                if start == 0 {
                    try restart()  // the storage ignored Range: take the whole file again
                } else {
                    lastFailure = "the storage answered from byte \(start) where \(offset) was asked"
                    failuresInARow += 1
                    continue
                }
            }
            if let total, let listedKB, !StorageChecks.lengthMatches(total, listedKB: listedKB) {
                throw discard("the storage holds \(total) bytes where the listing says \(listedKB) kB")
            }
            let expectedMD5 = StorageChecks.md5(fromETag: response.headers.first(name: "ETag"))
            if expectedMD5 == nil { digests.md5 = nil }

            var gained: Int64 = 0
            do {
                for try await chunk in response.body {
                    try Task.checkCancellation()
                    let count = chunk.readableBytes
                    try chunk.withUnsafeReadableBytes { (raw) throws(CopyError) in
                        try SecureFiles.writeAll(fd, raw, path: partialPath)
                        digests.update(raw)
                    }
                    offset += Int64(count)
                    gained += Int64(count)
                    stats.fetched += Int64(count)
                    progress?(name, offset)
                    if var current = limiter {
                        let wait = current.reserve(count, now: uptime())
                        limiter = current
                        if wait > 0 { try await sleep(.nanoseconds(Int64(wait * 1e9))) }
                    }
                }
            } catch let error as CopyError {
                throw error
            } catch {
                if Task.isCancelled || error is CancellationError { throw CancellationError() }
                lastFailure = HTTPTransport.failure(describing: error).message
                failuresInARow = gained > 0 ? 0 : failuresInARow + 1
                logger.debug("transfer broke, resuming", metadata: ["file": "\(name)", "bytes_on_disk": "\(offset)", "reason": "\(lastFailure)"])
                continue
            }
            if let total, offset < total {
                lastFailure = "the answer ended after \(offset) of \(total) bytes"
                failuresInARow = gained > 0 ? 0 : failuresInARow + 1
                continue
            }
            if let total, offset > total {
                throw discard("\(offset) bytes arrived where \(total) were announced")
            }
            if let listedKB, !StorageChecks.lengthMatches(offset, listedKB: listedKB) {
                throw discard("\(offset) bytes arrived where the listing says \(listedKB) kB")
            }
            let md5 = digests.md5.map { StorageChecks.hex($0.finalize()) }
            if let expectedMD5, let md5, md5 != expectedMD5 {
                guard checksumRetries < configuration.checksumRetries else {
                    throw discard("the MD5 of what arrived (\(md5)) is not the storage's ETag (\(expectedMD5)) after \(checksumRetries + 1) downloads")
                }
                checksumRetries += 1
                lastFailure = "MD5 mismatch"
                logger.info("MD5 mismatch, downloading the file again", metadata: ["file": "\(name)"])
                try restart()
                continue
            }
            try SecureFiles.sync(fd, path: partialPath)
            close(fd)
            fd = -1
            try SecureFiles.renameIntoPlace(partialPath, finalPath)
            return CopyManifest.File(
                name: name, bytes: offset, sha256: StorageChecks.hex(digests.sha256.finalize()), md5: expectedMD5 == nil ? nil : md5)
        }
    }

    func backoff(_ failures: Int) -> Duration {
        let factor = 1 << min(max(0, failures - 1), 16)
        return min(configuration.retryDelay * factor, configuration.maxRetryDelay)
    }
}

extension Duration {
    /// Seconds as a Double.
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
