/// Faults drawn at random for a share of all requests (soak tests), reproducible from a seed:
/// each request, before any queued fault or rate limit applies, gets one of `faults` with
/// probability `rate`. Set with `RDSSimulator.injectRandomFaults`.
public struct RandomFaults: Sendable {
    /// The share of requests that get a fault (0...1).
    public var rate: Double
    /// The faults drawn from, uniformly.
    public var faults: [SimulatedFault]
    /// Routes that get faults; nil means every route.
    public var routes: Set<SimulatedRoute>?
    private var generator: SplitMix64

    public init(rate: Double, seed: UInt64, faults: [SimulatedFault] = RandomFaults.everyKind(delay: 0.3), routes: Set<SimulatedRoute>? = nil) {
        self.rate = rate
        self.faults = faults
        self.routes = routes
        self.generator = SplitMix64(seed: seed)
    }

    /// One of every kind of `SimulatedFault`; the delays last `delay` seconds of wall-clock time.
    public static func everyKind(delay: Double) -> [SimulatedFault] {
        [
            .serverError(status: 500), .serverError(status: 502), .serverError(status: 503), .throttled(retryAfter: 2),
            .resetBeforeHandling, .resetAfterHandling, .delayBeforeHandling(seconds: delay),
            .delayAfterHandling(seconds: delay), .malformedJSON, .expireAllTokens,
        ]
    }

    /// The fault for the next request on `route`, if it draws one.
    mutating func draw(route: SimulatedRoute?) -> SimulatedFault? {
        guard !faults.isEmpty, let route, routes?.contains(route) ?? true else { return nil }
        let roll = Double(generator.next() >> 11) / Double(1 << 53)
        guard roll < rate else { return nil }
        return faults[Int(generator.next() % UInt64(faults.count))]
    }
}

/// A small seeded generator (SplitMix64): the same seed gives the same sequence of draws.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
