import CSystemd

#if canImport(Glibc)
import Glibc
#endif

/// Where `JournalLogHandler` delivers native journal entries.
public protocol JournalSink: Sendable {
    /// Sends one entry; `fields` are `(name, value)`, values may hold any bytes (newlines too).
    func send(_ fields: [(name: String, value: String)]) throws(JournalSendError)
}

/// A journal entry journald did not accept.
public struct JournalSendError: Error, CustomStringConvertible, Equatable {
    /// The errno libsystemd reported.
    public let errno: Int32
    public var description: String {
        "cannot write to the journal (/run/systemd/journal/socket): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// The real journal, through libsystemd's `sd_journal_sendv`.
public struct LibsystemdJournal: JournalSink {
    public init() {}

    public func send(_ fields: [(name: String, value: String)]) throws(JournalSendError) {
        // One buffer holding every "NAME=value"; the iovecs point into it. sd_journal_sendv
        // switches to its binary-safe encoding by itself when a value contains a newline.
        var buffer: [UInt8] = []
        var ranges: [Range<Int>] = []
        for field in fields {
            let start = buffer.count
            buffer.append(contentsOf: field.name.utf8)
            buffer.append(UInt8(ascii: "="))
            buffer.append(contentsOf: field.value.utf8)
            ranges.append(start..<buffer.count)
        }
        let rc: Int32 = buffer.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress
            var iov = ranges.map { range in iovec(iov_base: base.map { $0 + range.lowerBound }, iov_len: range.count) }
            return iov.withUnsafeMutableBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) }
        }
        if rc < 0 { throw JournalSendError(errno: -rc) }
    }
}
