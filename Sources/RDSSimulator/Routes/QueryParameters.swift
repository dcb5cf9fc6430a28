/// Paging parameters shared by the list routes: `offset` ≥ 0 (default 0), `limit` 1–100 (default 100).
struct Paging {
    var offset: Int
    var limit: Int

    /// nil when a value is not an integer in range (the caller answers DBS.200001).
    init?(_ request: SimRequest) {
        offset = 0
        limit = 100
        if let text = request.queryValue("offset") {
            guard let value = Int(text), value >= 0 else { return nil }
            offset = value
        }
        if let text = request.queryValue("limit") {
            guard let value = Int(text), (1...100).contains(value) else { return nil }
            limit = value
        }
    }

    func apply<T>(_ items: [T]) -> [T] {
        Array(items.dropFirst(offset).prefix(limit))
    }
}

extension SimResponse {
    /// The generic "Parameter error." (DBS.200001, 400).
    static let parameterError = SimResponse.rdsError(400, "DBS.200001", "Parameter error.")
}
