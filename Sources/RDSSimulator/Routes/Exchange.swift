import Foundation

/// What the server does with one request, decided when it arrives.
struct Plan: Sendable {
    var index: Int
    var requestID: String
    var match: RouteMatch
    var fault: SimulatedFault?
}

/// One request in the hands of a route.
struct Exchange {
    var request: SimRequest
    var plan: Plan
    var now: Date
    var baseURL: String
}
