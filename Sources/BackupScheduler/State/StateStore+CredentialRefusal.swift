import Foundation
import GRDB
import RDSClient

extension StateStore {
    /// When the newest finished slot failed because its cloud's credentials were refused earlier
    /// (`RDSError.credentialsRefusedCode`), the "credentials refused at HH:MM UTC" part of its
    /// message, for the status line; nil otherwise.
    public func credentialRefusal(since: Date) throws -> String? {
        try pool.read { db in
            guard
                let latest = try SlotRecord.filter(SlotState.finalStates.contains(Column("state")))
                    .filter(Column("updated_at") >= since)
                    .order(Column("updated_at").desc, Column("id").desc).fetchOne(db),
                latest.errorCode == RDSError.credentialsRefusedCode,
                let message = latest.errorMessage,
                let start = message.range(of: "credentials refused at ")
            else { return nil }
            let clock = message[start.upperBound...].prefix { $0 != " " }
            return "credentials refused at \(clock) UTC"
        }
    }
}
