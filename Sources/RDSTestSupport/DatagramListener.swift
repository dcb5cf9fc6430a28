import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real AF_UNIX SOCK_DGRAM socket standing in for systemd's notify socket.
public final class DatagramListener: @unchecked Sendable {
    public let fd: Int32
    /// The address as NOTIFY_SOCKET spells it ("/path" or "@abstract").
    public let address: String
    private let path: String?

    /// Binds a file system socket in a fresh temp directory, or an abstract one.
    public init(abstract: Bool = false) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var bytes: [UInt8]
        if abstract {
            address = "@rds-backupd-test-\(UUID().uuidString)"
            path = nil
            bytes = Array(address.utf8)
            bytes[0] = 0
        } else {
            let dir = URL(fileURLWithPath: TestScratch.path("sdnotify"))
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            address = dir.appendingPathComponent("notify").path
            path = address
            bytes = Array(address.utf8) + [0]
        }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard rc == 0 else { close(fd); throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    }

    /// The next queued datagram, or nil when none is queued (never blocks: a send to a bound
    /// datagram socket is queued before the sender's call returns).
    public func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        guard n >= 0 else { return nil }
        return String(decoding: buffer[..<n], as: UTF8.self)
    }

    /// Every queued datagram, in order.
    public func receiveAll() -> [String] {
        var messages: [String] = []
        while let message = receive() { messages.append(message) }
        return messages
    }

    /// Collects datagrams until one satisfies `done` or `timeout` passes (a real process is being
    /// awaited, so this polls the socket briefly instead of sleeping for a fixed time).
    public func collect(until done: ([String]) -> Bool, timeout: Duration) async -> [String] {
        var messages: [String] = []
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            messages += receiveAll()
            if done(messages) { return messages }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return messages + receiveAll()
    }

    deinit {
        close(fd)
        if let path { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
    }
}
