/// The recent Bolt latencies the throttle decides on, per source: the samples of the last `maxAge`, at most `maxCount`
/// of each source, so memory stays bounded however fast the probe runs. Recording and evicting cost O(log n); the
/// percentiles are exact.
///
/// Instants come from the caller's clock (the throttle controller's), so a test drives the window without sleeping.
/// They must not go backwards: age eviction takes samples oldest first.
public struct LatencyWindow<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    public private(set) var maxAge: Duration
    public private(set) var maxCount: Int
    /// The highest samples of a source its sustained p99 ignores.
    public private(set) var outliers: Int
    private var series: [LatencySource: LatencySeries<Instant>] = [:]

    /// - Parameters:
    ///   - maxAge: how far back the window looks: long enough to hold a few probe samples, short enough that the
    ///     throttle sees a load that has stopped within seconds.
    ///   - maxCount: the most samples kept per source.
    ///   - outliers: the highest samples of a source ``LatencyStatistics/sustainedP99`` ignores.
    public init(maxAge: Duration = .seconds(10), maxCount: Int = 1_000, outliers: Int = 0) {
        precondition(maxAge > .zero && maxCount > 0, "a latency window needs a positive age and count")
        precondition(outliers >= 0, "a latency window cannot ignore a negative number of outliers")
        self.maxAge = maxAge
        self.maxCount = maxCount
        self.outliers = outliers
    }

    /// Adds a sample measured at `instant`, dropping what has grown too old or too many.
    ///
    /// A probe that times out should be recorded with its timeout as its latency: a graph too busy to answer must read
    /// as slow, not as silent.
    public mutating func record(_ latency: Duration, from source: LatencySource, at instant: Instant) {
        series[source, default: LatencySeries()].append(latency, at: instant)
        series[source]?.removeOldest(keeping: maxCount)
        series[source]?.removeArrivals(before: instant.advanced(by: .zero - maxAge))
    }

    /// Applies new bounds to the samples held, keeping those within them: a reloaded configuration changes how far the
    /// window looks without forgetting what it has measured. A shorter age takes effect at the next `expire`.
    public mutating func resize(maxAge: Duration, maxCount: Int, outliers: Int) {
        precondition(maxAge > .zero && maxCount > 0, "a latency window needs a positive age and count")
        precondition(outliers >= 0, "a latency window cannot ignore a negative number of outliers")
        self.maxAge = maxAge
        self.maxCount = maxCount
        self.outliers = outliers
        for source in Array(series.keys) {
            series[source]?.removeOldest(keeping: maxCount)
        }
    }

    /// Drops the samples older than `maxAge` at `now`, so statistics never describe a spell that is over.
    public mutating func expire(asOf now: Instant) {
        let cutoff = now.advanced(by: .zero - maxAge)
        for source in Array(series.keys) {
            series[source]?.removeArrivals(before: cutoff)
        }
    }

    /// The percentiles of the samples held from `source`, or nil when there are none.
    public func statistics(of source: LatencySource) -> LatencyStatistics? {
        series[source]?.statistics(ignoring: outliers)
    }

    public func count(of source: LatencySource) -> Int {
        series[source]?.count ?? 0
    }
}
