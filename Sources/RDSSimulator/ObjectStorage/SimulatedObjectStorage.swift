import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A loopback stand-in for the object storage behind `backup-files` download links: objects with
/// deterministic content of any size, time-limited signed links (403 once expired, on the
/// simulator clock), `Range` requests, `ETag` (the MD5 of the content for objects up to
/// `md5ETagLimit`, a multipart-style tag above), and injected faults mid-stream.
///
/// Counts the body bytes it sends, so a test can tell how much a client fetched again.
public final class SimulatedObjectStorage: Sendable {
    /// An object as stored.
    public struct StoredObject: Sendable, Equatable {
        public var bucket: String
        public var key: String
        public var content: DeterministicContent
        /// With quotes, as sent.
        public var etag: String
    }

    /// One download request as answered (no query, no signature).
    public struct ServedRequest: Sendable, Equatable {
        public var key: String
        /// The first byte asked for with `Range`, nil without one.
        public var rangeStart: Int64?
        public var status: Int
        /// Body bytes handed to the socket.
        public var bodyBytes: Int64
        public var fault: StorageFault?
    }

    struct Link: Sendable {
        var bucket: String
        var key: String
        var expiresAt: Date
    }

    struct State: Sendable {
        var objects: [String: StoredObject] = [:]
        /// Issued links by signature.
        var links: [String: Link] = [:]
        var faults: [(fault: StorageFault, remaining: Int)] = []
        var served: [ServedRequest] = []
        var bodyBytesServed: Int64 = 0
        var linkLifetime: TimeInterval = 3600
        var backupBytes: Int64?
        var maxInjectedDelay: TimeInterval = 120
        var md5ETagLimit: Int64 = 64 * 1024 * 1024
    }

    struct Server: Sendable {
        var channel: Channel?
        var ownGroup: MultiThreadedEventLoopGroup?
        var host = "127.0.0.1"
        var port = 0
    }

    /// The bucket the simulator's backups are stored in.
    public static let backupBucket = "rdsbucket.simulated.eu-de"

    public let clock: SimulatorClock
    let state = Locked(State())
    private let server = Locked(Server())

    public init(clock: SimulatorClock = SimulatorClock()) {
        self.clock = clock
    }

    // MARK: - Serving

    /// Binds a loopback port (0: ephemeral), on `group` when given (else on a thread of its own).
    public func start(host: String = "127.0.0.1", port: Int = 0, group: (any EventLoopGroup)? = nil) async throws {
        guard server.withLock({ $0.channel == nil }) else { throw SimulatorError.alreadyStarted }
        let ownGroup = group == nil ? MultiThreadedEventLoopGroup(numberOfThreads: 1) : nil
        let storage = self
        let channel: Channel
        do {
            channel = try await HTTPServerBinding.bind(
                host: host, port: port, group: group ?? ownGroup!, backlog: 64, handler: { ObjectStorageHandler(storage: storage) })
        } catch {
            try? await ownGroup?.shutdownGracefully()
            throw error
        }
        let advertised = HTTPServerBinding.advertised(host)
        server.withLock {
            $0.channel = channel
            $0.ownGroup = ownGroup
            $0.host = advertised
            $0.port = channel.localAddress?.port ?? port
        }
    }

    /// Stops listening. Safe to call twice.
    public func shutdown() async throws {
        let (channel, group) = server.withLock { s -> (Channel?, MultiThreadedEventLoopGroup?) in
            defer {
                s.channel = nil
                s.ownGroup = nil
            }
            return (s.channel, s.ownGroup)
        }
        try? await channel?.close()
        try await group?.shutdownGracefully()
    }

    /// `http://127.0.0.1:PORT` (port 0 before `start`).
    public var endpoint: String { server.withLock { "http://\($0.host):\($0.port)" } }

    // MARK: - Objects and links

    /// Stores an object of `size` bytes (content from the key), or returns the one already there.
    @discardableResult
    public func put(bucket: String = SimulatedObjectStorage.backupBucket, key: String, size: Int64) -> StoredObject {
        let id = bucket + "/" + key
        if let existing = state.withLock({ $0.objects[id] }) { return existing }
        let content = DeterministicContent(seed: DeterministicContent.seed(for: id), size: size)
        let limit = state.withLock { $0.md5ETagLimit }
        let etag: String
        if size <= limit {
            var md5 = Insecure.MD5()
            var offset: Int64 = 0
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            while offset < size {
                let count = chunk.withUnsafeMutableBytes { content.fill($0, from: offset) }
                md5.update(data: chunk[0..<count])
                offset += Int64(count)
            }
            etag = "\"" + md5.finalize().map { String(format: "%02x", $0) }.joined() + "\""
        } else {
            // Large uploads are multipart: the tag is not the content's MD5.
            let parts = (size + (8 << 20) - 1) / (8 << 20)
            etag = "\"" + String(format: "%016llx%016llx", content.seed, UInt64(size)) + "-\(parts)\""
        }
        let object = StoredObject(bucket: bucket, key: key, content: content, etag: etag)
        return state.withLock { s in
            if let existing = s.objects[id] { return existing }
            s.objects[id] = object
            return object
        }
    }

    /// The stored object, if any.
    public func object(bucket: String = SimulatedObjectStorage.backupBucket, key: String) -> StoredObject? {
        state.withLock { $0.objects[bucket + "/" + key] }
    }

    /// A signed link valid for `linkLifetime` from now on the simulator clock.
    public func link(bucket: String = SimulatedObjectStorage.backupBucket, key: String) -> (url: String, expiresAt: Date) {
        let expiresAt = clock.now().addingTimeInterval(state.withLock { $0.linkLifetime })
        let signature = RandomID.hex32() + RandomID.hex32()
        state.withLock { $0.links[signature] = Link(bucket: bucket, key: key, expiresAt: expiresAt) }
        let encodedKey = key.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? String($0) }
            .joined(separator: "/")
        let url = "\(endpoint)/\(bucket)/\(encodedKey)?AccessKeyId=SIMULATEDOBSKEY&Expires=\(Int(expiresAt.timeIntervalSince1970))&Signature=\(signature)"
        return (url, expiresAt)
    }

    // MARK: - Settings and faults

    /// How long a new link is valid on the simulator clock (default 1 h).
    public var linkLifetime: TimeInterval {
        get { state.withLock { $0.linkLifetime } }
        set { state.withLock { $0.linkLifetime = newValue } }
    }

    /// The total size in bytes of each backup's files as the `backup-files` route publishes them;
    /// nil: the backup's listed size (`size` kB × 1024).
    public var backupBytes: Int64? {
        get { state.withLock { $0.backupBytes } }
        set { state.withLock { $0.backupBytes = newValue } }
    }

    /// Objects up to this size get their MD5 as `ETag`; larger ones a multipart-style tag.
    public var md5ETagLimit: Int64 {
        get { state.withLock { $0.md5ETagLimit } }
        set { state.withLock { $0.md5ETagLimit = newValue } }
    }

    /// Injected delays are capped at this many seconds.
    public var maxInjectedDelay: TimeInterval {
        get { state.withLock { $0.maxInjectedDelay } }
        set { state.withLock { $0.maxInjectedDelay = newValue } }
    }

    /// The next `count` download requests show `fault` (after faults injected before).
    public func inject(_ fault: StorageFault, count: Int = 1) {
        guard count > 0 else { return }
        state.withLock { $0.faults.append((fault, count)) }
    }

    /// Faults still queued.
    public var pendingFaults: Int { state.withLock { $0.faults.reduce(0) { $0 + $1.remaining } } }

    /// Every download request answered so far, in order.
    public func servedRequests() -> [ServedRequest] { state.withLock { $0.served } }

    /// Body bytes handed to sockets since start (all objects).
    public var bodyBytesServed: Int64 { state.withLock { $0.bodyBytesServed } }

    // MARK: - Request handling (for the handler)

    /// What to do with one request.
    enum Answer {
        case error(status: Int, code: String, message: String, key: String)
        case stream(StreamPlan)
    }

    struct StreamPlan {
        var key: String
        var status: Int
        var headers: [(String, String)]
        var content: DeterministicContent
        /// Body range of the (possibly faulted) content.
        var start: Int64
        var end: Int64
        var rangeStart: Int64?
        var fault: StorageFault?
        var servedIndex: Int
    }

    func answer(method: String, uri: String, rangeHeader: String?) -> Answer {
        let pathPart = uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? uri
        let segments = pathPart.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        let query = uri.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
        let signature = query.split(separator: "&").compactMap { pair -> String? in
            let parts = pair.split(separator: "=", maxSplits: 1)
            return parts.count == 2 && parts[0] == "Signature" ? String(parts[1]) : nil
        }.first
        let bucket = segments.first ?? ""
        let key = segments.dropFirst().joined(separator: "/")
        let now = clock.now()
        return state.withLock { s -> Answer in
            func refuse(_ status: Int, _ code: String, _ message: String) -> Answer {
                s.served.append(ServedRequest(key: key, rangeStart: nil, status: status, bodyBytes: 0, fault: nil))
                return .error(status: status, code: code, message: message, key: key)
            }
            guard method == "GET" || method == "HEAD" else { return refuse(405, "MethodNotAllowed", "The specified method is not allowed against this resource.") }
            var fault: StorageFault?
            if !s.faults.isEmpty {
                fault = s.faults[0].fault
                s.faults[0].remaining -= 1
                if s.faults[0].remaining <= 0 { s.faults.removeFirst() }
            }
            guard let signature, let link = s.links[signature], link.bucket == bucket, link.key == key else {
                return refuse(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
            }
            if fault == .expiredLink || now > link.expiresAt {
                s.served.append(ServedRequest(key: key, rangeStart: nil, status: 403, bodyBytes: 0, fault: fault))
                return .error(status: 403, code: "AccessDenied", message: "Request has expired", key: key)
            }
            if fault == .unavailable {
                s.served.append(ServedRequest(key: key, rangeStart: nil, status: 503, bodyBytes: 0, fault: fault))
                return .error(status: 503, code: "ServiceUnavailable", message: "Please reduce your request rate.", key: key)
            }
            guard let object = s.objects[bucket + "/" + key] else {
                return refuse(404, "NoSuchKey", "The specified key does not exist.")
            }
            var content = object.content
            if case .wrongLength(let delta) = fault {
                content = DeterministicContent(seed: content.seed, size: content.size + delta)
            }
            var start: Int64 = 0
            var end = content.size
            var rangeStart: Int64?
            var status = 200
            if let rangeHeader {
                guard let range = Self.parseRange(rangeHeader, size: content.size) else {
                    s.served.append(ServedRequest(key: key, rangeStart: nil, status: 416, bodyBytes: 0, fault: fault))
                    return .error(status: 416, code: "InvalidRange", message: "The requested range cannot be satisfied.", key: key)
                }
                (start, end) = (range.lowerBound, range.upperBound)
                rangeStart = start
                status = 206
            }
            var headers: [(String, String)] = [
                ("Content-Type", "binary/octet-stream"), ("Accept-Ranges", "bytes"), ("ETag", object.etag),
                ("Content-Length", String(end - start)), ("x-obs-request-id", RandomID.hex32()),
            ]
            if status == 206 { headers.append(("Content-Range", "bytes \(start)-\(end - 1)/\(content.size)")) }
            if method == "HEAD" { end = start }
            s.served.append(ServedRequest(key: key, rangeStart: rangeStart, status: status, bodyBytes: 0, fault: fault))
            return .stream(
                StreamPlan(
                    key: key, status: status, headers: headers, content: content, start: start, end: end,
                    rangeStart: rangeStart, fault: fault, servedIndex: s.served.count - 1))
        }
    }

    /// `bytes=A-`, `bytes=A-B` or `bytes=-N` within `size`; nil when unsatisfiable or malformed.
    static func parseRange(_ text: String, size: Int64) -> Range<Int64>? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("bytes="), !trimmed.contains(",") else { return nil }
        let spec = trimmed.dropFirst("bytes=".count)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        if parts[0].isEmpty {
            guard let suffix = Int64(parts[1]), suffix > 0, size > 0 else { return nil }
            return max(0, size - suffix)..<size
        }
        guard let first = Int64(parts[0]), first >= 0, first < size else { return nil }
        if parts[1].isEmpty { return first..<size }
        guard let last = Int64(parts[1]), last >= first else { return nil }
        return first..<min(size, last + 1)
    }

    func recordBody(_ count: Int64, servedIndex: Int) {
        state.withLock {
            $0.bodyBytesServed += count
            $0.served[servedIndex].bodyBytes += count
        }
    }
}
