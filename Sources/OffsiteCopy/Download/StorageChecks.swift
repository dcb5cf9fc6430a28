import Foundation
import NIOHTTP1

/// How a download's answer is judged against the listing.
enum StorageChecks {
    /// The listing gives sizes in kB (1024 bytes, rounding not documented): a length within one
    /// kB of `sizeKB × 1024` matches.
    static func lengthMatches(_ bytes: Int64, listedKB: Int64) -> Bool {
        abs(bytes - listedKB * 1024) < 1024
    }

    /// The content's MD5 when the `ETag` is one (32 hex digits; a multipart upload's tag has a
    /// `-N` suffix and is not).
    static func md5(fromETag etag: String?) -> String? {
        guard var tag = etag?.trimmingCharacters(in: .whitespaces) else { return nil }
        if tag.hasPrefix("W/") { return nil }
        tag = tag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        guard tag.count == 32, tag.allSatisfy(\.isHexDigit) else { return nil }
        return tag.lowercased()
    }

    /// `Content-Range: bytes A-B/TOTAL` → (A, TOTAL); `bytes */TOTAL` → (nil, TOTAL).
    static func contentRange(_ headers: HTTPHeaders) -> (start: Int64?, total: Int64?)? {
        guard let value = headers.first(name: "Content-Range")?.trimmingCharacters(in: .whitespaces),
            value.hasPrefix("bytes ")
        else { return nil }
        let spec = value.dropFirst("bytes ".count)
        let parts = spec.split(separator: "/", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let total = parts[1] == "*" ? nil : Int64(parts[1])
        if parts[0] == "*" { return (nil, total) }
        guard let start = parts[0].split(separator: "-").first.flatMap({ Int64($0) }) else { return nil }
        return (start, total)
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String { hexString(digest) }
}
