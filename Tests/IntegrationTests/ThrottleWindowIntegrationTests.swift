import Bolt
import Engine
import Foundation
import JobStore
import Logging
import Systemd
import Testing
import Throttle

/// A time window followed by the engine on a real server, on a wall clock the test sets: the job pauses at the
/// window's start (no batch runs, the job records why) and resumes at its end, with one THROTTLE journal entry per
/// change of state, not one per batch.
@Suite struct ThrottleWindowIntegrationTests {
    @Test func theJobPausesAtTheWindowsStartAndResumesAtItsEnd() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        try await JobStoreTestDatabase.withStore { store in
            print("RAN \(#function) on \(server)")
            let job = try await ThrottleTestJob(server: server, nodes: 30_000)
            let wall = TestSetting(ISO8601DateFormatter().date(from: "2026-03-23T08:00:00Z")!)
            let windows = TestSetting(ThrottleSchedule())
            // Latency targets no local server misses, so only the window holds the job back.
            let pacer = try BatchPacer(
                configuration: ThrottleConfiguration(
                    targetP99: .seconds(20),
                    criticalP99: .seconds(40),
                    minBatchSize: 500,
                    maxBatchSize: 500,
                    recoveryPeriod: .zero,
                    adjustmentInterval: .milliseconds(100)
                ),
                clock: ContinuousClock(),
                wallClock: { wall.current },
                schedule: { windows.current }
            )
            let run = JournalTestJournal.uniqueToken()
            let journal = JournalTestJournal.fromEnvironment()
            var logger = Logger(label: "sluice.test.throttle") { label in
                journal == nil
                    ? SwiftLogNoOpLogHandler() as any LogHandler : JournalLogHandler(label: label, logLevel: .info)
            }
            logger[metadataKey: "sluice_test_run"] = .string(run)
            let lease = try await job.claim(in: store, batchSize: 500)

            let ending = try await server.withConnection { connection in
                let runner = job.runner(store: store, connection: connection, pacer: pacer, logger: logger)
                let probe = job.probe(interval: .milliseconds(100), logger: logger)
                async let ending = job.run(runner, lease, probe: probe)

                _ = try await job.waitFor("a few batches before the window", timeout: .seconds(180)) {
                    $0.progress.done >= 2_000
                }
                // Windows reloaded while the job runs take effect at the job's next decision.
                windows.set(try ThrottleSchedule(parsingLines: "standup = Mon-Fri 09:00-09:15 Europe/London: pause"))
                wall.set(ISO8601DateFormatter().date(from: "2026-03-23T09:00:00Z")!)
                let paused = try await job.waitFor("the pause at the window's start") {
                    $0.progress.throttle?.state == .paused
                }
                #expect("\(paused.progress.throttle!.reason)" == "paused: standup")
                // No batch runs while the window is open: the job store's offset stays where it was.
                let heldAt = try #require(try await store.job(lease.jobID))
                #expect(heldAt.throttle == JobThrottle(state: "paused", reason: "paused: standup"))
                try await Task.sleep(for: .seconds(2))
                let still = try #require(try await store.job(lease.jobID))
                #expect(still.planDone == heldAt.planDone && still.planDone < Int64(job.nodes))
                #expect(job.latest?.progress.done == still.planDone)
                // The batch before the pause is reported as committed while the window holds the job back, not once
                // the next batch runs (its checkpoint was in flight as the pause began).
                #expect(job.latestCommitted?.progress.done == still.planDone)

                wall.set(ISO8601DateFormatter().date(from: "2026-03-23T09:15:00Z")!)
                let resumed = try await job.waitFor("batches after the window's end") {
                    $0.progress.done > still.planDone
                }
                #expect(resumed.progress.throttle?.state != .paused)
                return try await ending
            }
            guard case .succeeded(let finished) = ending else {
                Issue.record("the job ended \(ending)")
                return
            }
            #expect(finished.planDone == Int64(job.nodes))
            #expect(try await job.markedAndCleanUp() == job.nodes)

            // The job's log has the pause and the resumption; the journal one entry per change, not per batch.
            let throttleEvents = try await store.events(of: lease.jobID).filter { $0.kind == .throttle }
            #expect(throttleEvents.contains { $0.newValue == "paused: paused: standup" })
            #expect(throttleEvents.contains { $0.oldValue == "paused: paused: standup" })
            guard let journal else { return }
            let entries = try await journal.entries(where: "SLUICE_TEST_RUN", is: run, count: 3)
                .filter { $0["MESSAGE_ID"] == ["\(SluiceMessageID.throttled)"] }
            let reasons = entries.compactMap { $0["THROTTLE"]?.first }
            #expect(reasons.filter { $0 == "paused: standup" }.count == 1, "THROTTLE entries: \(reasons)")
            #expect(entries.count <= 6 && entries.count < job.nodes / 500 / 4, "THROTTLE entries: \(reasons)")
            #expect(entries.last?["THROTTLE_STATE"] != ["paused"])
        }
    }

    /// A job started inside a window that pauses work does not plan (a full read of its label, the heaviest read of
    /// the job) until the window ends: it reports the pause with no total, records it on the job, and plans nothing.
    @Test func aJobStartedInAPauseWindowPlansOnlyOnceTheWindowEnds() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        try await JobStoreTestDatabase.withStore { store in
            print("RAN \(#function) on \(server)")
            let job = try await ThrottleTestJob(server: server, nodes: 3_000)
            let wall = TestSetting(Self.inStandup)
            let pacer = try Self.standupPacer(wall)
            let lease = try await job.claim(in: store, batchSize: 500)
            let logger = Logger(label: "sluice.test.throttle") { _ in SwiftLogNoOpLogHandler() }
            let ending = try await server.withConnection { connection in
                let runner = job.runner(store: store, connection: connection, pacer: pacer, logger: logger)
                let probe = job.probe(interval: .milliseconds(100), logger: logger)
                async let ending = job.run(runner, lease, probe: probe)

                let held = try await job.waitFor("the window's pause before planning") {
                    $0.progress.throttle?.state == .paused
                }
                #expect(held.progress.total == nil && "\(held.progress.throttle!.reason)" == "paused: standup")
                try await Task.sleep(for: .seconds(2))
                #expect(try await store.plan(of: lease.jobID) == nil, "planned inside the window")
                let waiting = try #require(try await store.job(lease.jobID))
                #expect(waiting.state == .planning && waiting.planTotal == nil)
                #expect(waiting.throttle == JobThrottle(state: "paused", reason: "paused: standup"))

                wall.set(ISO8601DateFormatter().date(from: "2026-03-23T09:15:00Z")!)
                return try await ending
            }
            guard case .succeeded(let finished) = ending else {
                Issue.record("the job ended \(ending)")
                return
            }
            #expect(finished.planTotal == Int64(job.nodes) && finished.planDone == Int64(job.nodes))
            #expect(try await job.markedAndCleanUp() == job.nodes)
        }
    }

    /// A job waiting for a pause window to end before it plans still hears the operator: paused meanwhile, its run
    /// stops (the lease let go), having planned nothing.
    @Test func aJobWaitingToPlanInAPauseWindowStopsWhenAnOperatorPausesIt() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        try await JobStoreTestDatabase.withStore { store in
            print("RAN \(#function) on \(server)")
            let job = try await ThrottleTestJob(server: server, nodes: 100)
            let pacer = try Self.standupPacer(TestSetting(Self.inStandup))
            let lease = try await job.claim(in: store, batchSize: 500)
            let logger = Logger(label: "sluice.test.throttle") { _ in SwiftLogNoOpLogHandler() }
            let ending = try await server.withConnection { connection in
                let runner = job.runner(store: store, connection: connection, pacer: pacer, logger: logger)
                let probe = job.probe(interval: .milliseconds(100), logger: logger)
                async let ending = job.run(runner, lease, probe: probe)
                _ = try await job.waitFor("the window's pause before planning") {
                    $0.progress.throttle?.state == .paused
                }
                _ = try await store.pause(lease.jobID, by: "test")
                return try await ending
            }
            guard case .stopped(let control) = ending, control?.state == .paused else {
                Issue.record("the job ended \(ending)")
                return
            }
            #expect(try await store.plan(of: lease.jobID) == nil, "planned inside the window")
            #expect(try await store.job(lease.jobID)?.leaseExpiresAt == nil, "the lease kept")
            #expect(try await job.markedAndCleanUp() == 0)
        }
    }

    /// 09:05 on a Monday in London: inside ``standupPacer(_:)``'s window.
    private static let inStandup = ISO8601DateFormatter().date(from: "2026-03-23T09:05:00Z")!

    /// A pacer whose clock reads `wall`, with a window that pauses work from 09:00 to 09:15 London time on weekdays and
    /// latency targets no local server misses.
    private static func standupPacer(_ wall: TestSetting<Date>) throws -> BatchPacer<ContinuousClock> {
        let windows = try ThrottleSchedule(parsingLines: "standup = Mon-Fri 09:00-09:15 Europe/London: pause")
        return try BatchPacer(
            configuration: ThrottleConfiguration(targetP99: .seconds(20), criticalP99: .seconds(40)),
            clock: ContinuousClock(),
            wallClock: { wall.current },
            schedule: { windows }
        )
    }
}
