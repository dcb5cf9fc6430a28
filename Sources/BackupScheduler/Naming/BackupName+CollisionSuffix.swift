import RDSClient

extension BackupName {
    /// The deterministic alternative name when a foreign backup holds this one: `-` and the
    /// instance id's first six characters, the base shortened if needed. Every host derives the
    /// same, so the slot runner (which creates under it) and retention (which recognises it as
    /// the entry's own) agree.
    public func collisionSuffixed(instanceID: String) -> BackupName {
        let tag = String(instanceID.unicodeScalars.filter { BackupName.isAllowed($0) && $0 != "-" }.prefix(6).map(Character.init))
        let suffix = "-" + (tag.isEmpty ? "x" : tag)
        let base = String(value.prefix(BackupName.maxLength - suffix.count))
        return (try? BackupName(base + suffix)) ?? self
    }
}
