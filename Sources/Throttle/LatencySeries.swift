/// The samples of one source in arrival order (for eviction, oldest first) and in latency order (for percentiles).
struct LatencySeries<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    private struct Arrival: Sendable {
        var instant: Instant
        var key: OrderStatisticTree.Key
    }

    /// Arrivals still held start at `head`; the consumed prefix is dropped once it is the larger half.
    private var arrivals: [Arrival] = []
    private var head = 0
    private var ordered = OrderStatisticTree()
    private var nextSequence: UInt64 = 0

    var count: Int { arrivals.count - head }

    mutating func append(_ latency: Duration, at instant: Instant) {
        let key = OrderStatisticTree.Key(latency: latency, sequence: nextSequence)
        nextSequence += 1
        arrivals.append(Arrival(instant: instant, key: key))
        ordered.insert(key)
    }

    mutating func removeOldest(keeping maximum: Int) {
        while count > maximum {
            removeFirst()
        }
        compact()
    }

    mutating func removeArrivals(before cutoff: Instant) {
        while head < arrivals.count, arrivals[head].instant < cutoff {
            removeFirst()
        }
        compact()
    }

    /// The percentiles, with a sustained p99 that ignores the `outliers` highest samples (see
    /// ``LatencyStatistics/sustainedP99``).
    func statistics(ignoring outliers: Int = 0) -> LatencyStatistics? {
        guard count > 0 else { return nil }
        let p99 = percentile(99)
        return LatencyStatistics(
            count: count,
            p50: percentile(50),
            p95: percentile(95),
            p99: p99,
            max: ordered.key(atRank: count - 1).latency,
            sustainedP99: Swift.min(p99, ordered.key(atRank: Swift.max(0, count - 1 - outliers)).latency)
        )
    }

    /// Nearest rank: the smallest sample with at least `percent`% of the samples at or below it.
    private func percentile(_ percent: Int) -> Duration {
        let rank = (percent * count + 99) / 100
        return ordered.key(atRank: Swift.max(rank, 1) - 1).latency
    }

    private mutating func removeFirst() {
        ordered.remove(arrivals[head].key)
        head += 1
    }

    private mutating func compact() {
        if head > 32, head * 2 > arrivals.count {
            arrivals.removeFirst(head)
            head = 0
        }
    }
}
