/// A per-instance delay derived from the instance id, so restarts and other hosts agree on it.
///
/// The offset is FNV-1a (64-bit) of the instance id's UTF-8 bytes, modulo the jitter in whole
/// seconds: never a fresh random draw, so a restart does not move a slot. Every entry of one
/// instance gets the same offset. Jitter delays when a slot runs; the slot's identity and name stay
/// its cron instant.
public enum StableJitter {
    /// The offset for `instanceID` within `[0, jitter)`, in whole seconds; zero when jitter is zero.
    public static func offset(instanceID: String, jitter: Duration) -> Duration {
        let seconds = jitter.components.seconds
        guard seconds > 0 else { return .zero }
        return .seconds(Int64(fnv1a(instanceID) % UInt64(seconds)))
    }

    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
