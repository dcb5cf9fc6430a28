import Foundation

/// The descendants of a process, read from `/proc`: the command is not given a process group
/// of its own (it may make its own), so a script's children are found by their parent ids
/// before anything is killed (killed first, the script's children would be re-parented away).
enum ProcessTree {
    /// Every live descendant of `pid` (children, grandchildren, …); empty when /proc is unreadable.
    static func descendants(of pid: Int32) -> [Int32] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var children: [Int32: [Int32]] = [:]
        for name in names {
            guard let child = Int32(name), let parent = parentID(of: child) else { continue }
            children[parent, default: []].append(child)
        }
        var result: [Int32] = []
        var pending = children[pid] ?? []
        while let next = pending.popLast() {
            result.append(next)
            pending += children[next] ?? []
        }
        return result
    }

    /// The parent id from `/proc/PID/stat` (the field after the state, behind the command's ')').
    static func parentID(of pid: Int32) -> Int32? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? Int32(fields[1]) : nil
    }

    /// SIGKILLs `pid` and all its descendants, descendants first.
    static func killTree(_ pid: Int32) {
        for descendant in descendants(of: pid).reversed() { kill(descendant, SIGKILL) }
        kill(pid, SIGKILL)
    }
}
