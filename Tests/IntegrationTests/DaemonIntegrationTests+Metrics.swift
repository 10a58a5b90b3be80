import Daemon
import Foundation
import JobStore
import Testing

extension DaemonIntegrationTests {
    /// `/metrics` while a job runs and after it ended, checked against the job store: the items done lie between
    /// the store's before and after the scrape, the counts by state match the table, and the job's series go
    /// away with the job. Prints the scrape latency measured while the job ran.
    @Test func metricsReportTheRunningJobAndMatchTheJobStore() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        print("RAN metricsReportTheRunningJobAndMatchTheJobStore on \(server)")
        let nodes = 20_000
        let batch = 100
        try await DaemonFixture.with(
            server: server,
            migrations: DaemonFixture.firstStep,
            nodes: nodes
        ) { fixture in
            let daemon = try fixture.start(worker: "metrics", sections: "[metrics]\nlisten = \"127.0.0.1:0\"")
            defer { daemon.kill(SIGKILL) }
            let scrape = try await MetricsScrape.of(daemon)
            let idle = try await scrape.waitFor("the empty job table", timeout: .seconds(30)) {
                $0["sluice_job_store_up"] == 1
            }
            #expect(idle["sluice_jobs{state=\"queued\"}"] == 0)
            #expect(idle["sluice_daemon_info{version=\"\(SluiceVersion.current)\",worker=\"metrics\"}"] == 1)
            let (missing, _, _) = try await scrape.get("/")
            #expect(missing == 404)
            let (_, headers, _) = try await scrape.get()
            #expect(headers.lowercased().contains("content-type: application/openmetrics-text; version=1.0.0"))

            let job = try await fixture.enqueue(1, batchSize: batch)
            let labels = MetricsScrape.labels(job: job.id, migration: job.migrationVersion, direction: "up")
            _ = try await fixture.waitFor(job.id, timeout: .seconds(60), "running") { $0.planDone >= 500 }

            // While it runs: items done between the store's before and after the scrape (the store commits first,
            // the daemon records after); the plan and the counts by state as in the table.
            let running = try await scrape.waitFor("the running job", timeout: .seconds(30)) {
                $0["sluice_jobs{state=\"running\"}"] == 1 && $0["sluice_job_items_done\(labels)"] != nil
            }
            #expect(running["sluice_job_items_planned\(labels)"] == Double(nodes))
            #expect(running["sluice_job_stuck\(labels)"] == 0)
            #expect(running["sluice_lease_age_seconds\(labels)"].map { $0 < 6 } == true, "lease 6s, renewed every 2s")
            #expect(running.keys.contains { $0.hasPrefix("sluice_throttle_state\(labels.dropLast()),state=") })
            var latencies: [Duration] = []
            var checked = 0
            while latencies.count < 50 {
                let before = try #require(try await fixture.store.job(job.id))
                let started = ContinuousClock.now
                let samples = try await scrape.samples()
                latencies.append(ContinuousClock.now - started)
                let after = try #require(try await fixture.store.job(job.id))
                guard after.state == .running, let done = samples["sluice_job_items_done\(labels)"] else { break }
                #expect(
                    Double(before.planDone - Int64(batch)) <= done && done <= Double(after.planDone),
                    "items done \(done) outside the store's \(before.planDone)...\(after.planDone)"
                )
                checked += 1
            }
            #expect(checked > 0, "the job ended before a scrape saw it run")
            latencies.sort()
            print(
                "scrape of /metrics while a job ran (\(latencies.count) scrapes, new connection each): median "
                    + "\(latencies[latencies.count / 2].milliseconds) ms, max \(latencies.last!.milliseconds) ms"
            )

            // After it ended: the counts as in the table, the daemon's counter holds every item, no job series.
            let (done, _) = try await fixture.waitFor(job.id, timeout: .seconds(180), "succeeded") {
                $0.state.isFinished
            }
            #expect(done.state == .succeeded, "job ended \(done.state): \(done.lastError ?? "")")
            let table = try await fixture.store.countsByState()
            let ended = try await scrape.waitFor("the finished job", timeout: .seconds(30)) { samples in
                JobState.allCases.allSatisfy {
                    samples["sluice_jobs{state=\"\($0.rawValue)\"}"] == Double(table[$0] ?? 0)
                }
                    && samples["sluice_job_items_done\(labels)"] == nil
            }
            #expect(ended["sluice_jobs{state=\"succeeded\"}"] == 1)
            #expect(ended["sluice_items_committed_total"] == Double(done.planDone))
            #expect(ended["sluice_batch_duration_seconds_count"] == Double(done.batchesDone))
            #expect(ended["sluice_batch_duration_seconds_bucket{le=\"+Inf\"}"] == Double(done.batchesDone))

            let (status, _) = await DaemonFixture.stop(daemon)
            #expect(status == 0)
            if status != 0 || done.state != .succeeded { DaemonFixture.dump(daemon, "daemon") }
        }
    }
}
