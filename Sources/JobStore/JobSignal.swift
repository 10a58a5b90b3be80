/// What a control-channel event means to a daemon.
public enum JobSignal: Sendable, Equatable {
    /// A job changed (enqueued, paused, resumed, cancelled, reprioritised, finished): re-read it.
    case jobChanged(JobID)
    /// The listener reconnected; notifications may have been missed: re-read everything relevant.
    case resync

    /// Interprets a listener event; `nil` for notifications that are not about a job.
    public init?(_ event: PostgresListener.Event) {
        switch event {
        case .reconnected:
            self = .resync
        case .notification(let notification):
            guard let id = JobID(notification.payload) else { return nil }
            self = .jobChanged(id)
        }
    }
}
