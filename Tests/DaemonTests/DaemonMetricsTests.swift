import Foundation
import JobStore
import Testing
import Throttle

@testable import Daemon

@Suite struct DaemonMetricsTests {
    @Test func aJobIsReportedFromClaimToEndAndStuckAfterItsSilence() {
        let metrics = DaemonMetrics(worker: "w1", version: "9.9", startTime: Date(timeIntervalSince1970: 10))
        let start = ContinuousClock.now
        #expect(metrics.snapshot(at: start, stuckAfter: .seconds(60)).job == nil)

        metrics.jobStarted(id: "17", migration: "007", direction: "down", done: 100, total: nil, at: start)
        #expect(metrics.snapshot(at: start, stuckAfter: .seconds(60)).job?.total == nil)
        let decision = ThrottleDecision(
            batchSize: 500,
            pause: .zero,
            reason: .windowPause(try! ThrottleWindow(parsing: "Mon-Sun 00:00-23:59 UTC: pause")),
            latency: nil
        )
        metrics.batchCommitted(
            done: 600,
            total: 1_000,
            committed: 500,
            latency: .milliseconds(30),
            itemsPerSecond: 250,
            throttle: decision,
            at: start + .seconds(2)
        )
        metrics.leaseRenewed(at: start + .seconds(3))
        let running = metrics.snapshot(at: start + .seconds(5), stuckAfter: .seconds(60))
        #expect(
            running.job
                == MetricsSnapshot.RunningJob(
                    id: "17",
                    migration: "007",
                    direction: "down",
                    done: 600,
                    total: 1_000,
                    itemsPerSecond: 250,
                    throttleState: "paused",
                    throttleReason: "windowPause",
                    leaseAge: .seconds(2),
                    sinceProgress: .seconds(3),
                    stuck: false
                )
        )
        #expect(running.itemsCommitted == 500)
        #expect(running.batchLatency.count == 1)
        #expect(running.worker == "w1" && running.version == "9.9" && running.startTime == 10)

        // No progress for stuck_after: stuck; a throttle decision counts as progress again.
        #expect(metrics.snapshot(at: start + .seconds(62), stuckAfter: .seconds(60)).job?.stuck == true)
        metrics.throttleDecided(nil, at: start + .seconds(62))
        let resumed = metrics.snapshot(at: start + .seconds(63), stuckAfter: .seconds(60)).job
        #expect(resumed?.stuck == false)
        #expect(resumed?.throttleState == "running" && resumed?.throttleReason == "unthrottled")

        metrics.jobEnded()
        let ended = metrics.snapshot(at: start + .seconds(64), stuckAfter: .seconds(60))
        #expect(ended.job == nil)
        #expect(ended.itemsCommitted == 500, "the daemon's counter outlives the job")
    }

    /// A job the daemon let go to wait (its graph down) and claims again where it stood keeps its last progress: the
    /// wait counts toward `stuck`, where each attempt used to start the job's clock afresh.
    @Test func aJobClaimedAgainWhereItStoodKeepsItsLastProgress() {
        let metrics = DaemonMetrics(worker: "w1")
        let start = ContinuousClock.now
        metrics.jobStarted(id: "17", migration: "007", direction: "up", done: 0, total: 1_000, at: start)
        metrics.batchCommitted(
            done: 100,
            total: 1_000,
            committed: 100,
            latency: .milliseconds(30),
            itemsPerSecond: 250,
            throttle: nil,
            at: start + .seconds(1)
        )
        metrics.jobStarted(
            id: "17",
            migration: "007",
            direction: "up",
            done: 100,
            total: 1_000,
            at: start + .seconds(30)
        )
        let waiting = metrics.snapshot(at: start + .seconds(90), stuckAfter: .seconds(60)).job
        #expect(waiting?.sinceProgress == .seconds(89) && waiting?.stuck == true, "\(String(describing: waiting))")
        #expect(waiting?.leaseAge == .seconds(60))
        // Another job, or the same one moved on elsewhere, starts afresh.
        metrics.jobStarted(
            id: "17",
            migration: "007",
            direction: "up",
            done: 400,
            total: 1_000,
            at: start + .seconds(91)
        )
        #expect(metrics.snapshot(at: start + .seconds(92), stuckAfter: .seconds(60)).job?.sinceProgress == .seconds(1))
    }

    @Test func jobCountsStayWhenAReadFailsButAreMarkedStale() {
        let metrics = DaemonMetrics(worker: "w1")
        #expect(metrics.snapshot(at: .now, stuckAfter: .seconds(1)).jobsByState == nil)
        metrics.jobCounts([.queued: 3])
        #expect(metrics.snapshot(at: .now, stuckAfter: .seconds(1)).jobStoreUp)
        metrics.jobCounts(nil)
        let stale = metrics.snapshot(at: .now, stuckAfter: .seconds(1))
        #expect(stale.jobsByState == [.queued: 3])
        #expect(!stale.jobStoreUp)
    }

    @Test func histogramCountsEachBatchInTheFirstBucketThatHoldsIt() {
        var histogram = LatencyHistogram(bounds: [0.01, 0.1])
        histogram.record(.milliseconds(10))
        histogram.record(.milliseconds(11))
        histogram.record(.seconds(7))
        #expect(histogram.cumulative.map(\.count) == [1, 2, 3])
        #expect(histogram.cumulative.map(\.bound) == [0.01, 0.1, nil])
        #expect(abs(histogram.sum - 7.021) < 1e-9)
    }
}
