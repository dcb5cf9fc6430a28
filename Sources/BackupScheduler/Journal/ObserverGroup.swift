import Foundation
import RDSClient

/// Several observers as one (metrics and alerts side by side), called in order.
public struct ObserverGroup: ServiceObserver {
    public var observers: [any ServiceObserver]

    public init(_ observers: [any ServiceObserver]) { self.observers = observers }

    public func slot(_ observation: SlotObservation) { for observer in observers { observer.slot(observation) } }
    public func retry(entry: String, errorClass: ErrorClass) { for observer in observers { observer.retry(entry: entry, errorClass: errorClass) } }
    public func apiCall(operation: String, duration: Duration) { for observer in observers { observer.apiCall(operation: operation, duration: duration) } }
    public func pruned(entry: String, count: Int) { for observer in observers { observer.pruned(entry: entry, count: count) } }
    public func nextRuns(_ runs: [String: Date]) { for observer in observers { observer.nextRuns(runs) } }
    public func copy(_ observation: CopyObservation) { for observer in observers { observer.copy(observation) } }
}
