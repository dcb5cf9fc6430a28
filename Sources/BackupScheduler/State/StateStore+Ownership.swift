import Foundation
import GRDB

extension StateStore {
    /// The row holding `backupID`, other than the row `exceptSlotID`: a backup the state records
    /// for another slot is never adopted by this one.
    public func slot(holdingBackupID backupID: String, exceptSlotID: Int64?) throws(StateStoreError) -> SlotRecord? {
        try read { db in
            var request = SlotRecord.filter(Column("backup_id") == backupID)
            if let exceptSlotID { request = request.filter(Column("id") != exceptSlotID) }
            return try request.order(Column("id")).fetchOne(db)
        }
    }
}
