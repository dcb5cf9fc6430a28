import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// File-system steps of a copy, with the modes it promises: directories it creates are 0700,
/// files 0600 (whatever the umask); what is renamed into place is fsynced first, and the directory
/// after. Errors name the path and the system's reason.
public enum SecureFiles {
    /// A name that can only mean a file inside its directory: not empty, `.` or `..`, no `/` or
    /// NUL, at most 255 bytes.
    public static func isPlainFileName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\0") && name.utf8.count <= 255
    }

    public static let directoryMode: mode_t = 0o700
    public static let fileMode: mode_t = 0o600

    /// Creates `path` and any missing parents, each new one 0700. Existing directories keep
    /// their mode (a mount point or a shared parent is the operator's).
    public static func makeDirectory(_ path: String) throws(CopyError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw CopyError(.destination, "\(path) exists and is not a directory") }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty && parent != path { try makeDirectory(parent) }
        if mkdir(path, directoryMode) != 0 && errno != EEXIST {
            throw CopyError(.destination, "cannot create directory \(path): \(systemError())")
        }
        if chmod(path, directoryMode) != 0 {
            throw CopyError(.destination, "cannot set mode 0700 on \(path): \(systemError())")
        }
    }

    /// Opens (creating 0600) a file for writing at its end; returns the descriptor and its size.
    public static func openForAppend(_ path: String) throws(CopyError) -> (fd: Int32, size: Int64) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, fileMode)
        guard fd >= 0 else { throw CopyError(.destination, "cannot open \(path): \(systemError())") }
        _ = fchmod(fd, fileMode)
        let size = lseek(fd, 0, SEEK_END)
        guard size >= 0 else {
            close(fd)
            throw CopyError(.destination, "cannot seek in \(path): \(systemError())")
        }
        return (fd, Int64(size))
    }

    /// Writes all of `bytes` to `fd`.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(CopyError) {
        var done = 0
        while done < bytes.count {
            let written = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if written < 0 {
                if errno == EINTR { continue }
                throw CopyError(.destination, "cannot write \(path): \(systemError())")
            }
            done += written
        }
    }

    /// Cuts `fd` to `size` bytes and moves its position there.
    public static func truncate(_ fd: Int32, to size: Int64, path: String) throws(CopyError) {
        guard ftruncate(fd, off_t(size)) == 0, lseek(fd, off_t(size), SEEK_SET) >= 0 else {
            throw CopyError(.destination, "cannot truncate \(path): \(systemError())")
        }
    }

    public static func sync(_ fd: Int32, path: String) throws(CopyError) {
        guard fsync(fd) == 0 else { throw CopyError(.destination, "cannot fsync \(path): \(systemError())") }
    }

    /// fsyncs a directory, so a rename in it survives a crash.
    public static func syncDirectory(_ path: String) throws(CopyError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw CopyError(.destination, "cannot open directory \(path): \(systemError())") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw CopyError(.destination, "cannot fsync directory \(path): \(systemError())") }
    }

    /// Renames `from` to `to` (same directory) and fsyncs the directory.
    public static func renameIntoPlace(_ from: String, _ to: String) throws(CopyError) {
        guard rename(from, to) == 0 else { throw CopyError(.destination, "cannot rename \(from) to \(to): \(systemError())") }
        try syncDirectory((to as NSString).deletingLastPathComponent)
    }

    /// Writes `data` to `path` atomically: a 0600 temporary beside it, fsync, rename, fsync of
    /// the directory. A reader sees the old file or the whole new one, never a part.
    public static func writeAtomically(_ data: [UInt8], to path: String) throws(CopyError) {
        let temporary = path + ".tmp"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, fileMode)
        guard fd >= 0 else { throw CopyError(.destination, "cannot create \(temporary): \(systemError())") }
        do throws(CopyError) {
            _ = fchmod(fd, fileMode)
            let failure = data.withUnsafeBytes { raw -> CopyError? in
                do throws(CopyError) {
                    try writeAll(fd, raw, path: temporary)
                    return nil
                } catch {
                    return error
                }
            }
            if let failure { throw failure }
            try sync(fd, path: temporary)
            close(fd)
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        try renameIntoPlace(temporary, path)
    }

    /// The permission bits of a path (nil when it does not exist).
    public static func mode(of path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o7777
    }

    static func systemError() -> String {
        String(cString: strerror(errno))
    }
}
