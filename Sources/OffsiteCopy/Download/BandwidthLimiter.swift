/// A token bucket over bytes: `bytesPerSecond` on average, at most `burstBytes` at once. Pure:
/// the caller passes the time (seconds on a monotonic clock) and sleeps the delay it gets back.
public struct BandwidthLimiter: Sendable, Equatable {
    public let bytesPerSecond: Double
    public let burstBytes: Double
    private var available: Double
    private var lastTime: Double?

    /// `burstBytes` defaults to a quarter second's worth (at least 64 KiB).
    public init(bytesPerSecond: Int64, burstBytes: Int64? = nil) {
        self.bytesPerSecond = Double(max(1, bytesPerSecond))
        self.burstBytes = Double(burstBytes ?? max(64 * 1024, bytesPerSecond / 4))
        self.available = self.burstBytes
    }

    /// Takes `bytes` at time `now`; returns how many seconds to wait before going on (0: none).
    public mutating func reserve(_ bytes: Int, now: Double) -> Double {
        if let lastTime { available = min(burstBytes, available + max(0, now - lastTime) * bytesPerSecond) }
        lastTime = now
        available -= Double(bytes)
        return available >= 0 ? 0 : -available / bytesPerSecond
    }
}
