/// What the next batch should look like, and why.
public struct ThrottleDecision: Sendable, Hashable, CustomStringConvertible {
    /// The size of the next batch; while paused, the size work will resume with.
    public var batchSize: Int
    /// How long to wait before the next batch; while paused, how long to wait before asking again.
    public var pause: Duration
    public var reason: ThrottleReason
    /// The window's statistics of the latency steered by, when it holds samples.
    public var latency: LatencyStatistics?

    public init(batchSize: Int, pause: Duration, reason: ThrottleReason, latency: LatencyStatistics?) {
        self.batchSize = batchSize
        self.pause = pause
        self.reason = reason
        self.latency = latency
    }

    public var state: ThrottleState { reason.state }

    /// Whether this decision is news after `previous`: a change of state, of the kind of reason, or of a limit (a
    /// window or the operator setting another). The daemon writes one THROTTLE journal entry per change, not one per
    /// batch.
    public func isChange(from previous: ThrottleDecision?) -> Bool {
        guard let previous else { return true }
        if state != previous.state || reason.kind != previous.reason.kind {
            return true
        }
        return !reason.kind.isMeasured && reason != previous.reason
    }

    /// `throttled, batch 5,000, pause 0ms: latency p99 84ms > target 50ms`
    public var description: String {
        "\(state), batch \(ThrottleFormat.count(batchSize)), pause \(ThrottleFormat.duration(pause)): \(reason)"
    }
}
