/// Why a copy (or a step of it) failed. The message never holds a download link's query.
public struct CopyError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Kind: String, Sendable, Equatable {
        /// The destination cannot be written (permissions, disk full, not a directory).
        case destination
        /// The links could not be had (the API refused or failed).
        case links
        /// The storage kept failing (resets, 5xx, expired links) beyond the attempts allowed.
        case transfer
        /// What arrived is not what was listed: length or checksum. The copy is discarded.
        case content
        /// A manifest cannot be read or does not match the files.
        case manifest
    }

    public var kind: Kind
    /// The backup file concerned, when one is.
    public var file: String?
    public var message: String

    public init(_ kind: Kind, _ message: String, file: String? = nil) {
        self.kind = kind
        self.message = message
        self.file = file
    }

    public var description: String {
        file.map { "\($0): \(message)" } ?? message
    }
}

/// Lower-case hex of a digest.
func hexString(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    for byte in bytes {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: text, as: UTF8.self)
}
