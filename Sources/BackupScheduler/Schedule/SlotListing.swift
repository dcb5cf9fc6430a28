import Foundation

/// How `next-runs` and `check-config` show planned slots: an aligned table or JSON.
public enum SlotListing {
    /// One slot as JSON: entry alias, instance id, slot time in UTC and local (RFC 3339), the
    /// jittered run time and the rendered name.
    public struct Row: Codable, Sendable, Hashable {
        public var entry: String
        public var instance_id: String
        public var slot_utc: String
        public var slot_local: String
        public var run_utc: String
        public var name: String

        public init(_ slot: PlannedSlot) {
            entry = slot.alias
            instance_id = slot.instanceID
            slot_utc = RFC3339.formatUTC(slot.slot)
            slot_local = RFC3339.format(slot.slot, in: slot.timeZone)
            run_utc = RFC3339.formatUTC(slot.runAt)
            name = slot.name.value
        }
    }

    /// A JSON array of `Row`, keys sorted, one slot per object.
    public static func json(_ slots: [PlannedSlot]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(slots.map(Row.init)), let text = String(data: data, encoding: .utf8) else {
            return "[]"
        }
        return text
    }

    /// An aligned table with a header: entry, instance, local time and zone, UTC time, name.
    public static func table(_ slots: [PlannedSlot]) -> String {
        var rows = [["ENTRY", "INSTANCE", "LOCAL", "ZONE", "UTC", "NAME"]]
        for slot in slots {
            rows.append([
                slot.alias, slot.instanceID, RFC3339.format(slot.slot, in: slot.timeZone), slot.timeZone.scheduleName,
                RFC3339.formatUTC(slot.slot), slot.name.value,
            ])
        }
        return align(rows)
    }

    static func align(_ rows: [[String]]) -> String {
        guard let columns = rows.first?.count else { return "" }
        let widths = (0..<columns).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == columns - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
