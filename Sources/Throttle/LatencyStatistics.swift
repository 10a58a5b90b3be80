/// Percentiles of the samples a window holds, by the nearest-rank method: p99 of 100 samples is the 99th smallest, so
/// every figure is a latency that was actually measured.
public struct LatencyStatistics: Sendable, Hashable {
    public var count: Int
    public var p50: Duration
    public var p95: Duration
    public var p99: Duration
    public var max: Duration
    /// The p99 the throttle decides on: p99, but never above a latency that fewer than `outliers + 1` samples
    /// reached. A window of 40 probes has no meaningful p99 (it is their maximum): there one stall of the client
    /// (a GC pause, a starved scheduler) would pause a job and, held for the window's age, keep it paused.
    public var sustainedP99: Duration

    public init(count: Int, p50: Duration, p95: Duration, p99: Duration, max: Duration, sustainedP99: Duration? = nil) {
        self.count = count
        self.p50 = p50
        self.p95 = p95
        self.p99 = p99
        self.max = max
        self.sustainedP99 = sustainedP99 ?? p99
    }
}

extension LatencyStatistics: CustomStringConvertible {
    public var description: String {
        "p50 \(ThrottleFormat.duration(p50)), p95 \(ThrottleFormat.duration(p95)), "
            + "p99 \(ThrottleFormat.duration(p99)), max \(ThrottleFormat.duration(max)) (\(count) samples)"
    }
}
