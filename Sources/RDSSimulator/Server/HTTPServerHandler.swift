import Foundation
import NIOCore
import NIOHTTP1

/// One connection's HTTP/1.1 requests, handed to `SimulatorCore`, with the injected faults applied
/// at the socket: resets, delays, broken bodies, and the configured response latency.
final class HTTPServerHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// APIG refuses bodies over 12 MB (APIG.0201).
    static let maxBodyBytes = 12 * 1024 * 1024

    private let core: SimulatorCore
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var bodyTooLarge = false

    init(core: SimulatorCore) {
        self.core = core
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
            bodyTooLarge = false
        case .body(var buffer):
            if body.count + buffer.readableBytes > Self.maxBodyBytes {
                bodyTooLarge = true
            } else {
                body += buffer.readBytes(length: buffer.readableBytes) ?? []
            }
        case .end:
            guard let head else { return }
            self.head = nil
            process(head: head, context: context)
        }
    }

    private func process(head: HTTPRequestHead, context: ChannelHandlerContext) {
        let request = SimRequest(
            method: head.method.rawValue, uri: head.uri, headers: head.headers.map { (name: $0.name, value: $0.value) },
            body: body)
        body = []
        let keepAlive = head.isKeepAlive
        let version = head.version
        let core = self.core
        let plan = core.begin(request)

        if bodyTooLarge {
            let response = SimResponse.gatewayError(
                413, "APIG.0201", "Request entity too large", requestID: plan.requestID)
            write(core.finish(plan, response: response), version: version, keepAlive: false, context: context)
            return
        }

        let loop = context.eventLoop.assumeIsolated()
        let maxDelay = core.state.withLock { $0.configuration.maxInjectedDelay }
        func delay(_ seconds: Double) -> TimeAmount {
            .milliseconds(Int64(max(0, min(seconds, maxDelay)) * 1000))
        }

        switch plan.fault {
        case .resetBeforeHandling:
            _ = core.finish(plan, response: nil)
            reset(context)
        case .resetAfterHandling:
            _ = core.handle(request, plan: plan)
            _ = core.finish(plan, response: nil)
            reset(context)
        case .delayBeforeHandling(let seconds):
            loop.scheduleTask(in: delay(seconds)) {
                let response = core.finish(plan, response: core.handle(request, plan: plan))
                self.write(response, version: version, keepAlive: keepAlive, context: context)
            }
        case .delayAfterHandling(let seconds):
            let response = core.finish(plan, response: core.handle(request, plan: plan))
            loop.scheduleTask(in: delay(seconds)) {
                self.write(response, version: version, keepAlive: keepAlive, context: context)
            }
        case .malformedJSON:
            var response = core.handle(request, plan: plan)
            response.status = 200
            response.headers.removeAll { $0.name.lowercased() == "content-type" }
            response.headers.append((name: "Content-Type", value: SimResponse.jsonContentType))
            response.body = Array(#"{"backup": {"id": "8f3b2c1d"#.utf8)
            write(core.finish(plan, response: response), version: version, keepAlive: keepAlive, context: context)
        case .some(let fault):
            let response = core.faultResponse(fault, plan: plan) ?? core.handle(request, plan: plan)
            write(core.finish(plan, response: response), version: version, keepAlive: keepAlive, context: context)
        case nil:
            write(core.finish(plan, response: core.handle(request, plan: plan)), version: version, keepAlive: keepAlive, context: context)
        }
    }

    /// Sends the answer, after the configured `responseLatency` when there is one.
    private func write(_ response: SimResponse?, version: HTTPVersion, keepAlive: Bool, context: ChannelHandlerContext) {
        let latency = core.state.withLock { min($0.configuration.responseLatency, $0.configuration.maxInjectedDelay) }
        guard latency > 0 else {
            send(response, version: version, keepAlive: keepAlive, context: context)
            return
        }
        context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(latency * 1e9))) {
            self.send(response, version: version, keepAlive: keepAlive, context: context)
        }
    }

    private func send(_ response: SimResponse?, version: HTTPVersion, keepAlive: Bool, context: ChannelHandlerContext) {
        guard let response, context.channel.isActive else { return }
        var headers = HTTPHeaders(response.headers.map { ($0.name, $0.value) })
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let responseHead = HTTPResponseHead(
            version: version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
        if !response.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        }
        let done = context.writeAndFlushWithPromise(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            done.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    /// Closes with SO_LINGER 0, so the peer sees a TCP reset, not an orderly end of stream.
    private func reset(_ context: ChannelHandlerContext) {
        if let options = context.channel as? SocketOptionProvider {
            _ = options.setSoLinger(linger(l_onoff: 1, l_linger: 0))
        }
        context.close(promise: nil)
    }
}

extension ChannelHandlerContext {
    fileprivate func writeAndFlushWithPromise(_ data: NIOAny) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        writeAndFlush(data, promise: promise)
        return promise.futureResult
    }
}
