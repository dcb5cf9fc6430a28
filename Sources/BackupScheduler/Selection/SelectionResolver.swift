import Foundation
import RDSClient

/// Reads which instances a selector matches right now: the instance list (every page, narrowed
/// on the server by engine and exact tags where it can), each instance's tags (from the list, or
/// `GET …/instances/{id}/tags` when the list did not report them), then the selector's match.
public struct SelectionResolver: Sendable {
    /// The cloud (in the service: behind the cloud's gate and timed, as the slots use it).
    public var cloud: GatedCloud

    public init(cloud: GatedCloud) {
        self.cloud = cloud
    }

    /// A resolver on a client behind `gate` when given (`next-runs`, `check-config --online`, tests).
    public init(client: any CloudAPI, gate: APIGate? = nil) {
        self.init(cloud: GatedCloud(client, gate: gate))
    }

    /// The selected instances, sorted by name then id, each with its tags filled in.
    /// Throws the first API error: a caller keeps its last known selection then.
    public func resolve(_ selector: InstanceSelector) async throws -> [Instance] {
        let query = InstanceQuery(datastoreType: selector.apiDatastoreType)
        let tags = selector.exactTags
        let listed = try await cloud.listInstances(query, tagged: tags)
        var selected: [Instance] = []
        for var instance in listed where selector.mayBeSelected(instance) {
            if selector.needsTags && instance.tags == nil {
                instance.tags = try await cloud.tags(ofInstance: instance.id)
            }
            if selector.selects(instance) { selected.append(instance) }
        }
        return selected.sorted { ($0.name, $0.id) < ($1.name, $1.id) }
    }
}
