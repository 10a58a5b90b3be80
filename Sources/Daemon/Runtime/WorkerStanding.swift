import JobStore
import Synchronization

/// Whether this daemon's worker identity is its own in the job store, as its last announcement found
/// (``JobStore/announce(_:serving:version:aliveFor:takingOver:)``): learnt by the announcing task, read by the claim
/// loop, which takes no job while another live daemon holds the identity.
final class WorkerStanding: Sendable {
    enum State: Sendable, Equatable {
        /// Not announced yet: the first announcement takes the identity over, from a predecessor killed before it
        /// could retire as from anyone, so that a restart after `kill -9` does not wait for its row to lapse.
        case unannounced
        /// The identity is this daemon's.
        case held
        /// Another live daemon announced the identity after this one did, and holds it.
        case displaced(by: WorkerPresence)
    }

    private let state = Mutex(State.unannounced)

    var current: State { state.withLock { $0 } }

    /// The daemon that holds the identity instead of this one, if one does.
    var displacedBy: WorkerPresence? {
        guard case .displaced(let other) = current else { return nil }
        return other
    }

    /// Records what an announcement found: `other`, the daemon that holds the identity instead, or nil when it is this
    /// daemon's. Returns the state before.
    func announced(_ other: WorkerPresence?) -> State {
        state.withLock { state in
            defer { state = other.map { .displaced(by: $0) } ?? .held }
            return state
        }
    }
}
