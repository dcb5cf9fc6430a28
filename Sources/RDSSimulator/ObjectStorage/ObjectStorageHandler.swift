import Foundation
import NIOCore
import NIOHTTP1

/// One connection of the simulated object storage: answers download requests and streams bodies
/// as the socket takes them (bounded memory for any object size), applying the injected fault.
final class ObjectStorageHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let chunkBytes = 64 * 1024

    private struct Streaming {
        var plan: SimulatedObjectStorage.StreamPlan
        var position: Int64
        var sent: Int64 = 0
        var keepAlive: Bool
        var waiting = false
    }

    private let storage: SimulatedObjectStorage
    private var head: HTTPRequestHead?
    private var streaming: Streaming?

    init(storage: SimulatedObjectStorage) {
        self.storage = storage
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head, streaming == nil else { return }
            self.head = nil
            respond(head, context: context)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { pump(context) }
        context.fireChannelWritabilityChanged()
    }

    private func respond(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let answer = storage.answer(method: head.method.rawValue, uri: head.uri, rangeHeader: head.headers.first(name: "Range"))
        switch answer {
        case .error(let status, let code, let message, let key):
            let body = Array(
                """
                <?xml version="1.0" encoding="UTF-8"?>
                <Error><Code>\(code)</Code><Message>\(message)</Message><Key>\(key)</Key><RequestId>\(RandomID.hex32())</RequestId></Error>
                """.utf8)
            var headers = HTTPHeaders([("Content-Type", "application/xml"), ("Content-Length", String(body.count))])
            if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .init(statusCode: status), headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
            let keepAlive = head.isKeepAlive
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                if !keepAlive { context.close(promise: nil) }
            }
        case .stream(let plan):
            var headers = HTTPHeaders(plan.headers)
            if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .init(statusCode: plan.status), headers: headers))), promise: nil)
            streaming = Streaming(plan: plan, position: plan.start, keepAlive: head.isKeepAlive)
            pump(context)
        }
    }

    /// Writes body chunks while the socket takes them; continues on writability or after a delay.
    private func pump(_ context: ChannelHandlerContext) {
        while context.channel.isActive, var current = streaming, !current.waiting {
            let plan = current.plan
            var limit = plan.end
            var endsEarly: StorageFault?
            switch plan.fault {
            case .reset(let after), .truncate(let after):
                if plan.start + after < limit {
                    limit = plan.start + max(0, after)
                    endsEarly = plan.fault
                }
            default: break
            }
            if current.position >= limit {
                streaming = nil
                finish(context, keepAlive: current.keepAlive, endsEarly: endsEarly)
                return
            }
            guard context.channel.isWritable else {
                context.flush()
                return
            }
            var chunk = Self.chunkBytes
            var delay: Double?
            if case .slowBody(let bytes, let seconds) = plan.fault {
                chunk = max(1, bytes)
                delay = seconds
            }
            let count = Int(min(Int64(chunk), limit - current.position))
            var buffer = context.channel.allocator.buffer(capacity: count)
            let start = current.position
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { raw in
                plan.content.fill(UnsafeMutableRawBufferPointer(rebasing: raw[0..<count]), from: start)
            }
            if case .corruptByte(let offset) = plan.fault, offset >= start, offset < start + Int64(count) {
                let index = buffer.readerIndex + Int(offset - start)
                buffer.setInteger(~(buffer.getInteger(at: index, as: UInt8.self) ?? 0), at: index)
            }
            current.position += Int64(count)
            current.sent += Int64(count)
            storage.recordBody(Int64(count), servedIndex: plan.servedIndex)
            if let delay {
                let capped = min(max(0, delay), storage.maxInjectedDelay)
                current.waiting = true
                streaming = current
                context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
                context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(capped * 1e9))) {
                    self.streaming?.waiting = false
                    self.pump(context)
                }
                return
            }
            streaming = current
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        if !context.channel.isActive { streaming = nil }
    }

    private func finish(_ context: ChannelHandlerContext, keepAlive: Bool, endsEarly: StorageFault?) {
        switch endsEarly {
        case .reset:
            context.flush()
            if let options = context.channel as? SocketOptionProvider {
                _ = options.setSoLinger(linger(l_onoff: 1, l_linger: 0))
            }
            context.close(promise: nil)
        case .truncate:
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(capacity: 0))))).assumeIsolated()
                .whenComplete { _ in context.close(promise: nil) }
        default:
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                if !keepAlive { context.close(promise: nil) }
            }
        }
    }
}
