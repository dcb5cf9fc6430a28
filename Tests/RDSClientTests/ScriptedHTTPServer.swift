import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A request as the scripted server saw it.
struct ScriptedRequest: Sendable {
    var method: String
    /// Path without the query.
    var path: String
    var query: [String: String]
    var headers: [String: String]
}

/// What the scripted server writes back. Everything is written as raw bytes, so an answer can lie
/// about its length, stop half way or carry bytes no well-behaved server would send.
enum ScriptedResponse: Sendable {
    /// A complete HTTP/1.1 answer with `Content-Length` and `Connection: close`.
    case http(status: Int, headers: [(String, String)] = [], body: [UInt8])
    /// These bytes and nothing else, then the connection is closed.
    case raw([UInt8])
    /// These bytes, then nothing: the connection stays open until the client gives up.
    case rawThenStall([UInt8])

    static func json(_ status: Int, _ text: String, headers: [(String, String)] = []) -> ScriptedResponse {
        .http(status: status, headers: [("Content-Type", "application/json")] + headers, body: Array(text.utf8))
    }

    var bytes: [UInt8] {
        switch self {
        case .raw(let bytes), .rawThenStall(let bytes):
            return bytes
        case .http(let status, let headers, let body):
            var head = "HTTP/1.1 \(status) Scripted\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
            for (name, value) in headers { head += "\(name): \(value)\r\n" }
            head += "\r\n"
            return Array(head.utf8) + body
        }
    }
}

/// A loopback HTTP(S) server that answers every request from a script, for tests of how the client
/// copes with answers the simulator would never give (truncated, lying, huge, not UTF-8) and of TLS.
///
/// It reads a request head (and a `Content-Length` body), asks the script, writes the answer's raw
/// bytes and closes the connection. One connection, one request.
final class ScriptedHTTPServer: Sendable {
    typealias Script = @Sendable (ScriptedRequest) -> ScriptedResponse

    private let channel: any Channel
    private let seen: Mutex<[ScriptedRequest]>
    /// TLS handshakes the server saw fail (a refused certificate shows here).
    private let failedHandshakes: Mutex<Int>
    let port: Int

    private init(channel: any Channel) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
        self.seen = Mutex([])
        self.failedHandshakes = Mutex(0)
    }

    /// Every request answered so far.
    var requests: [ScriptedRequest] { seen.withLock { $0 } }
    var handshakeFailures: Int { failedHandshakes.withLock { $0 } }

    /// Starts on 127.0.0.1, plain HTTP or TLS with `tls`, and runs `body`; always stops the server.
    static func with<T>(
        tls: TLSConfiguration? = nil, script: @escaping Script, _ body: (ScriptedHTTPServer) async throws -> T
    ) async throws -> T {
        let sslContext = try tls.map { try NIOSSLContext(configuration: $0) }
        let log = SharedLog()
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
                    }
                    try channel.pipeline.syncOperations.addHandler(RawExchangeHandler(script: script, log: log))
                }
            }
        let channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        let server = ScriptedHTTPServer(channel: channel)
        log.server.withLock { $0 = server }
        do {
            let result = try await body(server)
            try await channel.close()
            return result
        } catch {
            try? await channel.close()
            throw error
        }
    }

    fileprivate func record(_ request: ScriptedRequest) { seen.withLock { $0.append(request) } }
    fileprivate func recordHandshakeFailure() { failedHandshakes.withLock { $0 += 1 } }

    /// Lets the child handlers report to the server object, which exists only after binding.
    fileprivate final class SharedLog: Sendable {
        let server = Mutex<ScriptedHTTPServer?>(nil)
    }

    /// Collects one request's bytes, answers from the script, closes.
    private final class RawExchangeHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        let script: Script
        let log: SharedLog
        var received: [UInt8] = []
        var answered = false

        init(script: @escaping Script, log: SharedLog) {
            self.script = script
            self.log = log
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            received += buffer.readBytes(length: buffer.readableBytes) ?? []
            guard !answered, let request = Self.parse(received) else { return }
            answered = true
            log.server.withLock { $0?.record(request) }
            let response = script(request)
            let bytes = response.bytes
            var out = context.channel.allocator.buffer(capacity: bytes.count)
            out.writeBytes(bytes)
            let channel = context.channel
            if case .rawThenStall = response {
                context.writeAndFlush(wrapOutboundOut(out), promise: nil)
            } else {
                context.writeAndFlush(wrapOutboundOut(out)).whenComplete { _ in channel.close(promise: nil) }
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            if error is NIOSSLError || error is BoringSSLError { log.server.withLock { $0?.recordHandshakeFailure() } }
            context.close(promise: nil)
        }

        /// The request once its head and `Content-Length` body are complete, else nil.
        static func parse(_ bytes: [UInt8]) -> ScriptedRequest? {
            let separator: [UInt8] = [13, 10, 13, 10]
            guard let end = (0..<max(0, bytes.count - 3)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else {
                return nil
            }
            let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
            let requestLine = lines[0].split(separator: " ")
            guard requestLine.count >= 2 else { return nil }
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            let length = Int(headers["content-length"] ?? "0") ?? 0
            guard bytes.count - (end + 4) >= length else { return nil }
            let target = URLComponents(string: String(requestLine[1]))
            var query: [String: String] = [:]
            for item in target?.queryItems ?? [] { query[item.name] = item.value ?? "" }
            return ScriptedRequest(
                method: String(requestLine[0]), path: target?.path ?? String(requestLine[1]), query: query, headers: headers)
        }
    }
}
