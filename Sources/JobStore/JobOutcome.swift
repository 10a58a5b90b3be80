/// How a worker ends a job it holds.
public enum JobOutcome: Sendable, Equatable {
    case succeeded
    /// Needs a person; the message becomes the job's last error.
    case failed(String)
    /// The worker honoured a cancel request.
    case cancelled

    var state: JobState {
        switch self {
        case .succeeded: return .succeeded
        case .failed: return .failed
        case .cancelled: return .cancelled
        }
    }

    var error: String? {
        if case .failed(let message) = self { return message }
        return nil
    }
}
