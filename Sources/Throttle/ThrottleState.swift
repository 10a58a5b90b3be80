/// The throttle's state in one word, for status lines and the job record.
public enum ThrottleState: String, Sendable, Hashable, CustomStringConvertible {
    /// Full speed: nothing holds the job back.
    case running
    /// Batches run, smaller or further apart than at full speed.
    case throttled
    /// No batch runs.
    case paused

    public var description: String { rawValue }
}
