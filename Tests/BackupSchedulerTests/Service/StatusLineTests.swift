import Foundation
import Testing

@testable import BackupScheduler

/// The zone names of the STATUS line, as operators of each zone know them.
@Suite struct StatusLineTests {
    static let winter = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z
    static let summer = Date(timeIntervalSince1970: 1_783_000_000)  // 2026-07-02

    @Test(arguments: [
        ("Europe/Berlin", "CET", "CEST"), ("America/New_York", "EST", "EDT"), ("Europe/London", "GMT", "BST"),
        ("UTC", "UTC", "UTC"), ("Etc/UTC", "UTC", "UTC"), ("Asia/Tokyo", "GMT+9", "GMT+9"),
        ("Australia/Lord_Howe", "GMT+11", "GMT+10:30"),
    ])
    func zonesAreNamedAsTheirOperatorsKnowThem(zone: String, winter: String, summer: String) throws {
        let timeZone = try #require(TimeZone(identifier: zone))
        #expect(StatusLine.abbreviation(of: timeZone, at: Self.winter) == winter)
        #expect(StatusLine.abbreviation(of: timeZone, at: Self.summer) == summer)
    }

    @Test func slotTimesShowTheZoneAndTheDateWhenNotWithinADay() throws {
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        let now = Self.winter
        #expect(StatusLine.time(now.addingTimeInterval(3_600), zone: berlin, now: now) == "02:00 CET")
        #expect(StatusLine.time(now.addingTimeInterval(2 * 86_400), zone: berlin, now: now) == "2026-01-03 01:00 CET")
    }
}
