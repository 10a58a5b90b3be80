/// Where a job is in its life. Stored as text; the schema's CHECK constraint lists the same values.
public enum JobState: String, Sendable, CaseIterable, Codable {
    /// Waiting to be claimed.
    case queued
    /// Claimed; its plan (the items it will touch) is being listed.
    case planning
    /// Claimed and working through its plan.
    case running
    /// Stopped by an operator; keeps its graph reserved once it has started, so no other job interleaves with it.
    case paused
    /// Finished: every planned item was handled.
    case succeeded
    /// Stopped by an error that needs a person.
    case failed
    /// Stopped by an operator for good.
    case cancelled

    /// No further work will happen.
    public var isFinished: Bool {
        self == .succeeded || self == .failed || self == .cancelled
    }

    /// States a worker holds a lease in.
    public var isActive: Bool {
        self == .planning || self == .running
    }
}
