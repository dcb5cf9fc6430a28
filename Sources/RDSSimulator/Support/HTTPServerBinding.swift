import NIOCore
import NIOHTTP1
import NIOPosix

/// How the simulator's two servers (the API, the object storage) bind: an HTTP/1.1 pipeline with
/// NIO's error handling and one handler of their own per connection.
enum HTTPServerBinding {
    /// Binds `host:port` (0: an ephemeral port) on `group`; a failure is `SimulatorError.bindFailed`.
    static func bind(
        host: String, port: Int, group: any EventLoopGroup, backlog: Int32,
        handler: @escaping @Sendable () -> any ChannelHandler
    ) async throws -> Channel {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: backlog)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(handler())
                }
            }
        do {
            return try await bootstrap.bind(host: host, port: port).get()
        } catch {
            throw SimulatorError.bindFailed(host: host, port: port, reason: "\(error)")
        }
    }

    /// The host URLs name: a wildcard bind is advertised as loopback, so catalog URLs and download
    /// links are reachable.
    static func advertised(_ host: String) -> String {
        host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
    }
}
