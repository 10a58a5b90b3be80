/// The throttle's state in one word, for status lines and the job record.
public enum ThrottleState: String, Sendable, Hashable, CustomStringConvertible {
    /// Nothing holds the job back: full speed, or the slow start growing the batch to it (latency under the target).
    case running
    /// Batches run, smaller or further apart than at full speed.
    case throttled
    /// No batch runs.
    case paused

    public var description: String { rawValue }
}
