import Foundation
import Yams

/// `alert:` (in `defaults` and entries) and the top-level `metrics:` of the schedule file.
extension ScheduleFileParser {
    /// Characters a shell would interpret: a command string holding one must be written as a list.
    static let shellCharacters = Set("\"'`$|;&<>(){}*?~\\#")

    /// One level's `alert:`; nil fields are not set at this level and are inherited.
    struct AlertFields {
        /// `alert: false`: nothing is inherited from `defaults`.
        var disabled = false
        var start: PingURL?
        var success: PingURL?
        var failure: PingURL?
        var argv: [String]?
        var commandTimeout: Duration?
        var node: Node
        var path: String

        /// The entry's settings: its own keys over the defaults' keys; nil when nothing is set.
        static func merge(_ own: AlertFields?, _ defaults: AlertFields?) -> AlertSettings? {
            if own?.disabled == true { return nil }
            let inherited = defaults?.disabled == true ? nil : defaults
            var settings = AlertSettings(
                start: own?.start ?? inherited?.start, success: own?.success ?? inherited?.success,
                failure: own?.failure ?? inherited?.failure)
            if let argv = own?.argv ?? inherited?.argv {
                settings.command = AlertCommand(
                    argv: argv, timeout: own?.commandTimeout ?? inherited?.commandTimeout ?? AlertCommand.defaultTimeout)
            }
            return settings.isEmpty ? nil : settings
        }
    }

    /// `alert:` at `path`: a mapping of `ScheduleKeys.alert`, or `false` to inherit nothing.
    mutating func parseAlert(_ node: Node, path: String) -> AlertFields? {
        if case .scalar(let scalar) = node, ["false", "off", "none"].contains(scalar.string.lowercased()) {
            return AlertFields(disabled: true, node: node, path: path)
        }
        guard let map = mapping(node, path, what: "`alert` (or `false` to switch inherited alerts off)") else { return nil }
        let f = fields(of: map, path: path, allowed: ScheduleKeys.alert)
        guard map.count > 0 else {
            report(node, path, "is empty; set some of \(ScheduleKeys.alert.joined(separator: ", ")), or `alert: false` to switch inherited alerts off")
            return nil
        }
        let before = problems.count
        var result = AlertFields(node: node, path: path)
        result.start = f["start"].flatMap { pingURL($0.value, Self.join(path, "start")) }
        result.success = f["success"].flatMap { pingURL($0.value, Self.join(path, "success")) }
        result.failure = f["failure"].flatMap { pingURL($0.value, Self.join(path, "failure")) }
        result.argv = f["command"].flatMap { commandArgv($0.value, Self.join(path, "command")) }
        if let field = f["command_timeout"], let timeout = duration(field.value, Self.join(path, "command_timeout"), allowZero: false) {
            if timeout > .seconds(600) {
                report(field.value, Self.join(path, "command_timeout"), "\(DurationParser.format(timeout)) is too long; command_timeout is at most 10m (the command must not hold on to the service)")
            } else {
                result.commandTimeout = timeout
            }
        }
        return problems.count == before ? result : nil
    }

    /// http and https are both allowed: self-hosted healthchecks often runs on an internal network
    /// without TLS, and a ping carries no cloud credential, only its own URL.
    private mutating func pingURL(_ node: Node, _ path: String) -> PingURL? {
        guard let text = string(node, path) else { return nil }
        let allowed = "a ping URL is https://HOST/PATH or http://HOST/PATH, e.g. https://hc-ping.com/UUID"
        let shown = PingURL(text)?.redacted ?? Self.redactedForMessage(text)
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased() else {
            report(node, path, "'\(shown)' is not a URL; \(allowed)")
            return nil
        }
        guard scheme == "https" || scheme == "http" else {
            report(node, path, "'\(scheme)://' URLs are not allowed; \(allowed)")
            return nil
        }
        if url.user != nil || url.password != nil {
            report(node, path, "'\(shown)' holds a user or password; credentials never live in the schedule file, and a ping URL carries its token in its path")
            return nil
        }
        guard let ping = PingURL(text) else {
            report(node, path, "'\(shown)' has no host; \(allowed)")
            return nil
        }
        return ping
    }

    /// Shows only the scheme of a URL that did not parse, since it may hold a token.
    static func redactedForMessage(_ text: String) -> String {
        if let range = text.range(of: "://") { return text[..<range.upperBound] + "<redacted>" }
        return text.count > 12 ? String(text.prefix(4)) + "…" : text
    }

    /// A YAML list is the argv as written; a string is split at spaces, without a shell, and may
    /// not hold shell syntax (quotes, `$`, `|`, …): write such a command as a list.
    mutating func commandArgv(_ node: Node, _ path: String) -> [String]? {
        var argv: [String] = []
        switch node {
        case .sequence(let sequence):
            for (index, item) in sequence.enumerated() {
                guard let text = string(item, "\(path)[\(index)]") else { return nil }
                argv.append(text)
            }
        default:
            guard let text = string(node, path) else { return nil }
            if let bad = text.first(where: { Self.shellCharacters.contains($0) }) {
                report(node, path, "'\(text)' contains '\(bad)'; the command is run without a shell, so write it as a list, e.g. command: [/usr/local/bin/notify, --channel, \"db team\"]")
                return nil
            }
            argv = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        }
        guard let program = argv.first else {
            report(node, path, "is empty; give the program's absolute path and its arguments, e.g. command: [/usr/local/bin/notify, --team, db]")
            return nil
        }
        guard program.hasPrefix("/") else {
            report(node, path, "'\(program)' is not an absolute path; the command is run without a shell or PATH search, e.g. /usr/local/bin/notify")
            return nil
        }
        guard argv.count <= 64, argv.allSatisfy({ !$0.contains("\0") && !$0.contains(where: \.isNewline) }) else {
            report(node, path, "has more than 64 arguments or an argument with a line break; keep the command short")
            return nil
        }
        return argv
    }

    /// The top-level `metrics:`.
    mutating func parseMetrics(_ node: Node, path: String) -> MetricsSettings {
        guard let map = mapping(node, path, what: "`metrics`") else { return MetricsSettings() }
        let f = fields(of: map, path: path, allowed: ScheduleKeys.metrics)
        var settings = MetricsSettings()
        if let field = f["textfile"], let text = string(field.value, Self.join(path, "textfile")) {
            if !text.hasPrefix("/") {
                report(field.value, Self.join(path, "textfile"), "'\(text)' is not an absolute path; textfile is the absolute path of a file in node-exporter's textfile-collector directory, e.g. /var/lib/node_exporter/textfile_collector/rds_backupd.prom")
            } else if !text.hasSuffix(".prom") || text.hasSuffix("/.prom") {
                report(field.value, Self.join(path, "textfile"), "'\(text)' does not end in .prom; node-exporter's textfile collector reads only *.prom files, e.g. /var/lib/node_exporter/textfile_collector/rds_backupd.prom")
            } else {
                settings.textfile = text
            }
        }
        if let field = f["listen"] {
            if case .sequence = field.value {
                report(field.value, Self.join(path, "listen"), "is a YAML list; quote an IPv6 address: listen: \"[::1]:9468\"")
            } else if let text = string(field.value, Self.join(path, "listen")) {
                if let address = LoopbackAddress.parse(text), address.port > 0 {
                    settings.listen = address
                } else {
                    report(field.value, Self.join(path, "listen"), "'\(text)' is not allowed; the metrics listener binds only a loopback address and a port from 1 to 65535: 127.0.0.1:9468, \"[::1]:9468\" or localhost:9468 (scrape it through a local agent or proxy, or use `textfile` with node-exporter)")
                }
            }
        }
        return settings
    }
}
