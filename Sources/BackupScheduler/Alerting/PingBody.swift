/// The short plain-text body of a ping: entry, slot, and for a failure its error code, message
/// and request id. Built only from the observation (never a URL, credential or token).
public enum PingBody {
    /// At most this many bytes of message, so a ping stays short.
    static let maxMessage = 500

    public static func text(for observation: SlotObservation) -> String {
        var lines = ["rds-backupd: slot \(observation.kind.rawValue)"]
        lines.append("entry: \(observation.entry)")
        lines.append("instance: \(observation.instanceID)")
        lines.append("slot: \(RFC3339.formatUTC(observation.slot))")
        if let name = observation.backupName { lines.append("backup: \(name)") }
        if [.failed, .missed, .copyFailed].contains(observation.kind) {
            lines.append("error code: \(observation.errorCode ?? "-")")
            lines.append("message: \(String((observation.message ?? "-").prefix(maxMessage)))")
            lines.append("request id: \(observation.requestID ?? "-")")
            lines.append("attempts: \(observation.attempts)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
