import Foundation
import Logging
import RDSClient

/// Sends one ping, best-effort: a short timeout, a few attempts, and the outcome only logged. It
/// goes through the project's `HTTPTransport` (TLS verified, no redirects, proxies honoured).
public struct PingSender: Sendable {
    /// Settings with their defaults.
    public struct Configuration: Sendable {
        /// Connect and whole-request timeout of one attempt (5 s).
        public var timeout: Duration = .seconds(5)
        /// Attempts per ping (3); 5xx, 429 and transport failures are retried, other answers are not.
        public var attempts = 3
        /// Pause before the second attempt (1 s), doubled for each further one.
        public var backoff: Duration = .seconds(1)

        public init() {}
    }

    /// How a ping ended.
    public enum Outcome: Sendable, Equatable {
        case delivered(status: Int)
        case refused(status: Int)
        case failed(message: String)
    }

    public let configuration: Configuration
    private let transport: HTTPTransport
    private let sleep: @Sendable (Duration) async throws -> Void

    /// `sleep` waits between attempts (tests pass one that returns at once).
    public init(
        configuration: Configuration = .init(), environment: [String: String] = ProcessInfo.processInfo.environment,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) throws(ClientConfigurationError) {
        self.configuration = configuration
        var transportConfiguration = HTTPTransport.Configuration()
        transportConfiguration.connectTimeout = configuration.timeout
        transportConfiguration.requestTimeout = configuration.timeout
        transportConfiguration.maxResponseBytes = 64 * 1024
        transport = try HTTPTransport(configuration: transportConfiguration, environment: environment)
        self.sleep = sleep
    }

    /// POSTs `body` (text/plain) to `url`; `attempts` overrides the configured number (1 while shutting down).
    public func send(_ url: PingURL, body: String, attempts: Int? = nil) async -> Outcome {
        let spec = HTTPRequestSpec(
            method: .POST, url: url.reveal(), headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array(body.utf8))
        var outcome = Outcome.failed(message: "not sent")
        let total = max(1, attempts ?? configuration.attempts)
        for attempt in 1...total {
            if attempt > 1 {
                let delay = configuration.backoff * (1 << min(attempt - 2, 8))
                do { try await sleep(delay) } catch { return outcome }
            }
            do {
                let response = try await transport.send(spec)
                if (200..<300).contains(response.status) { return .delivered(status: response.status) }
                outcome = .refused(status: response.status)
                guard response.status >= 500 || response.status == 429 else { return outcome }
            } catch {
                outcome = .failed(message: Self.scrub(error.message, url: url))
            }
            if Task.isCancelled { return outcome }
        }
        return outcome
    }

    /// Closes the connection pools. Call once, when done.
    public func shutdown() async {
        try? await transport.shutdown()
    }

    /// A transport message with the URL and its path replaced, in case a library quoted it.
    static func scrub(_ message: String, url: PingURL) -> String {
        var text = message.replacingOccurrences(of: url.reveal(), with: url.redacted)
        if let path = URLComponents(string: url.reveal())?.percentEncodedPath, path.count > 1 {
            text = text.replacingOccurrences(of: path, with: "/<redacted>")
        }
        return text
    }
}
