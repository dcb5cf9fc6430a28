import Foundation
import RDSClient

/// Reads which instances a selector matches right now: the instance list (every page, narrowed
/// on the server by engine and exact tags where it can), each instance's tags (from the list, or
/// `GET …/instances/{id}/tags` when the list did not report them), then the selector's match.
public struct SelectionResolver: Sendable {
    public var client: RDSAPIClient
    /// Every call goes through the cloud's gate when set (the same cap and rate as the slots).
    public var gate: APIGate?

    public init(client: RDSAPIClient, gate: APIGate? = nil) {
        self.client = client
        self.gate = gate
    }

    /// The selected instances, sorted by name then id, each with its tags filled in.
    /// Throws the first API error: a caller keeps its last known selection then.
    public func resolve(_ selector: InstanceSelector) async throws -> [Instance] {
        let query = InstanceQuery(datastoreType: selector.apiDatastoreType)
        let tags = selector.exactTags
        let listed = try await call { try await client.listInstances(query, tagged: tags) }
        var selected: [Instance] = []
        for var instance in listed where selector.mayBeSelected(instance) {
            if selector.needsTags && instance.tags == nil {
                let id = instance.id
                instance.tags = try await call { try await client.tags(ofInstance: id) }
            }
            if selector.selects(instance) { selected.append(instance) }
        }
        return selected.sorted { ($0.name, $0.id) < ($1.name, $1.id) }
    }

    private func call<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        guard let gate else { return try await body() }
        return try await gate.perform(body)
    }
}
