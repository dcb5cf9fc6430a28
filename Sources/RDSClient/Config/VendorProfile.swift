/// A clouds.yaml `profile:` (openstacksdk's vendor defaults), for the vendors rds-backupd knows.
///
/// openstacksdk's `config/vendors/otc.json`: auth URL `https://iam.%(region_name)s.otc.t-systems.com/v3`,
/// region `eu-de`, identity API v3 (docs/api-notes.md, "Credentials").
public struct VendorProfile: Sendable, Hashable {
    public var name: String
    public var defaultRegion: String
    /// The IAM URL with `{region}` in place of the region.
    var authURLPattern: String

    public func authURL(region: String) -> String {
        // The region table knows hosts that do not follow the pattern (eu-ch2's `iam-pub`).
        RegionTable.entries[region]?.iam ?? authURLPattern.replacingOccurrences(of: "{region}", with: region)
    }

    public static let otc = VendorProfile(
        name: "otc", defaultRegion: "eu-de", authURLPattern: "https://iam.{region}.otc.t-systems.com/v3")

    public static let all: [VendorProfile] = [.otc]

    public static func named(_ name: String) -> VendorProfile? {
        all.first { $0.name == name.lowercased() }
    }

    /// The region an OTC project name stands for: `eu-de` and `eu-de_subproject` are in eu-de.
    /// Only names whose region part is in the region table count.
    public static func region(ofProjectName name: String) -> String? {
        let regionPart = String(name.split(separator: "_", maxSplits: 1).first ?? "")
        return RegionTable.entries[regionPart] != nil ? regionPart : nil
    }
}
