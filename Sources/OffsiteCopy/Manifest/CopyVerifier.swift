import Crypto
import Foundation

/// Re-hashes a copy's files against its manifest (`rds-backupd verify-copies`, next step).
public enum CopyVerifier {
    public enum FileStatus: Sendable, Equatable {
        case ok
        case missing
        case wrongSize(actual: Int64)
        case wrongHash(actual: String)
    }

    public struct FileCheck: Sendable, Equatable {
        public var name: String
        public var status: FileStatus
    }

    public struct Report: Sendable, Equatable {
        public var directory: String
        public var manifest: CopyManifest
        public var files: [FileCheck]
        public var isIntact: Bool { files.allSatisfy { $0.status == .ok } }
    }

    /// Checks every file the manifest of `directory` names: present, same size, same SHA-256.
    public static func verify(directory: String) throws(CopyError) -> Report {
        let manifest = try CopyManifest.read(from: directory)
        var checks: [FileCheck] = []
        for file in manifest.files {
            let path = directory + "/" + file.name
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                let size = (attributes[.size] as? NSNumber)?.int64Value
            else {
                checks.append(FileCheck(name: file.name, status: .missing))
                continue
            }
            guard size == file.bytes else {
                checks.append(FileCheck(name: file.name, status: .wrongSize(actual: size)))
                continue
            }
            let digest = try sha256(of: path)
            checks.append(FileCheck(name: file.name, status: digest == file.sha256 ? .ok : .wrongHash(actual: digest)))
        }
        return Report(directory: directory, manifest: manifest, files: checks)
    }

    /// Hex SHA-256 of a file, read in 1 MiB pieces.
    public static func sha256(of path: String) throws(CopyError) -> String {
        var hasher = SHA256()
        try read(path) { hasher.update(bufferPointer: $0) }
        return hexString(hasher.finalize())
    }

    /// Feeds the first `limit` bytes (all when nil) of a file to `body`, 1 MiB at a time.
    static func read(_ path: String, limit: Int64? = nil, _ body: (UnsafeRawBufferPointer) -> Void) throws(CopyError) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CopyError(.destination, "cannot read \(path)")
        }
        defer { try? handle.close() }
        var remaining = limit ?? Int64.max
        while remaining > 0 {
            let want = Int(min(Int64(1 << 20), remaining))
            let data: Data
            do {
                data = try handle.read(upToCount: want) ?? Data()
            } catch {
                throw CopyError(.destination, "cannot read \(path): \(error)")
            }
            if data.isEmpty { break }
            data.withUnsafeBytes { body($0) }
            remaining -= Int64(data.count)
        }
    }
}
