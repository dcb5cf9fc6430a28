import OffsiteCopy
import Testing

@Suite struct BandwidthLimiterTests {
    @Test func theBurstPassesThenTheRateHolds() {
        var limiter = BandwidthLimiter(bytesPerSecond: 1000, burstBytes: 500)
        #expect(limiter.reserve(500, now: 0) == 0)
        #expect(limiter.reserve(250, now: 0) == 0.25)
        // After waiting the 0.25 s the bucket is empty again; 1 s later it holds 500 (the burst), not 1000.
        #expect(limiter.reserve(0, now: 0.25) == 0)
        #expect(limiter.reserve(1000, now: 1.25) == 0.5)
    }

    @Test func averageRateOverManyChunks() {
        var limiter = BandwidthLimiter(bytesPerSecond: 1_000_000)
        var now = 0.0
        for _ in 0..<1000 { now += limiter.reserve(65_536, now: now) }
        #expect(abs(now - (65_536_000 - 250_000) / 1_000_000) < 1e-6, "65.5 MB at 1 MB/s after a 250 kB burst")
    }
}
