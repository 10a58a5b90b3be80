import JobStore
import Synchronization

/// Passes the listener's NOTIFYs about the job a session runs on to that session, whose heartbeat then reads the
/// job's control row at once: a pause or a cancel stops the job after the batch in flight, within a second, where
/// it used to wait for a later batch's checkpoint or the next heartbeat (up to a third of the lease).
final class JobChanges: Sendable {
    private let watched = Mutex<(job: JobID, wakeup: Wakeup)?>(nil)

    /// From now on, a change of `job` (or a reconnected listener, which may have missed one) signals `wakeup`.
    func watch(_ job: JobID, wakeup: Wakeup) {
        watched.withLock { $0 = (job, wakeup) }
    }

    func unwatch() {
        watched.withLock { $0 = nil }
    }

    func received(_ signal: JobSignal) {
        let wakeup = watched.withLock { watched -> Wakeup? in
            guard let watched else { return nil }
            switch signal {
            case .jobChanged(let job): return job == watched.job ? watched.wakeup : nil
            case .resync: return watched.wakeup
            }
        }
        wakeup?.signal()
    }
}
