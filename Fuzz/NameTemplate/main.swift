// libFuzzer target: a name template and hostile values for its tokens. Built and run by scripts/fuzz.sh.
//
// Input layout: fields separated by 0x00: template, alias, instance id, instance name, engine;
// the last 8 bytes (when present) choose the slot instant and the time zone.
//
// Invariants (a violation traps, and libFuzzer saves the input):
// - a template is accepted or refused with a message, never a crash;
// - an accepted template renders every slot to a valid BackupName (4-64 characters, first a
//   letter, only [A-Za-z0-9_-]), whatever the alias, instance name or engine hold;
// - the same slot renders the same name (a retry or a second host agrees).
import BackupScheduler
import Foundation
import RDSClient

let zones = ["UTC", "Europe/Berlin", "America/St_Johns", "Asia/Kolkata", "Pacific/Chatham", "Australia/Lord_Howe", "Pacific/Kiritimati"]
    .compactMap { TimeZone(identifier: $0) }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNameTemplate(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var seed: UInt64 = 0
    if bytes.count >= 8 {
        for byte in bytes.suffix(8) { seed = seed << 8 | UInt64(byte) }
        bytes.removeLast(8)
    }
    let fields = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    func field(_ index: Int) -> String? { index < fields.count ? fields[index] : nil }
    guard let source = field(0) else { return 0 }
    let template: NameTemplate
    do {
        template = try NameTemplate(source)
    } catch {
        precondition(!error.message.isEmpty, "refused without a message")
        return 0
    }
    let context = NameContext(
        alias: field(1) ?? "orders", instanceID: field(2) ?? "d8e6ca5a624745bcb546a227aa3ae1cfin01",
        instanceName: field(3), engine: field(4))
    // Slots from 1970 to the end of 9999: the API's years are four digits.
    let slot = Date(timeIntervalSince1970: Double(seed % 253_402_300_800))
    let zone = zones[Int(seed >> 59) % zones.count]
    let name = template.render(slot: slot, context: context, timeZone: zone)
    precondition((try? BackupName(name.value)) != nil, "invalid name \(name.value)")
    precondition(template.render(slot: slot, context: context, timeZone: zone) == name, "same slot, different name")
    return 0
}
