import JobStore
import Testing

@testable import Daemon

@Suite struct OpenMetricsTextTests {
    private func snapshot(job: MetricsSnapshot.RunningJob? = nil) -> MetricsSnapshot {
        var histogram = LatencyHistogram(bounds: [0.1, 1])
        histogram.record(.milliseconds(50))
        histogram.record(.milliseconds(100))
        histogram.record(.milliseconds(400))
        histogram.record(.seconds(3))
        return MetricsSnapshot(
            version: "0.1.0",
            worker: "host/\"quoted\"\\n",
            startTime: 1_700_000_000.5,
            jobsByState: [.queued: 2, .running: 1, .succeeded: 7],
            jobStoreUp: true,
            job: job,
            itemsCommitted: 4_250,
            batchLatency: histogram
        )
    }

    private let running = MetricsSnapshot.RunningJob(
        id: "42",
        migration: "007",
        direction: "up",
        done: 4_000,
        total: 10_000,
        itemsPerSecond: 812.5,
        throttleState: "throttled",
        throttleReason: "latency",
        leaseAge: .milliseconds(1_500),
        sinceProgress: .seconds(2),
        stuck: false
    )

    @Test func idleDaemonHasNoJobSeriesAndEndsWithEOF() {
        let text = OpenMetricsText.render(snapshot())
        #expect(text.hasSuffix("\n# EOF\n"))
        #expect(!text.contains("job=\""))
        #expect(text.contains("# TYPE sluice_daemon info\n"))
        #expect(text.contains(#"sluice_daemon_info{version="0.1.0",worker="host/\"quoted\"\\n"} 1"#))
        #expect(text.contains("sluice_daemon_start_time_seconds 1700000000.5\n"))
        #expect(text.contains("sluice_job_store_up 1\n"))
        #expect(text.contains("sluice_items_committed_total 4250\n"))
        // Every state is listed, the ones with no job as 0.
        for state in JobState.allCases {
            let expected = ["queued": 2, "running": 1, "succeeded": 7][state.rawValue] ?? 0
            #expect(text.contains("sluice_jobs{state=\"\(state.rawValue)\"} \(expected)\n"), "\(state)")
        }
    }

    @Test func histogramBucketsAreCumulative() {
        let text = OpenMetricsText.render(snapshot())
        #expect(
            text.contains(
                """
                # TYPE sluice_batch_duration_seconds histogram
                # HELP sluice_batch_duration_seconds Time from sending a batch to its commit, for every batch this daemon committed.
                sluice_batch_duration_seconds_bucket{le="0.1"} 2
                sluice_batch_duration_seconds_bucket{le="1.0"} 3
                sluice_batch_duration_seconds_bucket{le="+Inf"} 4
                sluice_batch_duration_seconds_count 4
                sluice_batch_duration_seconds_sum 3.55

                """
            )
        )
    }

    @Test func runningJobHasItsLabelsOnEverySeries() {
        let text = OpenMetricsText.render(snapshot(job: running))
        let labels = #"job="42",migration="007",direction="up""#
        for line in [
            "sluice_job_items_done{\(labels)} 4000",
            "sluice_job_items_planned{\(labels)} 10000",
            "sluice_job_items_per_second{\(labels)} 812.5",
            "sluice_throttle_state{\(labels),state=\"throttled\",reason=\"latency\"} 1",
            "sluice_lease_age_seconds{\(labels)} 1.5",
            "sluice_job_seconds_since_progress{\(labels)} 2.0",
            "sluice_job_stuck{\(labels)} 0",
        ] {
            #expect(text.contains(line + "\n"), "\(line)")
        }
    }

    @Test func everyFamilyHasTypeAndHelpOnce() {
        let text = OpenMetricsText.render(snapshot(job: running))
        let lines = text.split(separator: "\n")
        let types = lines.filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] }
        let helps = lines.filter { $0.hasPrefix("# HELP ") }.map { $0.split(separator: " ")[2] }
        #expect(types == helps)
        #expect(Set(types).count == types.count)
        // Every sample belongs to the family declared last before it.
        var family = ""
        for line in lines {
            if line.hasPrefix("# TYPE ") {
                family = String(line.split(separator: " ")[2])
            } else if !line.hasPrefix("#") {
                #expect(line.hasPrefix(family), "\(line) outside \(family)")
            }
        }
    }

    @Test func unplannedJobHasNoTotalAndAStuckJobSaysSo() {
        var job = running
        job.total = nil
        job.itemsPerSecond = nil
        job.stuck = true
        let text = OpenMetricsText.render(snapshot(job: job))
        #expect(!text.contains("sluice_job_items_planned{"))
        #expect(text.contains("sluice_job_items_per_second{job=\"42\",migration=\"007\",direction=\"up\"} 0.0\n"))
        #expect(text.contains("sluice_job_stuck{job=\"42\",migration=\"007\",direction=\"up\"} 1\n"))
    }

    @Test func unreadJobCountsAreLeftOut() {
        var value = snapshot()
        value.jobsByState = nil
        value.jobStoreUp = false
        let text = OpenMetricsText.render(value)
        #expect(!text.contains("sluice_jobs{"))
        #expect(text.contains("sluice_job_store_up 0\n"))
    }
}
