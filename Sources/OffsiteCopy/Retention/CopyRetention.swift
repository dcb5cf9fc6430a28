import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The rules an entry keeps its copies by (the `copy:` retention keys, applied to copies only).
/// A copy is kept if any rule keeps it; with no rule set every copy is kept.
public struct CopyRetentionRules: Sendable, Hashable {
    /// The N newest copies.
    public var keepLast: Int?
    /// Copies younger than this, from now.
    public var keepWithin: Duration?
    /// The newest copy of each of the last N calendar days / ISO weeks / months / years that have one.
    public var keepDaily: Int?
    public var keepWeekly: Int?
    public var keepMonthly: Int?
    public var keepYearly: Int?

    public init(
        keepLast: Int? = nil, keepWithin: Duration? = nil, keepDaily: Int? = nil, keepWeekly: Int? = nil,
        keepMonthly: Int? = nil, keepYearly: Int? = nil
    ) {
        self.keepLast = keepLast
        self.keepWithin = keepWithin
        self.keepDaily = keepDaily
        self.keepWeekly = keepWeekly
        self.keepMonthly = keepMonthly
        self.keepYearly = keepYearly
    }

    public var isEmpty: Bool {
        keepLast == nil && keepWithin == nil && keepDaily == nil && keepWeekly == nil && keepMonthly == nil && keepYearly == nil
    }
}

/// A finished copy on disk: its directory and manifest.
public struct StoredCopy: Sendable, Equatable {
    public var directory: String
    public var manifest: CopyManifest

    public init(directory: String, manifest: CopyManifest) {
        self.directory = directory
        self.manifest = manifest
    }

    /// The time rules judge it by (the slot, else the backup's time, else the copy's).
    public var time: Date { manifest.time }
}

/// Which copies go, by the rules: pure, no file touched.
public struct CopyRetentionPlan: Sendable, Equatable {
    public enum Reason: String, Sendable, Comparable {
        case newest, keepLast = "keep_last", keepWithin = "keep_within", keepDaily = "keep_daily"
        case keepWeekly = "keep_weekly", keepMonthly = "keep_monthly", keepYearly = "keep_yearly"
        case noRules = "no_rules"
        public static func < (a: Reason, b: Reason) -> Bool { a.rawValue < b.rawValue }
    }

    /// Kept copies (newest first) with the rules that keep each.
    public var keep: [(copy: StoredCopy, reasons: [Reason])]
    /// Copies no rule keeps (newest first).
    public var delete: [StoredCopy]

    public static func == (a: CopyRetentionPlan, b: CopyRetentionPlan) -> Bool {
        a.keep.map(\.copy) == b.keep.map(\.copy) && a.keep.map(\.reasons) == b.keep.map(\.reasons) && a.delete == b.delete
    }
}

/// Retention of copies: the plan (pure), finding the copies under a destination, and deleting a
/// copy by its manifest only: files it does not name are never touched.
public enum CopyRetention {
    /// Decides over one entry's copies at `now`, calendar buckets in `timeZone`. The newest copy is
    /// always kept; ties in time are broken by backup id, so input order never matters.
    public static func plan(_ copies: [StoredCopy], rules: CopyRetentionRules, timeZone: TimeZone, now: Date) -> CopyRetentionPlan {
        let ordered = copies.sorted { ($0.time, $0.manifest.backupID, $0.directory) > ($1.time, $1.manifest.backupID, $1.directory) }
        guard !rules.isEmpty else { return CopyRetentionPlan(keep: ordered.map { ($0, [.noRules]) }, delete: []) }
        var reasons = [Set<CopyRetentionPlan.Reason>](repeating: [], count: ordered.count)
        if !ordered.isEmpty { reasons[0].insert(.newest) }
        if let count = rules.keepLast {
            for index in ordered.indices.prefix(max(0, count)) { reasons[index].insert(.keepLast) }
        }
        if let within = rules.keepWithin {
            let (seconds, attoseconds) = within.components
            let limit = now.addingTimeInterval(-(Double(seconds) + Double(attoseconds) / 1e18))
            for index in ordered.indices where ordered[index].time >= limit { reasons[index].insert(.keepWithin) }
        }
        let buckets: [(CopyRetentionPlan.Reason, Int?, Calendar.Component)] = [
            (.keepDaily, rules.keepDaily, .day), (.keepWeekly, rules.keepWeekly, .weekOfYear),
            (.keepMonthly, rules.keepMonthly, .month), (.keepYearly, rules.keepYearly, .year),
        ]
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = timeZone
        for (reason, count, unit) in buckets {
            guard let count, count > 0 else { continue }
            var lastBucket: [Int]?
            var taken = 0
            for index in ordered.indices {
                guard taken < count else { break }
                let bucket = bucketKey(ordered[index].time, unit: unit, calendar: calendar)
                if bucket != lastBucket {
                    reasons[index].insert(reason)
                    lastBucket = bucket
                    taken += 1
                }
            }
        }
        var plan = CopyRetentionPlan(keep: [], delete: [])
        for (index, copy) in ordered.enumerated() {
            if reasons[index].isEmpty { plan.delete.append(copy) } else { plan.keep.append((copy, reasons[index].sorted())) }
        }
        return plan
    }

    static func bucketKey(_ date: Date, unit: Calendar.Component, calendar: Calendar) -> [Int] {
        switch unit {
        case .weekOfYear:
            let parts = calendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: date)
            return [parts.yearForWeekOfYear ?? 0, parts.weekOfYear ?? 0]
        case .month:
            let parts = calendar.dateComponents([.year, .month], from: date)
            return [parts.year ?? 0, parts.month ?? 0]
        case .year:
            return [calendar.component(.year, from: date)]
        default:
            let parts = calendar.dateComponents([.year, .month, .day], from: date)
            return [parts.year ?? 0, parts.month ?? 0, parts.day ?? 0]
        }
    }

    /// The finished copies under `root` (directories holding a readable manifest, at most
    /// `maxDepth` levels down), and the manifests that could not be read (with the reason).
    /// Directories without a manifest (foreign, or a copy still under way) are not listed.
    public static func scan(root: String, maxDepth: Int = 8) -> (copies: [StoredCopy], unreadable: [CopyError]) {
        var copies: [StoredCopy] = []
        var unreadable: [CopyError] = []
        func visit(_ directory: String, depth: Int) {
            let fileManager = FileManager.default
            if fileManager.fileExists(atPath: directory + "/" + CopyManifest.fileName) {
                do {
                    copies.append(StoredCopy(directory: directory, manifest: try CopyManifest.read(from: directory)))
                } catch {
                    unreadable.append(error)
                }
                return
            }
            guard depth < maxDepth, let names = try? fileManager.contentsOfDirectory(atPath: directory) else { return }
            for name in names.sorted() {
                let path = directory + "/" + name
                var info = stat()
                // Never follow a symbolic link out of the tree.
                guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { continue }
                visit(path, depth: depth + 1)
            }
        }
        visit(root, depth: 0)
        return (copies, unreadable)
    }

    /// Deletes a copy: the files its manifest names (and their `.partial`), then the manifest,
    /// then the directory if nothing else is left in it. Anything else in the directory stays.
    /// Returns the paths removed.
    @discardableResult
    public static func delete(_ copy: StoredCopy) throws(CopyError) -> [String] {
        // Read again: delete only what the manifest on disk names now.
        let manifest = try CopyManifest.read(from: copy.directory)
        guard manifest.backupID == copy.manifest.backupID else {
            throw CopyError(.manifest, "\(copy.directory) now holds backup \(manifest.backupID), not \(copy.manifest.backupID); left alone")
        }
        var removed: [String] = []
        for name in manifest.files.map(\.name) + manifest.files.map({ $0.name + ".partial" }) {
            let path = copy.directory + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            guard (info.st_mode & S_IFMT) == S_IFREG else { continue }
            guard unlink(path) == 0 else { throw CopyError(.destination, "cannot remove \(path): \(SecureFiles.systemError())") }
            removed.append(path)
        }
        let manifestPath = copy.directory + "/" + CopyManifest.fileName
        guard unlink(manifestPath) == 0 else { throw CopyError(.destination, "cannot remove \(manifestPath): \(SecureFiles.systemError())") }
        removed.append(manifestPath)
        if rmdir(copy.directory) == 0 { removed.append(copy.directory) }
        return removed
    }
}
