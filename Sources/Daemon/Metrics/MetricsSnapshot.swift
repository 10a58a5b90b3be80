import JobStore

/// What one scrape of `/metrics` reports, taken at one instant so the numbers agree with each other; a plain value
/// so the exposition format is tested without a daemon or a socket.
public struct MetricsSnapshot: Sendable, Equatable {
    /// The job this daemon holds a lease on.
    public struct RunningJob: Sendable, Equatable {
        public var id: String
        public var migration: String
        public var direction: String
        public var done: Int64
        /// `nil` while the job is still being planned.
        public var total: Int64?
        /// `nil` before two batches were committed.
        public var itemsPerSecond: Double?
        /// `running`, `throttled` or `paused`.
        public var throttleState: String
        /// The kind of reason (`latency`, `windowPause`, ...), never its measurements: a label must not change
        /// with every batch.
        public var throttleReason: String
        /// Since the lease was last renewed (claim or heartbeat): above a third of the lease, heartbeats fail.
        public var leaseAge: Duration
        /// Since the last committed batch or throttle decision (a throttle pause is no lack of progress).
        public var sinceProgress: Duration
        /// No progress for `[daemon] stuck_after` or longer.
        public var stuck: Bool
    }

    public var version: String
    public var worker: String
    /// When the daemon started, in seconds since the Unix epoch.
    public var startTime: Double
    /// Jobs in the job table by state, as last read; `nil` before the first successful read.
    public var jobsByState: [JobState: Int]?
    /// Whether the last read of the job counts succeeded.
    public var jobStoreUp: Bool
    public var job: RunningJob?
    /// Items committed by this daemon since it started, over all jobs.
    public var itemsCommitted: Int64
    /// The latency of every batch this daemon committed since it started.
    public var batchLatency: LatencyHistogram
}
