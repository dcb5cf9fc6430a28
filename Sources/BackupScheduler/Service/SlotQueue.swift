import Foundation

/// The next run of one entry, as the scheduler's queue holds it.
public struct QueuedSlot: Sendable, Hashable {
    /// When it runs (slot + stable jitter).
    public var runAt: Date
    /// The cron instant: the slot's identity.
    public var slot: Date
    public var alias: String
}

/// A binary min-heap of upcoming slots ordered by run time then alias: the scheduler sleeps until
/// its top, never scanning or polling.
public struct SlotQueue: Sendable {
    private var heap: [QueuedSlot] = []

    public init() {}

    public var isEmpty: Bool { heap.isEmpty }
    public var count: Int { heap.count }
    /// The earliest slot.
    public var first: QueuedSlot? { heap.first }
    /// Every queued slot, unordered.
    public var all: [QueuedSlot] { heap }

    public mutating func push(_ item: QueuedSlot) {
        heap.append(item)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.less(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    @discardableResult
    public mutating func popFirst() -> QueuedSlot? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && Self.less(heap[left], heap[smallest]) { smallest = left }
            if right < heap.count && Self.less(heap[right], heap[smallest]) { smallest = right }
            if smallest == parent { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }

    static func less(_ a: QueuedSlot, _ b: QueuedSlot) -> Bool {
        (a.runAt, a.alias) < (b.runAt, b.alias)
    }
}
