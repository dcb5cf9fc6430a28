import Foundation
import RDSSimulator
import Testing

/// The load-benchmark knobs: the gateway's rate limit (on the simulator clock) and a response latency.
@Suite struct RateLimitAndLatencyTests {
    @Test func requestsBeyondTheBurstAnswer429WithRetryAfterUntilTheBucketRefills() async throws {
        try await SimulatorHarness.with({ $0.rateLimit = .init(requestsPerSecond: 2, burst: 3) }) { h async throws in
            let token = try await h.token()  // IAM is not limited
            for _ in 1...3 {
                #expect(try await h.rds(.GET, h.instancesPath, token: token).status == 200)
            }
            let throttled = try await h.create("bk_throttled", token: token)
            #expect(throttled.status == 429)
            #expect(throttled.errorCode == "APIG.0308")
            #expect(throttled.header("Retry-After") == "1")
            #expect(h.simulator.backups().isEmpty, "a throttled create is not handled")

            h.clock.advance(by: 0.5)  // one token back at 2/s
            #expect(try await h.create("bk_after_refill", token: token).status == 200)
            #expect(try await h.rds(.GET, h.instancesPath, token: token).status == 429)
            #expect(h.simulator.requests().filter { $0.status == 429 }.count == 2)
        }
    }

    @Test func retryAfterCountsWholeSecondsUntilATokenIsBack() async throws {
        try await SimulatorHarness.with({ $0.rateLimit = .init(requestsPerSecond: 0.25, burst: 1) }) { h async throws in
            let token = try await h.token()
            #expect(try await h.rds(.GET, h.instancesPath, token: token).status == 200)
            #expect(try await h.rds(.GET, h.instancesPath, token: token).header("Retry-After") == "4")
            h.clock.advance(by: 3)
            #expect(try await h.rds(.GET, h.instancesPath, token: token).header("Retry-After") == "1")
            h.clock.advance(by: 1)
            #expect(try await h.rds(.GET, h.instancesPath, token: token).status == 200)
        }
    }

    @Test func withoutARateLimitNothingIsThrottled() async throws {
        try await SimulatorHarness.with { h async throws in
            let token = try await h.token()
            for _ in 1...50 {
                #expect(try await h.rds(.GET, h.instancesPath, token: token).status == 200)
            }
        }
    }

    @Test func responseLatencyDelaysEveryAnswer() async throws {
        try await SimulatorHarness.with({ $0.responseLatency = 0.2 }) { h async throws in
            // A lower bound only: the answer cannot come sooner than the latency, however loaded the machine.
            let started = ContinuousClock.now
            let token = try await h.token()
            #expect(try await h.rds(.GET, h.instancesPath, token: token).status == 200)
            #expect(ContinuousClock.now - started >= .milliseconds(400))
        }
    }
}
