import Foundation
import Logging

/// The simulator's behaviour, independent of the socket: records, faults and route handling.
final class SimulatorCore: Sendable {
    let clock: SimulatorClock
    let state: Locked<SimState>
    /// `http://host:port`, known once bound; used for catalog URLs.
    let baseURL = Locked("http://127.0.0.1:0")
    let logger: Logger
    /// Where the download links of `backup-files` point.
    let objectStorage: SimulatedObjectStorage

    init(configuration: SimulatorConfiguration, clock: SimulatorClock, logger: Logger) {
        self.clock = clock
        self.objectStorage = SimulatedObjectStorage(clock: clock)
        self.logger = logger
        self.state = Locked(SimState(configuration: configuration, instances: configuration.instances))
    }

    /// Records the request and picks the fault that applies to it.
    func begin(_ request: SimRequest) -> Plan {
        let match = RouteMatch(method: request.method, segments: request.segments)
        let now = clock.now()
        return state.withLock { state in
            var fault = state.popFault(for: match.route)
            if fault == nil, let retryAfter = state.throttle(route: match.route, now: now) {
                fault = .throttled(retryAfter: retryAfter)
            }
            if fault == .expireAllTokens {
                for key in state.tokens.keys { state.tokens[key]?.revoked = true }
            }
            let record = RecordedRequest(
                requestID: RandomID.hex32(), method: request.method, path: request.path, query: request.query,
                route: match.route, status: nil, auth: .none, fault: fault, receivedAt: now)
            state.requests.append(record)
            return Plan(index: state.requests.count - 1, requestID: record.requestID, match: match, fault: fault)
        }
    }

    /// Handles the request for real (auth, validation, state change).
    func handle(_ request: SimRequest, plan: Plan) -> SimResponse {
        let now = clock.now()
        let base = baseURL.withLock { $0 }
        return state.withLock { state in
            let exchange = Exchange(request: request, plan: plan, now: now, baseURL: base)
            switch plan.match {
            case .token:
                return TokenRoute.issue(&state, exchange)
            case .identityVersion:
                return TokenRoute.version(exchange)
            case .iamProjects:
                return Authenticator.authenticate(&state, exchange, projectID: state.configuration.projectID)
                    ?? IAMRoutes.projects(&state, exchange)
            case .iamCatalog:
                let projectID = exchange.request.header("X-Project-Id") ?? state.configuration.projectID
                return Authenticator.authenticate(&state, exchange, projectID: projectID)
                    ?? IAMRoutes.catalog(&state, exchange)
            case .metadataSecurityKey:
                return IAMRoutes.securityKey(&state, exchange)
            case .createBackup(let projectID):
                return Authenticator.authenticate(&state, exchange, projectID: projectID)
                    ?? BackupRoutes.create(&state, exchange)
            case .listBackups(let projectID):
                return Authenticator.authenticate(&state, exchange, projectID: projectID)
                    ?? BackupRoutes.list(&state, exchange)
            case .deleteBackup(let projectID, let backupID):
                return Authenticator.authenticate(&state, exchange, projectID: projectID)
                    ?? BackupRoutes.delete(&state, exchange, backupID: backupID)
            case .listInstances(let projectID):
                return Authenticator.authenticate(&state, exchange, projectID: projectID)
                    ?? InstanceRoutes.list(&state, exchange)
            case .instanceTags(let projectID, let instanceID):
                return Authenticator.authenticate(&state, exchange, projectID: projectID)
                    ?? InstanceRoutes.tags(&state, exchange, instanceID: instanceID)
            case .backupFiles(let projectID):
                return Authenticator.authenticate(&state, exchange, projectID: projectID)
                    ?? BackupFileRoutes.files(&state, exchange, storage: objectStorage)
            case .unknown:
                return .gatewayError(
                    404, "APIG.0101", "The API does not exist or has not been published in the environment",
                    requestID: plan.requestID)
            }
        }
    }

    /// The answer of a fault that replaces handling (5xx, 429).
    func faultResponse(_ fault: SimulatedFault, plan: Plan) -> SimResponse? {
        switch fault {
        case .serverError(let status) where status == 502:
            // A load balancer's page, not JSON: clients must not assume every body parses.
            let html = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>\n"
            return SimResponse(status: 502, headers: [(name: "Content-Type", value: "text/html")], body: Array(html.utf8))
        case .serverError(let status):
            return .rdsError(status, "DBS.108000", "Server failure.")
        case .apiError(let status, let code, let message):
            return .rdsError(status, code, message)
        case .throttled(let retryAfter):
            var response = SimResponse.gatewayError(
                429, "APIG.0308", "The throttling threshold has been reached: policy user over ratelimit,limit:10,time:1 minute",
                requestID: plan.requestID)
            response.headers.append((name: "Retry-After", value: String(retryAfter)))
            return response
        default:
            return nil
        }
    }

    /// Stores the status that went out (nil: closed without an answer) and adds the common headers.
    func finish(_ plan: Plan, response: SimResponse?) -> SimResponse? {
        let record = state.withLock { state in
            state.requests[plan.index].status = response?.status
            return state.requests[plan.index]
        }
        logger.debug(
            "simulator request",
            metadata: [
                "method": "\(record.method)", "path": "\(record.path)",
                "status": "\(response.map { String($0.status) } ?? "closed")", "request_id": "\(plan.requestID)",
                "fault": "\(plan.fault.map { String(describing: $0) } ?? "none")",
            ])
        guard var response else { return nil }
        response.headers.append((name: "X-Request-Id", value: plan.requestID))
        return response
    }
}
