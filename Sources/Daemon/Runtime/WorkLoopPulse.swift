import Synchronization

/// The work loop's sign of life for the watchdog: each beat says "I progressed now, and my next beat comes within
/// this allowance". The allowance is a batch's timeout plus a margin while a job runs, the poll interval plus the
/// margin while idle: so a long batch is not mistaken for a hang, and a hung loop is caught.
public final class WorkLoopPulse: Sendable {
    private struct State {
        var last: ContinuousClock.Instant
        var allowance: Duration
    }

    private let state: Mutex<State>

    public init(now: ContinuousClock.Instant = .now, allowance: Duration) {
        state = Mutex(State(last: now, allowance: allowance))
    }

    /// Records progress at `now`; the next is due within `allowance`.
    public func beat(at now: ContinuousClock.Instant = .now, allowing allowance: Duration) {
        state.withLock {
            $0.last = now
            $0.allowance = allowance
        }
    }

    /// Whether the loop's last beat is still within its allowance at `now`; when not, how long it has been silent.
    public func overdue(at now: ContinuousClock.Instant = .now) -> Duration? {
        state.withLock { state in
            let silent = now - state.last
            return silent > state.allowance ? silent : nil
        }
    }
}
