import JobStore

/// Batch latencies counted into fixed buckets, as an OpenMetrics histogram exposes them: a scraper can compute any
/// quantile over any time range from the bucket counters, which a summary computed here could not offer.
public struct LatencyHistogram: Sendable, Equatable {
    /// Upper bounds in seconds, from a quick batch on an idle graph to the default batch timeout (120 s).
    public static let batchBounds: [Double] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

    /// The buckets' upper bounds in seconds, ascending; `+Inf` is implied after the last.
    public let bounds: [Double]
    /// Observations per bucket (not cumulative); one more than `bounds`, the last for `+Inf`.
    private var perBucket: [Int64]
    public private(set) var sum: Double = 0
    public private(set) var count: Int64 = 0

    public init(bounds: [Double] = Self.batchBounds) {
        self.bounds = bounds
        perBucket = Array(repeating: 0, count: bounds.count + 1)
    }

    public mutating func record(_ latency: Duration) {
        let seconds = latency.seconds
        let bucket = bounds.firstIndex { seconds <= $0 } ?? bounds.count
        perBucket[bucket] += 1
        sum += seconds
        count += 1
    }

    /// Each bucket's count of observations at or below its bound (`nil`: `+Inf`), as `_bucket{le=...}` reports it.
    public var cumulative: [(bound: Double?, count: Int64)] {
        var running: Int64 = 0
        return perBucket.enumerated().map { index, observations in
            running += observations
            return (index < bounds.count ? bounds[index] : nil, running)
        }
    }
}
