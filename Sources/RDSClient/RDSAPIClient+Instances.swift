import Foundation

/// Instance listing by tag, and an instance's tags (docs/api-notes.md "Instance tags").
extension RDSAPIClient {
    /// `GET /v3/{project_id}/instances`, every page, asking the server to narrow the list to
    /// instances carrying every pair of `tags` (`tags=k1=v1,k2=v2`).
    ///
    /// OTC documents the `tags` parameter only by example, so the answer is treated as a hint:
    /// the caller must still filter (`InstanceTag`s of each instance). A server that refuses the
    /// parameter (400) is asked again without it. Pairs that cannot be sent safely (a key or value
    /// holding `,` or `=`, an empty key) are left out of the query. Each instance's `tags` is nil
    /// when the answer did not report them; `tags(ofInstance:)` asks for them.
    public func listInstances(_ query: InstanceQuery = .init(), tagged tags: [InstanceTag]) async throws -> [Instance] {
        let sendable = tags.filter { Self.isSendableTagPart($0.key) && !$0.key.isEmpty && Self.isSendableTagPart($0.value) }
        guard !sendable.isEmpty else { return try await listInstances(query) }
        let filter = sendable.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        do {
            return try await listInstancePages(query, extra: [("tags", filter)])
        } catch let error as RDSError where error.status == 400 {
            logger.info(
                "the instance list refused the tags parameter; listing without it and filtering here",
                metadata: ["RDS_ERROR_CODE": "\(error.code ?? "-")", "RDS_REQUEST_ID": "\(error.requestID ?? "-")"])
            return try await listInstances(query)
        }
    }

    /// `GET /v3/{project_id}/instances/{instance_id}/tags`: the instance's tags (empty when it has none).
    public func tags(ofInstance id: String) async throws -> [InstanceTag] {
        let operation = "list tags of instance \(id)"
        let response = try await send(
            operation: operation, method: .GET, path: "instances/\(SDKSigner.percentEncode(id))/tags", query: [], body: [])
        struct Envelope: Decodable { var tags: InstanceTag.List? }
        return try response.decodeJSON(Envelope.self, operation: operation).tags?.tags ?? []
    }

    /// A tag part the `tags` query can carry: `,` separates pairs and `=` key from value.
    static func isSendableTagPart(_ text: String) -> Bool {
        !text.contains(",") && !text.contains("=")
    }

    /// Every page of the instance list with extra query items (before `offset` and `limit`).
    private func listInstancePages(_ query: InstanceQuery, extra: [(name: String, value: String)]) async throws -> [Instance] {
        struct Page: Decodable { var instances: [Instance]; var total_count: Int? }
        return try await listAll(operation: "list instances", path: "instances") { offset, limit in
            var items = query.queryItems(offset: offset, limit: limit)
            items.insert(contentsOf: extra, at: max(0, items.count - 2))
            return items
        } decode: { (page: Page) in (page.instances, page.total_count) }
    }
}
