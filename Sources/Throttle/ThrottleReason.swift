/// Why the throttle decided as it did, in words an operator can act on. The reason also fixes the state, so the two
/// cannot disagree.
public enum ThrottleReason: Sendable, Hashable, CustomStringConvertible {
    /// Full speed.
    case unthrottled
    /// The rate is being cut.
    case latencyAboveTarget(p99: Duration, target: Duration)
    /// Latency is back under the target after it slowed the job, and the rate is growing again, or it is at full
    /// speed but has not stayed under the target for the recovery period yet.
    case recovering(p99: Duration, target: Duration)
    /// The slow start: work starts (and starts again after a pause by an operator or a window, or a rate limit lifted)
    /// at the smallest batch, and the batch grows to `limit` while latency stays under the target. Latency has not
    /// slowed the job, so it is not throttled: calling this "recovering" told operators something held it back.
    case rampingUp(batchSize: Int, limit: Int, p99: Duration, target: Duration)
    /// The window holds no sample of the latency steered by: the rate is held where it is.
    case noLatencySignal(LatencySource, window: Duration)
    /// Paused since `p99` exceeded the critical level, until latency stays under the target for the recovery period.
    case criticalLatency(p99: Duration, critical: Duration)
    case pausedByOperator
    case operatorMaxRate(Int)
    case configuredMaxRate(Int)
    case windowPause(ThrottleWindow)
    case windowMaxRate(ThrottleLimit)
    case windowMaxBatchSize(ThrottleLimit)

    /// The reason with its measurements left out: the daemon writes a journal entry when the state or this changes,
    /// so latency moving about within one kind (cut, recovering, cut again) makes one entry, not one per batch.
    public enum Kind: String, Sendable, Hashable {
        case unthrottled
        case rampingUp
        case latency
        case noLatencySignal
        case criticalLatency
        case pausedByOperator
        case operatorMaxRate
        case configuredMaxRate
        case windowPause
        case windowMaxRate
        case windowMaxBatchSize

        /// Whether reasons of this kind carry measured latencies, which change from one decision to the next.
        var isMeasured: Bool { self == .latency || self == .criticalLatency || self == .rampingUp }
    }

    public var kind: Kind {
        switch self {
        case .unthrottled: .unthrottled
        case .rampingUp: .rampingUp
        case .latencyAboveTarget, .recovering: .latency
        case .noLatencySignal: .noLatencySignal
        case .criticalLatency: .criticalLatency
        case .pausedByOperator: .pausedByOperator
        case .operatorMaxRate: .operatorMaxRate
        case .configuredMaxRate: .configuredMaxRate
        case .windowPause: .windowPause
        case .windowMaxRate: .windowMaxRate
        case .windowMaxBatchSize: .windowMaxBatchSize
        }
    }

    public var state: ThrottleState {
        switch self {
        case .unthrottled, .rampingUp: .running
        case .criticalLatency, .pausedByOperator, .windowPause: .paused
        default: .throttled
        }
    }

    public var description: String {
        switch self {
        case .unthrottled:
            "unthrottled"
        case .latencyAboveTarget(let p99, let target):
            "latency p99 \(ThrottleFormat.duration(p99)) > target \(ThrottleFormat.duration(target))"
        case .recovering(let p99, let target):
            "recovering: latency p99 \(ThrottleFormat.duration(p99)) \(p99 < target ? "<" : "=") target "
                + ThrottleFormat.duration(target)
        case .rampingUp(let batchSize, let limit, let p99, let target):
            "ramping up: batch size \(ThrottleFormat.count(batchSize)) rising to \(ThrottleFormat.count(limit)), "
                + "latency p99 \(ThrottleFormat.duration(p99)) < target \(ThrottleFormat.duration(target))"
        case .noLatencySignal(let source, let window):
            "no \(source) samples in the last \(ThrottleFormat.duration(window)): holding the rate"
        case .criticalLatency(let p99, let critical):
            "paused: latency p99 \(ThrottleFormat.duration(p99)) > critical \(ThrottleFormat.duration(critical))"
        case .pausedByOperator:
            "paused by operator"
        case .operatorMaxRate(let rate):
            "operator: max \(ThrottleFormat.count(rate)) items/s"
        case .configuredMaxRate(let rate):
            "configured max \(ThrottleFormat.count(rate)) items/s"
        case .windowPause(let window):
            "paused: \(window.label)"
        case .windowMaxRate(let limit):
            "\(limit.window.label): max \(ThrottleFormat.count(limit.value)) items/s"
        case .windowMaxBatchSize(let limit):
            "\(limit.window.label): max batch \(ThrottleFormat.count(limit.value))"
        }
    }
}
