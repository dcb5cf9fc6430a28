import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Serves the metrics at `GET /metrics` on a loopback address (`metrics.listen`): a minimal
/// HTTP/1.1 server on swift-nio, for a Prometheus or agent on the same host. Only loopback
/// addresses are accepted (the schedule parser refuses others, and so does `start`).
public final class MetricsListener: Service, Sendable {
    private let address: LoopbackAddress
    private let recorder: MetricsRecorder
    private let logger: Logger
    private let channel = Mutex<(any Channel)?>(nil)

    public init(address: LoopbackAddress, recorder: MetricsRecorder, logger: Logger) {
        self.address = address
        self.recorder = recorder
        self.logger = logger
    }

    /// Binds the socket; returns the port actually bound (useful with port 0).
    @discardableResult
    public func start() async throws -> Int {
        guard LoopbackAddress.isLoopback(address.host) else {
            throw MetricsListenerError(message: "\(address) is not a loopback address; the metrics listener binds only 127.0.0.0/8 or ::1")
        }
        let recorder = self.recorder
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 16)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(render: { recorder.render() }))
                }
            }
            .childChannelOption(.maxMessagesPerRead, value: 1)
        let bound: any Channel
        do {
            bound = try await bootstrap.bind(host: address.host, port: address.port).get()
        } catch {
            throw MetricsListenerError(message: "cannot listen on \(address) for metrics: \(error)")
        }
        channel.withLock { $0 = bound }
        let port = bound.localAddress?.port ?? address.port
        logger.info("serving metrics at http://\(LoopbackAddress(host: address.host, port: port))/metrics")
        return port
    }

    /// Closes the listening socket (connections in flight finish their answer).
    public func stop() async {
        let bound = channel.withLock { current -> (any Channel)? in
            defer { current = nil }
            return current
        }
        try? await bound?.close()
    }

    /// As a `Service`: binds (unless `start` was called), serves until graceful shutdown or
    /// cancellation, closes.
    public func run() async throws {
        if channel.withLock({ $0 == nil }) { try await start() }
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                let closed = channel.withLock { $0?.closeFuture }
                try? await closed?.get()
            } onGracefulShutdown: {
                Task { await self.stop() }
            }
        } onCancel: {
            Task { await self.stop() }
        }
    }
}

/// Why the listener could not start.
public struct MetricsListenerError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Answers `GET /metrics` (and `HEAD`) with the text format; 404 for other paths, 405 for other methods.
final class MetricsHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let render: @Sendable () -> String
    private var head: HTTPRequestHead?

    init(render: @escaping @Sendable () -> String) { self.render = render }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            head = request
        case .body:
            break
        case .end:
            guard let request = head else { return }
            head = nil
            respond(to: request, context: context)
        }
    }

    private func respond(to request: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = request.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.uri
        let status: HTTPResponseStatus
        var body: String
        var contentType = "text/plain; charset=utf-8"
        if request.method != .GET && request.method != .HEAD {
            (status, body) = (.methodNotAllowed, "only GET /metrics\n")
        } else if path != "/metrics" {
            (status, body) = (.notFound, "metrics are at /metrics\n")
        } else {
            (status, body) = (.ok, render())
            contentType = "text/plain; version=0.0.4; charset=utf-8"
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: "\(body.utf8.count)")
        if status == .methodNotAllowed { headers.add(name: "Allow", value: "GET, HEAD") }
        if request.method == .HEAD { body = "" }
        // One answer per connection: scrapes are seconds apart, and nothing lingers after `stop()`.
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        if !body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [channel = context.channel] _ in
            channel.close(promise: nil)
        }
    }
}
