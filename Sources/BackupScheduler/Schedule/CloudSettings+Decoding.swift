import Foundation
import RDSClient
import Yams

/// Decoding of `cloud:` and `clouds:` into `CloudSettings`.
extension ScheduleFileParser {
    // MARK: - Clouds

    mutating func parseCloud(_ node: Node, path: String, name: String) -> CloudSettings? {
        guard let map = mapping(node, path, what: "a cloud") else { return nil }
        let f = fields(of: map, path: path, allowed: ScheduleKeys.cloud)
        let before = problems.count

        var region: String?
        if let value = f["region"] {
            if let text = string(value.value, Self.join(path, "region")) {
                if let zoneRegion = Self.regionOfZone(text) {
                    report(value.value, Self.join(path, "region"), "'\(text)' is an availability zone, not a region; write its region: `region: \(zoneRegion)`")
                } else if Self.isRegion(text) {
                    region = text
                } else {
                    report(value.value, Self.join(path, "region"), "'\(text)' is not a region; a region looks like eu-de, eu-nl or eu-ch2")
                }
            }
        } else {
            report(node, Self.join(path, "region"), "is missing; set the region, e.g. `region: eu-de`")
        }

        var project: ProjectScope?
        switch (f["project_id"], f["project_name"]) {
        case (let id?, nil):
            if let text = string(id.value, Self.join(path, "project_id")) {
                if Self.isLowerHex(text, count: 32) {
                    project = .id(text)
                } else {
                    report(id.value, Self.join(path, "project_id"), "'\(text)' is not a project id; a project id is 32 lowercase hex characters")
                }
            }
        case (nil, let projectName?):
            if let text = string(projectName.value, Self.join(path, "project_name")) {
                if (1...64).contains(text.count) && Self.only(text, extra: "_.-") {
                    project = .name(text)
                } else {
                    report(projectName.value, Self.join(path, "project_name"), "'\(text)' is not a project name; a project name is 1-64 letters, digits, '_', '.' or '-', e.g. eu-de_myproject")
                }
            }
        case (_?, let projectName?):
            report(projectName.key, Self.join(path, "project_name"), "both `project_id` and `project_name` are set; set one of them")
        case (nil, nil):
            report(node, Self.join(path, "project_id"), "is missing; set `project_id` (32 hex characters) or `project_name`")
        }

        var auth: RDSClient.AuthSource?
        if let value = f["auth"] {
            if let text = string(value.value, Self.join(path, "auth")) {
                if text == "credentials" {
                    auth = .credentialsDirectory
                } else if text == "env" {
                    auth = .environment
                } else if text == "agency" {
                    auth = .agency
                } else if text.hasPrefix("clouds.yaml:"), text.count > 12, Self.only(String(text.dropFirst(12)), extra: "_.-") {
                    auth = .cloudsYAML(cloud: String(text.dropFirst(12)))
                } else {
                    report(value.value, Self.join(path, "auth"), "'\(text)' is not an auth source; allowed are `clouds.yaml:NAME`, `credentials` ($CREDENTIALS_DIRECTORY), `env` (OS_* variables) and `agency` (the ECS's IAM agency)")
                }
            }
        } else {
            report(node, Self.join(path, "auth"), "is missing; set `auth:` to `clouds.yaml:NAME`, `credentials`, `env` or `agency`")
        }

        let authURL = f["auth_url"].flatMap { url($0.value, Self.join(path, "auth_url")) }
        let endpoint = f["endpoint"].flatMap { url($0.value, Self.join(path, "endpoint")) }
        let maxConcurrent = f["max_concurrent"].map { int($0.value, Self.join(path, "max_concurrent"), 1...64) }
        var requestsPerSecond: Double?
        if let value = f["requests_per_second"], let text = string(value.value, Self.join(path, "requests_per_second")) {
            if let number = Double(text), number >= 0.1, number <= 1000 {
                requestsPerSecond = number
            } else {
                report(value.value, Self.join(path, "requests_per_second"), "'\(text)' is not allowed; requests_per_second is a number from 0.1 to 1000")
            }
        }
        var caBundle: String?
        if let value = f["ca_bundle"], let text = string(value.value, Self.join(path, "ca_bundle")) {
            if text.hasPrefix("/") {
                caBundle = text
            } else {
                report(value.value, Self.join(path, "ca_bundle"), "'\(text)' is not an absolute path; ca_bundle is the absolute path of a PEM file")
            }
        }

        guard problems.count == before, let region, let project, let auth else { return nil }
        return CloudSettings(
            name: name, region: region, project: project, auth: auth, authURL: authURL, endpoint: endpoint,
            maxConcurrent: (maxConcurrent ?? nil) ?? CloudSettings.defaultMaxConcurrent,
            requestsPerSecond: requestsPerSecond ?? CloudSettings.defaultRequestsPerSecond, caBundle: caBundle)
    }

    mutating func url(_ node: Node, _ path: String) -> String? {
        guard let text = string(node, path) else { return nil }
        let allowed = "an https:// URL, or http:// only on loopback (127.0.0.1, localhost, [::1])"
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            report(node, path, "'\(text)' is not a URL; use \(allowed)")
            return nil
        }
        let loopback = host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]"
        guard scheme == "https" || (scheme == "http" && loopback) else {
            report(node, path, "'\(text)' is not allowed; use \(allowed)")
            return nil
        }
        return text
    }
}
