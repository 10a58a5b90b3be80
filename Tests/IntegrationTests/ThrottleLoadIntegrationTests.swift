import Bolt
import Engine
import Foundation
import JobStore
import Logging
import Testing
import Throttle

/// The throttle against a competing load on ArcadeDB: a job runs at full speed; an application transaction starts
/// holding the lock on the nodes the probe writes for longer than the target (the job slows down: smaller batches,
/// longer pauses, yet it still progresses), then for longer than the critical level (the job pauses: no batch runs);
/// each time the load stops the job comes back to full speed within a bounded time. The lock makes the probe's latency
/// what the test sets, however busy the machine is (``GraphLock``); CPU saturation would not.
///
/// Not shown here: that the throttle brings the probe's latency back down. This load does not depend on the job, so
/// slowing the job cannot lower it; ``ThrottleRecoveryIntegrationTests`` shows it under a load the job makes worse,
/// with the rate back to 90% of the unthrottled one within 30 s of the load's end.
@Suite struct ThrottleLoadIntegrationTests {
    /// Targets far above a quiet probe's latency on a loaded machine and far from the lock's holds, so only the load
    /// moves the job between states: holds of 900 ms are above the target and below the critical level, holds of
    /// 2.5 s above it. The window holds enough 2.5 s samples to outnumber the two outliers a decision ignores.
    static let configuration = ThrottleConfiguration(
        targetP99: .milliseconds(400),
        criticalP99: .milliseconds(1_800),
        minBatchSize: 20,
        maxBatchSize: 200,
        minPause: .milliseconds(100),
        maxPause: .seconds(1),
        recoveryPeriod: .seconds(2),
        increaseFraction: 0.25,
        adjustmentInterval: .milliseconds(500),
        windowAge: .seconds(12)
    )

    @Test func theJobSlowsDownUnderALoadPausesAboveCriticalAndRecovers() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        try await JobStoreTestDatabase.withStore { store in
            print("RAN \(#function) on \(server)")
            let config = Self.configuration
            // The probe writes one node of a type of its own: the application's write the load holds up. Reads
            // never wait for ArcadeDB's locks, and a migration's probe must only read, so it is the configured probe
            // (the daemon's `[throttle] probe`, which may be any query).
            let probeLabel = BoltTestServer.uniqueLabel("LoadProbe")
            try await server.withConnection { connection in
                _ = try await server.query(connection, "CREATE (:\(probeLabel) {k: 1})")
            }
            // At most 200 items per 100 ms pause: the job outlasts the test, which stops it (150,000 items ended
            // before the pause in a fresh-clone run on a quiet machine).
            let job = try await ThrottleTestJob(server: server, nodes: 400_000)
            let pacer = try BatchPacer(configuration: config)
            let logger = Logger(label: "sluice.test.throttle-load") { _ in SwiftLogNoOpLogHandler() }
            let lease = try await job.claim(in: store, batchSize: config.maxBatchSize)
            let connection = try await server.connect()
            let runner = job.runner(store: store, connection: connection, pacer: pacer, logger: logger)
            let probe = job.probe(
                interval: .milliseconds(100),
                timeout: .seconds(5),
                configured: "MATCH (p:\(probeLabel) {k: 1}) SET p.seen = timestamp() RETURN 1",
                logger: logger
            )
            let running = Task { try await job.run(runner, lease, probe: probe) }
            var lock: GraphLock?
            defer { running.cancel() }
            do {
                let fullSpeed: (ThrottleTestJob.Report) -> Bool = {
                    $0.progress.committedBatch && $0.progress.throttle?.state == .running
                        && $0.progress.batchSize == config.maxBatchSize
                }
                let calm = try await job.waitFor("full speed before the load", timeout: .seconds(180), fullSpeed)
                let calmRate = try await job.rate(over: .seconds(4), after: calm)
                print(
                    "calm: full speed (\(config.maxBatchSize)) at \(calm.progress.done) items, \(perSecond(calmRate))"
                )

                // Phase 1: the probe above the target, below the critical level.
                lock = try await GraphLock(on: server, type: probeLabel, hold: .milliseconds(900))
                let loadStart = ContinuousClock.now
                let slowed = try await job.waitFor("smaller batches under the load", timeout: .seconds(120)) {
                    $0.at > loadStart && $0.progress.committedBatch && $0.progress.throttle?.state == .throttled
                        && $0.progress.batchSize <= config.maxBatchSize / 2
                }
                let stored = try #require(try await store.job(lease.jobID))
                #expect(stored.throttle.state == "throttled", "job store: \(String(describing: stored.throttle))")
                #expect(stored.throttle.reason?.hasPrefix("latency p99") == true)
                // Slower, but still progressing.
                let moving = try await job.waitFor("progress under the load", timeout: .seconds(120)) {
                    $0.progress.committedBatch && $0.progress.done > slowed.progress.done + 100
                }
                let slowRate = try await job.rate(over: .seconds(4), after: moving)
                print(
                    "load (900 ms holds): throttled after \(slowed.at - loadStart), batch \(slowed.progress.batchSize)"
                        + ", \(perSecond(slowRate)), probe \(describe(pacer.statistics(of: .probe)))"
                )
                try await lock?.stop()
                lock = nil
                let loadEnd = ContinuousClock.now
                let pausesUnderLoad = job.reports.withLock { reports in
                    reports.filter { $0.at > loadStart && $0.progress.throttle?.state == .paused }.count
                }
                print("load (900 ms holds): \(pausesUnderLoad) paused reports (a pause needs p99 > 1.8 s)")
                let back = try await job.waitFor("full speed after the load", timeout: .seconds(120)) {
                    $0.at > loadEnd && fullSpeed($0)
                }
                print("load stopped: full speed again after \(back.at - loadEnd)")

                // Phase 2: the probe above the critical level: work pauses.
                lock = try await GraphLock(on: server, type: probeLabel, hold: .milliseconds(2_500))
                let criticalStart = ContinuousClock.now
                let paused = try await job.waitFor("a pause above the critical level", timeout: .seconds(120)) {
                    $0.at > criticalStart && $0.progress.throttle?.state == .paused
                }
                #expect("\(paused.progress.throttle!.reason)".hasPrefix("paused: latency p99"))
                let heldAt = try #require(try await store.job(lease.jobID))
                #expect(heldAt.throttle.state == "paused", "job store: \(String(describing: heldAt.throttle))")
                // No batch while paused: the job store's count stays put while the load lasts.
                let pausedReports = try await job.waitFor("a second of the pause", timeout: .seconds(60)) {
                    $0.at > paused.at + .seconds(2) && $0.progress.throttle?.state == .paused
                }
                let stillAt = try #require(try await store.job(lease.jobID))
                #expect(stillAt.planDone == heldAt.planDone)
                print(
                    "load (2.5 s holds): paused after \(paused.at - criticalStart) at \(heldAt.planDone) items "
                        + "(still \(stillAt.planDone) \(pausedReports.at - paused.at) later), "
                        + "probe \(describe(pacer.statistics(of: .probe)))"
                )
                try await lock?.stop()
                lock = nil
                let criticalEnd = ContinuousClock.now
                let resumed = try await job.waitFor("full speed after the pause", timeout: .seconds(120)) {
                    $0.at > criticalEnd && fullSpeed($0)
                }
                let afterRate = try await job.rate(over: .seconds(4), after: resumed)
                print(
                    "load stopped: full speed again after \(resumed.at - criticalEnd), \(perSecond(afterRate)) "
                        + "(calm: \(perSecond(calmRate)))"
                )
            } catch {
                _ = try? await lock?.stop()
                throw error
            }
            running.cancel()
            let ending = try await running.value
            guard case .stopped = ending else {
                Issue.record("the job ended \(ending) instead of stopping when cancelled")
                return
            }
            await connection.close()

            // The job's log records each change of state: slowed down, paused, back to full speed.
            let states = try await store.events(of: lease.jobID).filter { $0.kind == .throttle }.compactMap(\.newValue)
            #expect(states.contains { $0.hasPrefix("throttled: latency p99") }, "throttle events: \(states)")
            #expect(states.contains { $0.hasPrefix("paused: paused: latency p99") }, "throttle events: \(states)")
            _ = try await job.markedAndCleanUp()
            try await server.withConnection { connection in
                _ = try await server.query(connection, "MATCH (p:\(probeLabel)) DELETE p")
            }
        }
    }

    private func perSecond(_ rate: Double) -> String {
        "\(Int(rate.rounded())) items/s"
    }

    private func describe(_ statistics: LatencyStatistics?) -> String {
        guard let statistics else { return "no samples" }
        let ms = { (value: Duration) in "\(Int((value / .milliseconds(1)).rounded())) ms" }
        return "p50 \(ms(statistics.p50)) p99 \(ms(statistics.p99)) over \(statistics.count) samples"
    }
}
