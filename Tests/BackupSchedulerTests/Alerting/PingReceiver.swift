import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A loopback HTTP receiver for pings: records every request; answers with a status, or never
/// (a dead receiver: it reads the request and keeps the connection open without a word).
final class PingReceiver: Sendable {
    struct Received: Sendable, Equatable {
        var method: String
        var path: String
        var contentType: String?
        var body: String
    }

    enum Mode: Sendable {
        case answer(status: Int)
        case silent
    }

    /// What the handlers (on event loops) saw.
    final class Log: Sendable {
        let items = Mutex<[Received]>([])
    }

    private let channel: any Channel
    private let log: Log
    let port: Int

    private init(channel: any Channel, log: Log) {
        self.channel = channel
        self.log = log
        port = channel.localAddress?.port ?? 0
    }

    /// Starts a receiver on 127.0.0.1 with a free port.
    static func start(_ mode: Mode = .answer(status: 200)) async throws -> PingReceiver {
        let log = Log()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(ReceiverHandler(mode: mode, log: log))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return PingReceiver(channel: channel, log: log)
    }

    /// The URL of `path` on this receiver.
    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    var received: [Received] { log.items.withLock { $0 } }

    /// Waits (bounded, 5 s) until `count` requests arrived; returns what arrived by then.
    func waitFor(_ count: Int) async -> [Received] {
        let deadline = ContinuousClock.now + .seconds(30)
        while received.count < count && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(2))
        }
        return received
    }

    func stop() async { try? await channel.close() }
}

final class ReceiverHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let mode: PingReceiver.Mode
    let log: PingReceiver.Log
    var head: HTTPRequestHead?
    var body = ""

    init(mode: PingReceiver.Mode, log: PingReceiver.Log) {
        self.mode = mode
        self.log = log
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            head = request
            body = ""
        case .body(var buffer):
            body += buffer.readString(length: buffer.readableBytes) ?? ""
        case .end:
            guard let request = head else { return }
            let item = PingReceiver.Received(
                method: request.method.rawValue, path: request.uri, contentType: request.headers.first(name: "Content-Type"),
                body: body)
            log.items.withLock { $0.append(item) }
            guard case .answer(let status) = mode else { return }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Length", value: "2")
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: .init(statusCode: status), headers: headers))),
                promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: "OK")))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
