import Foundation
import JobStore
import Synchronization
import Throttle

/// What the daemon reports on `/metrics`, recorded as it happens by the work loop and the job session and read by
/// the metrics endpoint. Recording is a few assignments under a lock, so it costs nothing when nobody scrapes, and
/// a scrape never waits for the work loop (it is answered even while the loop hangs in a batch).
public final class DaemonMetrics: Sendable {
    /// The running job as the session last reported it.
    private struct RunningJob {
        var id: String
        var migration: String
        var direction: String
        var done: Int64
        var total: Int64?
        var itemsPerSecond: Double?
        var throttle: ThrottleDecision?
        var leaseRenewed: ContinuousClock.Instant
        var lastProgress: ContinuousClock.Instant
    }

    private struct State {
        var jobsByState: [JobState: Int]?
        var jobStoreUp = false
        var job: RunningJob?
        var itemsCommitted: Int64 = 0
        var batchLatency = LatencyHistogram()
    }

    public let version: String
    public let worker: String
    /// Seconds since the Unix epoch.
    public let startTime: Double
    private let state = Mutex(State())

    public init(worker: String, version: String = SluiceVersion.current, startTime: Date = Date()) {
        self.worker = worker
        self.version = version
        self.startTime = startTime.timeIntervalSince1970
    }

    /// The session claimed job `id`, `done` of `total` items (`nil`: not planned yet): its lease was renewed and its
    /// progress counts from `now`. The same job claimed again where it stood, after the daemon let it go to wait (an
    /// outage: ``jobEnded()`` was not called), keeps its last progress and throttle state: a graph down for hours is
    /// a job without progress for hours (`sluice_job_stuck`), not one that starts afresh at every attempt.
    func jobStarted(
        id: String,
        migration: String,
        direction: String,
        done: Int64,
        total: Int64?,
        at now: ContinuousClock.Instant
    ) {
        state.withLock { state in
            if var waiting = state.job, waiting.id == id, waiting.done == done {
                waiting.leaseRenewed = now
                state.job = waiting
                return
            }
            state.job = RunningJob(
                id: id,
                migration: migration,
                direction: direction,
                done: done,
                total: total,
                leaseRenewed: now,
                lastProgress: now
            )
        }
    }

    /// A batch was committed: `done` of `total` items, `committed` of them in this batch, which took `latency`.
    func batchCommitted(
        done: Int64,
        total: Int64,
        committed: Int64,
        latency: Duration,
        itemsPerSecond: Double?,
        throttle: ThrottleDecision?,
        at now: ContinuousClock.Instant
    ) {
        state.withLock { state in
            state.itemsCommitted += max(0, committed)
            state.batchLatency.record(latency)
            state.job?.done = done
            state.job?.total = total
            state.job?.itemsPerSecond = itemsPerSecond
            state.job?.throttle = throttle
            state.job?.lastProgress = now
        }
    }

    /// The throttle decided without a batch being committed (a change, or a wait between batches): that is
    /// progress too, as for the status line's stuck check.
    func throttleDecided(_ throttle: ThrottleDecision?, at now: ContinuousClock.Instant) {
        state.withLock { state in
            state.job?.throttle = throttle
            state.job?.lastProgress = now
        }
    }

    func leaseRenewed(at now: ContinuousClock.Instant) {
        state.withLock { $0.job?.leaseRenewed = now }
    }

    /// The job ended, was paused or taken over, or the daemon moved on: it is no longer reported. Not called when the
    /// daemon lets the job go to wait for Postgres, the graph or the migrations folder.
    func jobEnded() {
        state.withLock { $0.job = nil }
    }

    /// The job table's counts by state, or `nil` when reading them failed (the last counts stay, marked stale).
    func jobCounts(_ counts: [JobState: Int]?) {
        state.withLock { state in
            state.jobStoreUp = counts != nil
            if let counts { state.jobsByState = counts }
        }
    }

    /// Everything at `now`; the running job is stuck when it made no progress for `stuckAfter`.
    public func snapshot(at now: ContinuousClock.Instant, stuckAfter: Duration) -> MetricsSnapshot {
        let state = state.withLock { $0 }
        return MetricsSnapshot(
            version: version,
            worker: worker,
            startTime: startTime,
            jobsByState: state.jobsByState,
            jobStoreUp: state.jobStoreUp,
            job: state.job.map { job in
                let sinceProgress = now - job.lastProgress
                return MetricsSnapshot.RunningJob(
                    id: job.id,
                    migration: job.migration,
                    direction: job.direction,
                    done: job.done,
                    total: job.total,
                    itemsPerSecond: job.itemsPerSecond,
                    throttleState: job.throttle?.state.rawValue ?? ThrottleState.running.rawValue,
                    throttleReason: job.throttle?.reason.kind.rawValue ?? ThrottleReason.Kind.unthrottled.rawValue,
                    leaseAge: now - job.leaseRenewed,
                    sinceProgress: sinceProgress,
                    stuck: sinceProgress >= stuckAfter
                )
            },
            itemsCommitted: state.itemsCommitted,
            batchLatency: state.batchLatency
        )
    }
}
