import Foundation
import Synchronization

/// The known public endpoints per region (docs/rds-api.md §6).
public enum RegionTable {
    public struct Entry: Sendable, Hashable {
        public var rds: String
        public var iam: String
    }

    public static let entries: [String: Entry] = [
        "eu-de": Entry(rds: "https://rds.eu-de.otc.t-systems.com", iam: "https://iam.eu-de.otc.t-systems.com/v3"),
        "eu-nl": Entry(rds: "https://rds.eu-nl.otc.t-systems.com", iam: "https://iam.eu-nl.otc.t-systems.com/v3"),
        // The Swiss RDS host follows the `{svc}.eu-ch2.sc.otc.t-systems.com` pattern (UNCONFIRMED, §10.5).
        "eu-ch2": Entry(rds: "https://rds.eu-ch2.sc.otc.t-systems.com", iam: "https://iam-pub.eu-ch2.sc.otc.t-systems.com/v3"),
    ]

    static func unknownRegion(_ region: String, what: String) -> ClientConfigurationError {
        let known = entries.keys.sorted().joined(separator: ", ")
        return ClientConfigurationError(
            "region '\(region)' is not in the built-in table (\(known)); set \(what) explicitly")
    }
}

/// A validated base URL: https, or plain http to a loopback address only.
public struct EndpointURL: Sendable, Hashable, CustomStringConvertible {
    public let scheme: String
    public let host: String
    public let port: Int?
    /// Path without a trailing slash ("" for the root).
    public let path: String

    public init(_ text: String, purpose: String) throws(ClientConfigurationError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else {
            throw ClientConfigurationError("\(purpose) '\(text)' is not a URL; expected https://host[:port][/path]")
        }
        guard scheme == "https" || scheme == "http" else {
            throw ClientConfigurationError("\(purpose) '\(text)' uses '\(scheme)'; only https (or http to loopback) is allowed")
        }
        guard components.user == nil, components.password == nil else {
            throw ClientConfigurationError("\(purpose) must not carry credentials in the URL")
        }
        if scheme == "http" && !Self.isLoopback(host) {
            throw ClientConfigurationError(
                "\(purpose) '\(text)' uses plain http to a non-loopback host; use https (plain http is allowed only to 127.0.0.0/8, ::1 or localhost)")
        }
        self.scheme = scheme
        // URLComponents keeps the brackets of an IPv6 literal on some platforms; store it bare.
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = components.port
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        self.path = path
    }

    /// `host` or `host:port` as it goes into the Host header (and so into AK/SK signatures).
    public var authority: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        guard let port, port != (scheme == "https" ? 443 : 80) else { return shownHost }
        return "\(shownHost):\(port)"
    }

    public var description: String { "\(scheme)://\(authority)\(path)" }

    /// Appends path segments (already percent-encoded where needed).
    public func appending(path suffix: String) -> String {
        description + (suffix.hasPrefix("/") ? suffix : "/" + suffix)
    }

    public static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if h == "localhost" || h == "::1" || h == "0:0:0:0:0:0:0:1" { return true }
        let octets = h.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}

/// Where RDS calls go: the base URL up to and including `/v3/{project_id}`.
public struct ServiceRoot: Sendable, Hashable, CustomStringConvertible {
    public let base: EndpointURL
    public let projectID: String

    /// From an RDS host (`https://rds.eu-de.otc.t-systems.com`) or a catalog URL that may already
    /// end in `/v3/{project}` or hold a `$(tenant_id)s` / `%(tenant_id)s` placeholder (as OTCEXT accepts).
    public init(rdsURL: String, projectID: String, purpose: String) throws(ClientConfigurationError) {
        // The client resolves its root for every request; parsing the URL (URLComponents) each
        // time was 6 % of the service's CPU with a fleet in flight (BENCHMARKS.md).
        let key = Self.CacheKey(rdsURL: rdsURL, projectID: projectID)
        if let known = Self.resolved.withLock({ $0[key] }) {
            self = known
            return
        }
        try self.init(parsing: rdsURL, projectID: projectID, purpose: purpose)
        let root = self
        Self.resolved.withLock { cache in
            if cache.count >= Self.cacheLimit { cache.removeAll() }
            cache[key] = root
        }
    }

    private struct CacheKey: Hashable, Sendable {
        var rdsURL: String
        var projectID: String
    }

    /// Roots already validated, by their input: a process has a few (one per cloud and project).
    private static let resolved = Mutex<[CacheKey: ServiceRoot]>([:])
    private static let cacheLimit = 64

    private init(parsing rdsURL: String, projectID: String, purpose: String) throws(ClientConfigurationError) {
        var text = rdsURL
        for placeholder in ["$(tenant_id)s", "%(tenant_id)s", "$(project_id)s", "%(project_id)s"] {
            text = text.replacingOccurrences(of: placeholder, with: projectID)
        }
        var url = try EndpointURL(text, purpose: purpose)
        if !url.path.hasSuffix("/v3/\(projectID)") {
            let base = url.path.hasSuffix("/v3") ? url.description : url.appending(path: "v3")
            url = try EndpointURL(base + "/" + projectID, purpose: purpose)
        }
        self.base = url
        self.projectID = projectID
    }

    public var description: String { base.description }
}

/// One `catalog` entry of an IAM token (docs/rds-api.md §7.1).
public struct CatalogEntry: Sendable, Hashable, Decodable {
    public struct Endpoint: Sendable, Hashable, Decodable {
        public var url: String
        public var region: String?
        public var regionID: String?
        public var interface: String?
        enum CodingKeys: String, CodingKey { case url, region, interface; case regionID = "region_id" }
    }
    public var type: String
    public var name: String?
    public var endpoints: [Endpoint]

    /// The public `rdsv3` URL for `region`, if the catalog has one.
    public static func rdsURL(in catalog: [CatalogEntry], region: String) -> String? {
        let candidates = catalog.filter { $0.type == "rdsv3" }.flatMap(\.endpoints)
            .filter { ($0.interface ?? "public") == "public" }
        return (candidates.first { $0.regionID == region || $0.region == region }
            ?? (candidates.count == 1 ? candidates.first : nil))?.url
    }
}
