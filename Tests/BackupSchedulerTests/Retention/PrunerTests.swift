import Foundation
import RDSClient
import RDSSimulator
import RDSTestSupport
import Testing

@testable import BackupScheduler

/// The pruner against the simulator over loopback: each rule in the entry's zone, the safety rules
/// (foreign backups, the newest completed one, a failing entry), dry runs, logging and recording of
/// each deletion, and a failed delete that is retried without holding up the next backup.
@Suite struct PrunerTests {
    static func at(_ text: String) -> Date { RFC3339.parse(text)! }

    /// Slot instants around the 2026/2027 year end; the harness's clock is 2027-01-15T08:00Z.
    /// 2026-12-31T23:30Z is 2027-01-01 00:30 in Berlin; 2027-01-03T01:00Z is Sunday of ISO week
    /// 2026-W53; 2027-01-03T23:30Z is Monday 2027-01-04 (2027-W01) in Berlin.
    static let slots = [
        "2026-11-28T01:00:00Z", "2026-12-24T01:00:00Z", "2026-12-31T01:00:00Z", "2026-12-31T23:30:00Z",
        "2027-01-03T01:00:00Z", "2027-01-03T23:30:00Z", "2027-01-12T01:00:00Z", "2027-01-14T01:00:00Z",
    ]

    @Test(arguments: [
        ("keep_last: 3", ["2027-01-03T23:30:00Z", "2027-01-12T01:00:00Z", "2027-01-14T01:00:00Z"]),
        ("keep_within: 14d", ["2027-01-03T01:00:00Z", "2027-01-03T23:30:00Z", "2027-01-12T01:00:00Z", "2027-01-14T01:00:00Z"]),
        ("keep_daily: 3", ["2027-01-03T23:30:00Z", "2027-01-12T01:00:00Z", "2027-01-14T01:00:00Z"]),
        ("keep_weekly: 3", ["2027-01-03T01:00:00Z", "2027-01-03T23:30:00Z", "2027-01-14T01:00:00Z"]),
        ("keep_monthly: 3", ["2026-11-28T01:00:00Z", "2026-12-31T01:00:00Z", "2027-01-14T01:00:00Z"]),
    ])
    func eachRuleKeepsWhatItShouldInTheEntrysZoneAndDeletesTheRest(rule: String, survivors: [String]) async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry("timezone: Europe/Berlin\nretention: { \(rule) }")
            var names: [String: String] = [:]
            for slot in Self.slots { names[slot] = try h.seedOurs(entry, slotAt: Self.at(slot)).name }
            let report = await h.testPruner().prune(entry: entry, now: h.clock.now())
            #expect(report.error == nil && report.held == nil)
            let expectedGone = Set(Self.slots).subtracting(survivors).compactMap { names[$0] }.sorted()
            #expect(report.deleted.map(\.name).sorted() == expectedGone, "\(rule)")
            #expect(h.liveCompletedNames() == survivors.compactMap { names[$0] }.sorted(), "\(rule)")
            // A deleted backup shows DELETING, then is gone.
            #expect(expectedGone.allSatisfy { name in h.simulator.backups().first { $0.name == name }?.status == .deleting })
            h.simulator.clock.advance(by: h.simulator.configuration.deleteDuration + 1)
            #expect(expectedGone.allSatisfy { name in h.simulator.backups().first { $0.name == name }?.status == .deleted })
            #expect(try h.store.pruneRecords(entry: "orders").filter { $0.outcome == .deleted }.map(\.name).sorted() == expectedGone)
        }
    }

    @Test func everyDeletionIsLoggedWithItsMessageIDNameIDAndRuleAndADeletingBackupIsNotDeletedTwice() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry("retention: { keep_last: 1 }")
            let old = try h.seedOurs(entry, slotAt: Self.at("2027-01-13T02:00:00Z"))
            try h.seedOurs(entry, slotAt: Self.at("2027-01-14T02:00:00Z"))
            let report = await h.testPruner().prune(entry: entry, now: h.clock.now())
            #expect(report.deleted.map(\.backupID) == [old.id])
            #expect(report.deleted.first?.rule == "keep_last=1")
            let line = try #require(h.logs.all.first { $0.contains("MESSAGE_ID=\(BackupEvent.backupPruned.messageID)") })
            for field in ["RDS_BACKUP_NAME=\(old.name)", "RDS_BACKUP_ID=\(old.id)", "RDS_RETENTION_RULE=keep_last=1", "RDS_ENTRY=orders",
                          "RDS_INSTANCE_ID=\(SimulatorFixture.orders)"] {
                #expect(line.contains(field), "\(field) in \(line)")
            }
            let deletes = h.deleteRequestCount()
            #expect(deletes == 1)
            // While it is DELETING, a second run leaves it alone: DELETING already means gone.
            let again = await h.testPruner().prune(entry: entry, now: h.clock.now())
            #expect(again.items.first { $0.backupID == old.id }?.outcome == .deleting)
            #expect(h.deleteRequestCount() == deletes)
            let records = try h.store.pruneRecords()
            #expect(records.map(\.backupID) == [old.id] && records.first?.outcome == .deleted && records.first?.rule == "keep_last=1")
        }
    }

    @Test func foreignBackupsSurviveWhateverTheirNamesAndSoDoOursWhoseNameLeftTheTemplate() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry("retention: { keep_last: 1 }")
            // Made by someone else with exactly the name our template renders for a slot, no state row.
            let sameName = h.seedForeign(name: entry.name(for: Self.at("2026-12-01T02:00:00Z")).value, at: Self.at("2026-12-01T02:00:00Z"))
            // Our row of that slot points at another id (our backup is long gone): the name alone proves nothing.
            let slot = Self.at("2026-12-02T02:00:00Z")
            var row = SlotRecord(entry: "orders", instanceID: entry.instanceID, slotAt: slot, runAt: slot, now: slot)
            row.name = entry.name(for: slot).value
            row.backupID = "0000000000000000000000000000gonebr01"
            row.state = .completed
            try h.store.save(row, now: slot)
            let impostor = h.seedForeign(name: row.name!, at: slot.addingTimeInterval(3_600))
            let other = h.seedForeign(name: "before-upgrade-2026", at: Self.at("2026-06-01T00:00:00Z"))
            // Ours by state, but its name is not what the entry's template renders (the template changed).
            let legacy = try h.seedOurs(entry, slotAt: Self.at("2026-12-03T02:00:00Z"), name: "orders-legacy-20261203")
            let older = try h.seedOurs(entry, slotAt: Self.at("2027-01-13T02:00:00Z"))
            let newest = try h.seedOurs(entry, slotAt: Self.at("2027-01-14T02:00:00Z"))

            let report = await h.testPruner().prune(entry: entry, now: h.clock.now())
            #expect(report.deleted.map(\.backupID) == [older.id])
            let live = Set(h.backups().filter { $0.status == .completed }.map(\.id))
            #expect(live == [sameName.id, impostor.id, other.id, legacy.id, newest.id])
            let byID = Dictionary(uniqueKeysWithValues: report.items.map { ($0.backupID, $0) })
            for id in [sameName.id, impostor.id, other.id] {
                #expect(byID[id]?.ours == false && byID[id]?.rule == OwnershipMatcher.notOurs && byID[id]?.verdict == .keep)
            }
            #expect(byID[legacy.id]?.rule == OwnershipMatcher.templateMismatch)
        }
    }

    @Test func theNewestCompletedSurvivesWhenNoRuleKeepsItAndNewerUnfinishedBackupsDoNotCount() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry("retention: { keep_within: 1d }")
            let first = try h.seedOurs(entry, slotAt: Self.at("2026-12-01T02:00:00Z"))
            let second = try h.seedOurs(entry, slotAt: Self.at("2026-12-02T02:00:00Z"))
            let building = try h.seedOurs(entry, slotAt: h.clock.now(), status: .building, slotState: .created)
            let report = await h.testPruner().prune(entry: entry, now: h.clock.now())
            #expect(report.deleted.map(\.backupID) == [first.id])
            let byID = Dictionary(uniqueKeysWithValues: report.items.map { ($0.backupID, $0) })
            #expect(byID[second.id]?.rule == "newest_completed" && byID[second.id]?.outcome == .kept)
            #expect(byID[building.id]?.rule == "in progress" && byID[building.id]?.outcome == .kept)
        }
    }

    @Test func nothingIsDeletedWhileTheEntrysLatestSlotIsFailing() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry("retention: { keep_last: 1, keep_failed_for: 1d }")
            for day in ["10", "11", "12"] { try h.seedOurs(entry, slotAt: Self.at("2027-01-\(day)T02:00:00Z")) }
            try h.seedOurs(entry, slotAt: Self.at("2027-01-13T02:00:00Z"), status: .failed)
            let failing = Self.at("2027-01-14T02:00:00Z")
            var row = SlotRecord(entry: "orders", instanceID: entry.instanceID, slotAt: failing, runAt: failing, now: failing)
            row.state = .failed
            row.errorMessage = "instance busy"
            try h.store.save(row, now: failing)

            let held = await h.testPruner().prune(entry: entry, now: h.clock.now())
            // One sentence: which slot, the rule, its one exception, and when it ends.
            #expect(
                held.held
                    == "the latest slot of orders (2027-01-14T02:00:00Z) failed, and retention deletes nothing while an entry's backups are failing, except to make room when the cloud refuses a create for quota; it resumes after the next completed backup")
            #expect(held.items.filter { $0.outcome == .held }.count == 3)  // two completed, one failed backup
            #expect(held.deleted.isEmpty && h.deleteRequestCount() == 0)
            #expect(h.backups().count == 4)

            // A completed slot ends the failure; the next prune catches up.
            try h.seedOurs(entry, slotAt: Self.at("2027-01-15T02:00:00Z"))
            let resumed = await h.testPruner().prune(entry: entry, now: h.clock.now())
            #expect(resumed.held == nil)
            #expect(resumed.deleted.count == 4)
            #expect(h.liveCompletedNames() == ["orders-20270115-0200"])
        }
    }

    @Test func aDryRunReportsWhatWouldGoAndChangesNothing() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry("retention: { keep_last: 1 }")
            for day in ["11", "12", "13"] { try h.seedOurs(entry, slotAt: Self.at("2027-01-\(day)T02:00:00Z")) }
            let before = h.simulator.backups()
            let dry = await h.testPruner().prune(entry: entry, now: h.clock.now(), dryRun: true)
            #expect(dry.dryRun)
            let wouldGo = dry.items.filter { $0.outcome == .wouldDelete }.map(\.name).sorted()
            #expect(wouldGo == ["orders-20270111-0200", "orders-20270112-0200"])
            #expect(dry.deleted.isEmpty)
            #expect(h.deleteRequestCount() == 0)
            #expect(h.simulator.backups() == before)
            #expect(try h.store.pruneRecords().isEmpty)
            #expect(!h.logs.all.contains { $0.contains(BackupEvent.backupPruned.messageID) })
            // The real run does what the dry run said.
            let real = await h.testPruner().prune(entry: entry, now: h.clock.now())
            #expect(real.deleted.map(\.name).sorted() == wouldGo)
        }
    }

    @Test func failedBackupsOfOursGoAfterKeepFailedFor() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry("retention: { keep_last: 5, keep_failed_for: 3d }")
            let oldFailure = try h.seedOurs(entry, slotAt: Self.at("2027-01-10T02:00:00Z"), status: .failed)
            let recentFailure = try h.seedOurs(entry, slotAt: Self.at("2027-01-13T02:00:00Z"), status: .failed)
            try h.seedOurs(entry, slotAt: Self.at("2027-01-14T02:00:00Z"))
            let report = await h.testPruner().prune(entry: entry, now: h.clock.now())
            #expect(report.deleted.map(\.backupID) == [oldFailure.id])
            #expect(report.deleted.first?.rule == "keep_failed_for=3d")
            #expect(report.items.first { $0.backupID == recentFailure.id }?.outcome == .kept)
            #expect(h.logs.all.contains { $0.contains(BackupEvent.backupPruned.messageID) && $0.contains("RDS_RETENTION_RULE=keep_failed_for=3d") })
        }
    }

    @Test func aFailedDeleteIsRetriedOnTheNextRunAndNeverStopsTheNextBackup() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry("retention: { keep_last: 1 }")
            let old = try h.seedOurs(entry, slotAt: Self.at("2027-01-13T02:00:00Z"))
            let previous = try h.seedOurs(entry, slotAt: Self.at("2027-01-14T02:00:00Z"))

            h.simulator.inject(.serverError(status: 503), on: .listBackups, count: 1)
            let unlisted = await h.testPruner().prune(entry: entry, now: h.clock.now())
            #expect(unlisted.error?.contains("cannot list") == true && unlisted.items.isEmpty)

            h.simulator.inject(.serverError(status: 503), on: .deleteBackup, count: 1)
            let failed = await h.testPruner().prune(entry: entry, now: h.clock.now())
            #expect(failed.failed.map(\.backupID) == [old.id])
            #expect(failed.failed.first?.error?.contains("503") == true)
            #expect(h.logs.all.contains { $0.contains("MESSAGE_ID=\(BackupEvent.pruneFailed.messageID)") && $0.contains("RDS_BACKUP_ID=\(old.id)") })
            #expect(h.simulator.backup(id: old.id)?.status == .completed)

            // The next slot runs as if nothing happened.
            let slot = await h.runner().run(try h.claim(entry), entry: entry)
            #expect(slot.state == .completed, "\(slot)")

            // As the service does after a completed slot: a pruner sharing the runner's client, state and gate.
            let runner = h.runner()
            let retried = await Pruner(sharing: runner).prune(entry: entry, now: runner.clock.now())
            #expect(Set(retried.deleted.map(\.backupID)) == [old.id, previous.id])
            #expect(h.liveCompletedNames() == [slot.name ?? "?"])
            let record = try #require(try h.store.pruneRecords().first { $0.backupID == old.id })
            #expect(record.outcome == .deleted && record.attempts == 2)
        }
    }

    @Test func withoutRetentionNothingIsEverDeletedOrEvenListed() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry()
            for day in ["11", "12", "13"] { try h.seedOurs(entry, slotAt: Self.at("2027-01-\(day)T02:00:00Z")) }
            let report = await h.testPruner().prune(entry: entry, now: h.clock.now())
            #expect(report.retention == nil && report.items.isEmpty)
            #expect(h.simulator.requests().isEmpty)
            #expect(h.backups().count == 3)
        }
    }

    /// Rows that adopted their backup (found under the slot's name) count only while the evidence
    /// holds: an earlier release adopted by name alone, and a hand-made backup it adopted so is
    /// neither counted nor deleted.
    @Test func anAdoptedBackupCountsOnlyWhileItsEvidenceHolds() async throws {
        // A cloud whose listing shows descriptions, so the description evidence is checked too.
        try await ServiceHarness.with(configure: { $0.listsBackupDescriptions = true }) { h in
            let entry = try h.ordersEntry("retention: { keep_last: 1 }")
            let slotA = Self.at("2027-01-11T02:00:00Z")
            let slotB = Self.at("2027-01-12T02:00:00Z")
            let slotC = Self.at("2027-01-13T02:00:00Z")
            // Made by hand a day before its slot, adopted by name alone.
            let handMade = try h.seedOurs(entry, slotAt: slotA, ownership: .adopted, begun: slotA.addingTimeInterval(-86_400))
            // Made by hand after its slot, but with another description.
            let otherDescription = try h.seedOurs(entry, slotAt: slotB, ownership: .adopted, description: "made by hand")
            // Really the slot's (another host made it): after the slot, with the slot's description.
            let genuine = try h.seedOurs(entry, slotAt: slotC, ownership: .adopted, description: entry.description(for: slotC).value)
            let newest = try h.seedOurs(entry, slotAt: Self.at("2027-01-14T02:00:00Z"), ownership: .created)

            let report = await h.testPruner().prune(entry: entry, now: h.clock.now())
            #expect(report.deleted.map(\.backupID) == [genuine.id])
            let byID = Dictionary(uniqueKeysWithValues: report.items.map { ($0.backupID, $0) })
            for foreign in [handMade, otherDescription] {
                #expect(byID[foreign.id]?.ours == false && byID[foreign.id]?.verdict == .keep)
                #expect(byID[foreign.id]?.rule.hasPrefix(OwnershipMatcher.adoptedWithoutEvidence) == true, "\(byID[foreign.id]?.rule ?? "-")")
                #expect(h.simulator.backup(id: foreign.id)?.status == .completed)
            }
            #expect(byID[handMade.id]?.rule.contains("before the slot's first possible run") == true)
            #expect(byID[otherDescription.id]?.rule.contains("description is not the one") == true)
            #expect(byID[newest.id]?.ours == true)
        }
    }
}

extension ServiceHarness {
    /// A backup of ours for `entry` at `slotAt`: in the simulator and recorded in the state.
    /// `ownership` nil: a row as tests wrote them before ownership was recorded (counted as created).
    @discardableResult
    func seedOurs(
        _ entry: BackupEntry, slotAt: Date, status: SimulatedBackup.Status = .completed, slotState: SlotState? = nil,
        name: String? = nil, ownership: BackupOwnership? = nil, description: String? = nil, begun: Date? = nil
    ) throws -> SimulatedBackup {
        let beginTime = begun ?? slotAt.addingTimeInterval(60)
        let backup = SimulatedBackup(
            id: Self.newBackupID(), instanceID: entry.instanceID, name: name ?? entry.name(for: slotAt).value,
            description: description, status: status, beginTime: beginTime,
            endTime: status == .building ? nil : beginTime.addingTimeInterval(540), sizeKB: 51_200)
        simulator.addBackup(backup)
        var row = SlotRecord(entry: entry.alias, instanceID: entry.instanceID, slotAt: slotAt, runAt: slotAt, now: slotAt)
        row.name = backup.name
        row.backupID = backup.id
        row.ownership = ownership
        row.state = slotState ?? (status == .failed ? .failed : .completed)
        try store.save(row, now: slotAt)
        return backup
    }

    /// A manual backup someone else made on the orders instance.
    @discardableResult
    func seedForeign(name: String, at time: Date) -> SimulatedBackup {
        let backup = SimulatedBackup(
            id: Self.newBackupID(), instanceID: SimulatorFixture.orders, name: name, status: .completed, beginTime: time,
            endTime: time.addingTimeInterval(600), sizeKB: 1_024)
        simulator.addBackup(backup)
        return backup
    }

    static func newBackupID() -> String { UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "") + "br01" }

    func testPruner() -> Pruner { Pruner(client: client, store: store, logger: logs.logger(), gate: gate) }

    /// Names of the orders instance's COMPLETED backups, sorted.
    func liveCompletedNames() -> [String] { backups().filter { $0.status == .completed }.map(\.name).sorted() }

    /// DELETE requests the simulator received.
    func deleteRequestCount() -> Int { simulator.requests().filter { $0.route == .deleteBackup }.count }
}
