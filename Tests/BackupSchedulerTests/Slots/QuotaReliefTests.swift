import Foundation
import RDSClient
import RDSSimulator
import RDSTestSupport
import Testing

@testable import BackupScheduler

/// A quota refusal (413) is a state the entry's retention can fix: the slot runs retention by its
/// rules although the entry is failing, then creates again inside its start window; when nothing
/// may be deleted, the failure says exactly what limits it. Against the simulator over loopback.
@Suite struct QuotaReliefTests {
    static func at(_ text: String) -> Date { RFC3339.parse(text)! }
    static let orders = SimulatorFixture.orders

    /// Sets the simulator's quota to the manual backups it holds now: the next create is refused.
    static func fillQuota(_ h: ServiceHarness) {
        let manual = h.simulator.backups().filter { $0.type == "manual" && $0.status != .deleted }.count
        h.simulator.configure { $0.manualBackupQuota = manual }
    }

    /// The entry's latest slot failed (for quota, yesterday): retention is held for ordinary prunes.
    static func seedFailingSlot(_ h: ServiceHarness, _ entry: BackupEntry) throws {
        let failing = at("2027-01-14T20:00:00Z")
        var row = SlotRecord(entry: entry.alias, instanceID: entry.instanceID, slotAt: failing, runAt: failing, now: failing)
        row.state = .failed
        row.setError(code: "RDS.3003", message: "the manual backup quota is reached", requestID: nil)
        try h.store.save(row, now: failing)
    }

    @Test func aQuotaRefusalMakesRoomByRetentionAndTheSlotCreatesInsideItsWindow() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry("retention: { keep_last: 1 }")
            let oldest = try h.seedOurs(entry, slotAt: Self.at("2027-01-12T02:00:00Z"))
            let older = try h.seedOurs(entry, slotAt: Self.at("2027-01-13T02:00:00Z"))
            let newest = try h.seedOurs(entry, slotAt: Self.at("2027-01-14T02:00:00Z"))
            // Made by hand under a name the template renders: no row, so never the entry's.
            let foreign = h.seedForeign(name: entry.name(for: Self.at("2027-01-11T02:00:00Z")).value, at: Self.at("2027-01-11T02:05:00Z"))
            try Self.seedFailingSlot(h, entry)
            #expect(await h.testPruner().prune(entry: entry, now: h.clock.now()).held != nil, "an ordinary prune is held")
            Self.fillQuota(h)

            let slot = try h.claim(entry)
            let result = await h.runner().run(slot, entry: entry)
            #expect(result.state == .completed, "\(result)")
            #expect(result.note == "created after retention made room (deleted \(older.name), \(oldest.name))", "\(result.note ?? "-")")
            #expect(result.ownership == .created)
            #expect(h.clock.now() <= slot.runAt.addingTimeInterval(entry.startWindow.timeInterval), "inside the start window")
            // Deleted by the rules: not the newest completed, not the hand-made one.
            for gone in [oldest, older] { #expect(h.simulator.backup(id: gone.id)?.status == .deleted) }
            for kept in [newest, foreign] { #expect(h.simulator.backup(id: kept.id)?.status == .completed) }
            #expect(Set(try h.store.pruneRecords(entry: "orders").map(\.backupID)) == [oldest.id, older.id])
            // Refused while the deleted ones were still DELETING (the cloud counts them), then created once.
            let creates = h.simulator.requests().filter { $0.route == .createBackup }.compactMap(\.status)
            #expect(creates.first == 413 && creates.last == 200 && creates.filter { $0 == 200 }.count == 1, "\(creates)")
            #expect(h.logs.all.contains { $0.contains("retention deleted 2 backups of orders to make room") })
        }
    }

    @Test func whenRetentionMayFreeNothingTheFailureSaysWhatLimitsIt() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry("retention: { keep_last: 2 }")
            try h.seedOurs(entry, slotAt: Self.at("2027-01-13T02:00:00Z"))
            try h.seedOurs(entry, slotAt: Self.at("2027-01-14T02:00:00Z"))
            try h.seedOurs(entry, slotAt: Self.at("2027-01-14T12:00:00Z"), status: .failed)
            h.seedForeign(name: "made-by-hand-0001", at: Self.at("2027-01-10T00:00:00Z"))
            Self.fillQuota(h)
            let result = await h.runner().run(try h.claim(entry), entry: entry)
            #expect(result.state == .failed)
            #expect(result.errorCode == "RDS.3003")
            let message = result.errorMessage ?? ""
            #expect(message.contains("quota is reached"), "\(message)")
            #expect(
                message.contains(
                    "retention (keep_last=2) frees nothing: keep_last=2 keeps all 2 completed backups of orders; its failed one is younger than keep_failed_for; the instance's other manual backup was not made by orders, and retention never deletes it; lower the entry's retention or delete backups by hand"),
                "\(message)")
            #expect(!message.contains("set `retention`"), "retention is set: no advice to set it")
            #expect(h.deleteRequestCount() == 0)
            #expect(h.createRequests() == 1)
        }
    }

    @Test func theNewestCompletedBackupIsNeverDeletedToMakeRoom() async throws {
        try await ServiceHarness.with { h in
            let entry = try h.ordersEntry("retention: { keep_last: 1 }")
            let only = try h.seedOurs(entry, slotAt: Self.at("2027-01-14T02:00:00Z"))
            Self.fillQuota(h)
            let result = await h.runner().run(try h.claim(entry), entry: entry)
            #expect(result.state == .failed)
            #expect(result.errorMessage?.contains("orders has one completed backup of its own, its newest, which always stays") == true, "\(result.errorMessage ?? "-")")
            #expect(h.simulator.backup(id: only.id)?.status == .completed)
            #expect(h.deleteRequestCount() == 0)
        }
    }

    @Test func whenTheCloudStillRefusesUntilTheWindowClosesTheFailureSaysWhatWasFreed() async throws {
        try await ServiceHarness.with(configure: { $0.deleteDuration = 7_200 }) { h in
            let entry = try h.ordersEntry("start_window: 5m\nretention: { keep_last: 1 }")
            let old = try h.seedOurs(entry, slotAt: Self.at("2027-01-13T02:00:00Z"))
            try h.seedOurs(entry, slotAt: Self.at("2027-01-14T02:00:00Z"))
            Self.fillQuota(h)
            let result = await h.runner().run(try h.claim(entry), entry: entry)
            #expect(result.state == .failed)
            let message = result.errorMessage ?? ""
            #expect(message.contains("the start window closed"), "\(message)")
            #expect(message.contains("retention had deleted \(old.name) to make room, but the cloud still refused the create"), "\(message)")
            #expect(h.simulator.backup(id: old.id)?.status == .deleting)
            #expect(h.simulator.requests().filter { $0.route == .createBackup && $0.status == 200 }.isEmpty)
        }
    }
}
