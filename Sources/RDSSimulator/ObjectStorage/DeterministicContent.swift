/// The bytes of a simulated stored object: a pure function of a seed and the position, so any
/// range can be produced on the fly (a 2 GiB object costs no memory) and a test can compute what
/// a correct copy holds.
public struct DeterministicContent: Sendable, Hashable {
    public let seed: UInt64
    public let size: Int64

    public init(seed: UInt64, size: Int64) {
        self.seed = seed
        self.size = max(0, size)
    }

    /// A seed derived from a text (FNV-1a), e.g. the object key.
    public static func seed(for text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// The 8 bytes of block `index` (splitmix64 of seed + index).
    @inline(__always)
    static func block(_ seed: UInt64, _ index: UInt64) -> UInt64 {
        var z = seed &+ (index &+ 1) &* 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Fills `buffer` with the bytes from `offset` on (stops at the end of the object); returns
    /// how many bytes were written.
    @discardableResult
    public func fill(_ buffer: UnsafeMutableRawBufferPointer, from offset: Int64) -> Int {
        guard offset >= 0, offset < size else { return 0 }
        let count = Int(min(Int64(buffer.count), size - offset))
        var position = offset
        var written = 0
        while written < count {
            let blockIndex = UInt64(position / 8)
            let within = Int(position % 8)
            let value = Self.block(seed, blockIndex).littleEndian
            if within == 0 && count - written >= 8 {
                buffer.storeBytes(of: value, toByteOffset: written, as: UInt64.self)
                written += 8
                position += 8
            } else {
                let byte = UInt8(truncatingIfNeeded: value >> (8 * UInt64(within)))
                buffer[written] = byte
                written += 1
                position += 1
            }
        }
        return count
    }

    /// The bytes of `range` (clamped to the object).
    public func bytes(_ range: Range<Int64>) -> [UInt8] {
        let lower = max(0, range.lowerBound)
        let upper = min(size, range.upperBound)
        guard lower < upper else { return [] }
        var result = [UInt8](repeating: 0, count: Int(upper - lower))
        result.withUnsafeMutableBytes { _ = fill($0, from: lower) }
        return result
    }
}
