import Foundation

/// The simulator's notion of "now": backups finish, deletions complete and tokens expire on it.
///
/// A manual clock (the default) stands still until a test calls `advance(by:)`, so tests never
/// sleep; `SimulatorClock.wall()` follows the real clock (for the standalone simulator) and can
/// still be moved ahead.
public final class SimulatorClock: Sendable {
    private struct State {
        var frozen: Date?
        var offset: TimeInterval
    }
    private let state: Locked<State>

    /// A manual clock that stands at `start` until advanced.
    public init(start: Date = Date()) {
        state = Locked(State(frozen: start, offset: 0))
    }

    private init(wallOffset: TimeInterval) {
        state = Locked(State(frozen: nil, offset: wallOffset))
    }

    /// A clock that follows the wall clock.
    public static func wall() -> SimulatorClock { SimulatorClock(wallOffset: 0) }

    /// The current simulated instant.
    public func now() -> Date {
        state.withLock { s in (s.frozen ?? Date()).addingTimeInterval(s.offset) }
    }

    /// Moves the clock forward (or back, with a negative interval).
    public func advance(by seconds: TimeInterval) {
        state.withLock { $0.offset += seconds }
    }

    /// Sets the clock to an instant (a wall clock keeps running from there).
    public func set(_ date: Date) {
        state.withLock { s in s.offset = date.timeIntervalSince(s.frozen ?? Date()) }
    }
}
