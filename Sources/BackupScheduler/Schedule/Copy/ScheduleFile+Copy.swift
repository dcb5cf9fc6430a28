import Foundation
import OffsiteCopy
import Yams

/// `copy:` (in `defaults` and entries) of the schedule file.
extension ScheduleFileParser {
    /// One level's `copy:`; nil fields are not set at this level and are inherited.
    struct CopyFields {
        /// `copy: false`: nothing is inherited from `defaults`.
        var disabled = false
        var destination: String?
        var path: CopyPathTemplate?
        /// Set when any `keep_*` key is: the rules of this level, replacing the defaults' as a whole.
        var retention: CopyRetentionRules?
        var bandwidth: Int64?
        var argv: [String]?
        var afterCopyTimeout: Duration?
        var node: Node
        var origin: String
    }

    /// `copy:` at `path`: a mapping of `ScheduleKeys.copy`, or `false` to inherit nothing.
    mutating func parseCopy(_ node: Node, path: String) -> CopyFields? {
        if case .scalar(let scalar) = node, ["false", "off", "none"].contains(scalar.string.lowercased()) {
            return CopyFields(disabled: true, node: node, origin: path)
        }
        guard let map = mapping(node, path, what: "`copy` (or `false` to switch inherited copies off)") else { return nil }
        let f = fields(of: map, path: path, allowed: ScheduleKeys.copy)
        guard map.count > 0 else {
            report(node, path, "is empty; set at least `destination: /srv/rds-copies`, or `copy: false` to switch inherited copies off")
            return nil
        }
        let before = problems.count
        var result = CopyFields(node: node, origin: path)
        if let field = f["destination"], let text = string(field.value, Self.join(path, "destination")) {
            result.destination = destination(text, field.value, Self.join(path, "destination"))
        }
        if let field = f["path"], let text = string(field.value, Self.join(path, "path")) {
            do {
                result.path = try CopyPathTemplate(text)
            } catch {
                report(field.value, Self.join(path, "path"), "copy path template '\(text)' \(error.message)")
            }
        }
        if ScheduleKeys.copyRetention.contains(where: { f[$0] != nil }) {
            var rules = CopyRetentionRules()
            func count(_ key: String) -> Int? { f[key].flatMap { int($0.value, Self.join(path, key), 1...100_000) } }
            rules.keepLast = count("keep_last")
            rules.keepDaily = count("keep_daily")
            rules.keepWeekly = count("keep_weekly")
            rules.keepMonthly = count("keep_monthly")
            rules.keepYearly = count("keep_yearly")
            rules.keepWithin = f["keep_within"].flatMap { duration($0.value, Self.join(path, "keep_within"), allowZero: false) }
            result.retention = rules
        }
        if let field = f["bandwidth"], let text = string(field.value, Self.join(path, "bandwidth")) {
            if let rate = CopySettings.parseBandwidth(text) {
                if rate < 64 * 1024 {
                    report(field.value, Self.join(path, "bandwidth"), "'\(text)' is below 64KiB/s; a copy that slow would not finish; \(CopySettings.bandwidthRule)")
                } else {
                    result.bandwidth = rate
                }
            } else {
                report(field.value, Self.join(path, "bandwidth"), "'\(text)' is not a rate; \(CopySettings.bandwidthRule)")
            }
        }
        result.argv = f["after_copy"].flatMap { commandArgv($0.value, Self.join(path, "after_copy")) }
        if let field = f["after_copy_timeout"],
            let timeout = duration(field.value, Self.join(path, "after_copy_timeout"), allowZero: false)
        {
            if timeout > CopySettings.maxAfterCopyTimeout {
                report(field.value, Self.join(path, "after_copy_timeout"), "\(DurationParser.format(timeout)) is too long; after_copy_timeout is at most \(DurationParser.format(CopySettings.maxAfterCopyTimeout))")
            } else {
                result.afterCopyTimeout = timeout
            }
        }
        return problems.count == before ? result : nil
    }

    /// An absolute directory without `.`/`..` parts; trailing `/` dropped.
    private mutating func destination(_ text: String, _ node: Node, _ path: String) -> String? {
        let example = "e.g. destination: /srv/rds-copies (a second disk, an NFS mount)"
        guard text.hasPrefix("/") else {
            report(node, path, "'\(text)' is not an absolute path; \(example)")
            return nil
        }
        let parts = text.split(separator: "/")
        guard !parts.isEmpty else {
            report(node, path, "'/' is the root directory; give a directory of its own, \(example)")
            return nil
        }
        if parts.contains(where: { $0 == "." || $0 == ".." }) || text.contains(where: { $0.isNewline || $0 == "\0" }) {
            report(node, path, "'\(text)' has a '.' or '..' part or a line break; write the directory plainly, \(example)")
            return nil
        }
        return "/" + parts.joined(separator: "/")
    }

    /// The entry's settings: its own keys over the defaults' keys. `.some(nil)`: no copy;
    /// nil: a problem was reported (no destination).
    mutating func mergeCopy(_ own: CopyFields?, _ defaults: CopyFields?, entry: Node, path: String) -> MergedCopy? {
        if own?.disabled == true { return MergedCopy(settings: nil) }
        let inherited = defaults?.disabled == true ? nil : defaults
        guard own != nil || inherited != nil else { return MergedCopy(settings: nil) }
        guard let destination = own?.destination ?? inherited?.destination else {
            let at = own ?? inherited
            report(at?.node ?? entry, Self.join(at?.origin ?? Self.join(path, "copy"), "destination"), "is missing; `copy:` needs the absolute directory copies go to, e.g. destination: /srv/rds-copies")
            return nil
        }
        var settings = CopySettings(destination: destination)
        settings.path = own?.path ?? inherited?.path ?? .default
        settings.retention = own?.retention ?? inherited?.retention ?? CopyRetentionRules()
        settings.bandwidthBytesPerSecond = own?.bandwidth ?? inherited?.bandwidth
        if let argv = own?.argv ?? inherited?.argv {
            settings.afterCopy = AlertCommand(
                argv: argv, timeout: own?.afterCopyTimeout ?? inherited?.afterCopyTimeout ?? CopySettings.defaultAfterCopyTimeout)
        }
        return MergedCopy(settings: settings)
    }
}

/// An entry's `copy:` after merging with `defaults` (nil settings: no copies).
struct MergedCopy {
    var settings: CopySettings?
}
