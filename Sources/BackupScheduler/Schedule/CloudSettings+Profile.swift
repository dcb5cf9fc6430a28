import Foundation
import RDSClient

extension CloudSettings {
    /// The client profile for this cloud: credentials from its `auth` source, region, project and
    /// endpoint overrides from the schedule file.
    public func loadProfile(environment: [String: String]) throws(ClientConfigurationError) -> CloudProfile {
        var overrides = ProfileOverrides(region: region, authURL: authURL, endpoint: endpoint, caBundlePath: caBundle)
        switch project {
        case .id(let id): overrides.projectID = id
        case .name(let name): overrides.projectName = name
        }
        return try CredentialLoader(environment: environment).load(auth, overrides: overrides)
    }
}
