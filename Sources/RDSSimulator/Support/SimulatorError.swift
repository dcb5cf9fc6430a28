/// Why the simulator could not start.
public enum SimulatorError: Error, Sendable, CustomStringConvertible {
    case alreadyStarted
    case bindFailed(host: String, port: Int, reason: String)

    public var description: String {
        switch self {
        case .alreadyStarted: "the simulator is already running"
        case .bindFailed(let host, let port, let reason): "the simulator cannot listen on \(host):\(port): \(reason)"
        }
    }
}
