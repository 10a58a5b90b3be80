/// Items per second over the last stretch of a job's progress, so the rate in the status line follows the throttle
/// within seconds instead of averaging the whole run. A pure value: the caller passes the time.
struct RateMeter: Sendable {
    /// How far back the rate looks.
    var span: Duration
    private var samples: [(at: Duration, done: Int64)] = []

    init(span: Duration = .seconds(30)) {
        self.span = span
    }

    /// Records that `done` items were done at `at` (time since any fixed origin).
    mutating func record(done: Int64, at: Duration) {
        samples.append((at, done))
        while let first = samples.first, samples.count > 2, at - first.at > span {
            samples.removeFirst()
        }
    }

    /// Items per second between the oldest sample kept and the newest, `nil` before two samples.
    var itemsPerSecond: Double? {
        guard let first = samples.first, let last = samples.last, last.at > first.at else { return nil }
        let seconds =
            Double((last.at - first.at).components.seconds)
            + Double((last.at - first.at).components.attoseconds) / 1e18
        return Double(last.done - first.done) / seconds
    }

    /// Forgets the samples (a new job, or a pause that would drag the rate down).
    mutating func reset() {
        samples.removeAll()
    }
}
