import Foundation
import OffsiteCopy
import RDSTestSupport
import Testing

@Suite struct CopyRetentionTests {
    static let utc = TimeZone(identifier: "UTC")!
    /// 2026-12-06 12:00 UTC.
    static let now = Date(timeIntervalSince1970: 1_796_558_400)

    static func copy(_ id: String, hoursAgo: Double, directory: String? = nil) -> StoredCopy {
        let time = now.addingTimeInterval(-hoursAgo * 3600)
        let manifest = CopyManifest(
            subject: CopySubject(backupID: id, backupName: "n-\(id)", instanceID: "inst", slot: time),
            bucket: nil, files: [CopyManifest.File(name: "\(id).qp", bytes: 1, sha256: "00")], copyStartedAt: time, copyCompletedAt: time)
        return StoredCopy(directory: directory ?? "/copies/\(id)", manifest: manifest)
    }

    func plan(_ copies: [StoredCopy], _ rules: CopyRetentionRules) -> (keep: [String], delete: [String]) {
        let plan = CopyRetention.plan(copies, rules: rules, timeZone: Self.utc, now: Self.now)
        return (plan.keep.map(\.copy.manifest.backupID), plan.delete.map(\.manifest.backupID))
    }

    /// One copy every 12 hours for 10 days, newest first: c0 (now) … c19.
    let twiceDaily = (0..<20).map { copy("c\($0)", hoursAgo: Double($0) * 12) }

    @Test func withoutRulesEveryCopyIsKept() {
        #expect(plan(twiceDaily.shuffled(), CopyRetentionRules()).delete.isEmpty)
    }

    @Test func keepLastKeepsTheNewestN() {
        let result = plan(twiceDaily.shuffled(), CopyRetentionRules(keepLast: 3))
        #expect(result.keep == ["c0", "c1", "c2"])
        #expect(result.delete.count == 17)
    }

    @Test func keepWithinKeepsWhatIsYoungerThanTheDuration() {
        let result = plan(twiceDaily, CopyRetentionRules(keepWithin: .seconds(36 * 3600)))
        #expect(result.keep == ["c0", "c1", "c2", "c3"])
    }

    @Test func gfsKeepsTheNewestPerDayWeekMonth() {
        // Copies at 12:00 and 00:00: per day the 12:00 one (newer) is kept.
        let daily = plan(twiceDaily, CopyRetentionRules(keepDaily: 3))
        #expect(daily.keep == ["c0", "c2", "c4"])
        let copies = [
            Self.copy("dec06", hoursAgo: 0), Self.copy("dec01", hoursAgo: 5 * 24), Self.copy("nov30", hoursAgo: 6 * 24),
            Self.copy("nov02", hoursAgo: 34 * 24), Self.copy("oct15", hoursAgo: 52 * 24), Self.copy("2025", hoursAgo: 400 * 24),
        ]
        #expect(plan(copies, CopyRetentionRules(keepMonthly: 3)).keep == ["dec06", "nov30", "oct15"])
        #expect(plan(copies, CopyRetentionRules(keepYearly: 2)).keep == ["dec06", "2025"])
        // 2026-12-06 is a Sunday: Dec 1 (Tue) is the same ISO week, Nov 30 (Mon) too.
        #expect(plan(copies, CopyRetentionRules(keepWeekly: 2)).keep == ["dec06", "nov02"])
        let combined = CopyRetention.plan(copies, rules: CopyRetentionRules(keepLast: 1, keepMonthly: 2), timeZone: Self.utc, now: Self.now)
        #expect(combined.keep.map(\.reasons) == [[.keepLast, .keepMonthly, .newest], [.keepMonthly]])
    }

    @Test func theNewestCopyIsAlwaysKept() {
        let old = [Self.copy("a", hoursAgo: 1000), Self.copy("b", hoursAgo: 2000)]
        #expect(plan(old, CopyRetentionRules(keepWithin: .seconds(3600))).keep == ["a"])
    }

    @Test func deletingACopyNeverTouchesForeignFiles() throws {
        let root = TestScratch.path("retention")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fileManager = FileManager.default
        func write(_ path: String, _ text: String = "x") throws {
            try SecureFiles.makeDirectory((path as NSString).deletingLastPathComponent)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        }
        // Two copies, one holding a foreign file; a foreign directory; a symlink to a copy elsewhere.
        var copies: [StoredCopy] = []
        for (id, hours) in [("old", 48.0), ("new", 1.0)] {
            let directory = root + "/orders/" + id
            let stored = Self.copy(id, hoursAgo: hours, directory: directory)
            try write(directory + "/\(id).qp")
            try write(directory + "/\(id).qp.partial")
            try stored.manifest.write(into: directory)
            copies.append(stored)
        }
        try write(root + "/orders/old/notes.txt", "operator's notes")
        try write(root + "/orders/foreign/old.qp", "not ours")
        let outside = TestScratch.path("outside")
        defer { try? fileManager.removeItem(atPath: outside) }
        let elsewhere = Self.copy("elsewhere", hoursAgo: 100, directory: outside)
        try write(outside + "/elsewhere.qp")
        try elsewhere.manifest.write(into: outside)
        try fileManager.createSymbolicLink(atPath: root + "/orders/link", withDestinationPath: outside)

        let scan = CopyRetention.scan(root: root)
        #expect(scan.copies.map(\.manifest.backupID).sorted() == ["new", "old"], "no foreign directory, no symlink followed")
        #expect(scan.unreadable.isEmpty)

        let plan = CopyRetention.plan(scan.copies, rules: CopyRetentionRules(keepLast: 1), timeZone: Self.utc, now: Self.now)
        #expect(plan.delete.map(\.manifest.backupID) == ["old"])
        for copy in plan.delete { try CopyRetention.delete(copy) }

        #expect(try fileManager.contentsOfDirectory(atPath: root + "/orders/old") == ["notes.txt"], "only what the manifest names went")
        #expect(fileManager.fileExists(atPath: root + "/orders/foreign/old.qp"))
        #expect(fileManager.fileExists(atPath: root + "/orders/new/new.qp"))
        #expect(fileManager.fileExists(atPath: outside + "/elsewhere.qp"))

        // A copy whose directory holds nothing else goes whole.
        try CopyRetention.delete(copies[1])
        #expect(!fileManager.fileExists(atPath: root + "/orders/new"))
    }

    @Test func aDirectoryThatNowHoldsAnotherBackupIsLeftAlone() throws {
        let directory = TestScratch.path("swapped")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let planned = Self.copy("first", hoursAgo: 10, directory: directory)
        let present = Self.copy("second", hoursAgo: 1, directory: directory)
        try SecureFiles.makeDirectory(directory)
        try present.manifest.write(into: directory)
        let error = #expect(throws: CopyError.self) { try CopyRetention.delete(planned) }
        #expect(error?.kind == .manifest)
        #expect(FileManager.default.fileExists(atPath: directory + "/" + CopyManifest.fileName))
    }
}
