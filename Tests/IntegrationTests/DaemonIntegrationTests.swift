import Bolt
import Daemon
import Foundation
import JobStore
import Systemd
import Testing

/// `sluice daemon` run as a child process against the real Postgres and Bolt servers: jobs enqueued in the job
/// store are done exactly once, control commands take effect within a second, several daemons share one job table,
/// outages are waited out and SIGTERM stops cleanly. Each test prints what it measured.
@Suite(.serialized, .enabled(if: JobStoreTestDatabase.shouldRun()))
struct DaemonIntegrationTests {
    @Test(arguments: BoltTestServer.names)
    func runsAnEnqueuedJobToTheEndExactlyOnce(server: String) async throws {
        guard let server = try BoltTestServer.named(server) else { return }
        print("RAN runsAnEnqueuedJobToTheEndExactlyOnce on \(server)")
        let nodes = 3_000
        try await DaemonFixture.with(
            server: server,
            migrations: DaemonFixture.firstStep,
            nodes: nodes
        ) { fixture in
            let notify = try NotifyRecorder()
            defer { notify.stop() }
            let spawned = ContinuousClock.now
            let daemon = try fixture.start(worker: "exactly-once", notifySocket: notify.socket.path)
            let ready = try await notify.waitFor("READY=1", timeout: .seconds(30))
            #expect(ready != nil, "no READY=1")
            if let ready { print("daemon start to READY=1: \(Int((ready - spawned).milliseconds)) ms") }

            let job = try await fixture.enqueue(1, batchSize: 250)
            let (done, took) = try await fixture.waitFor(job.id, timeout: .seconds(120), "succeeded") {
                $0.state == .succeeded || $0.state == .failed
            }
            #expect(done.state == .succeeded, "job ended \(done.state): \(done.lastError ?? "")")
            #expect(done.planDone == Int64(nodes))
            print("job of \(nodes) items in batches of 250 done in \(Int(took.milliseconds)) ms")

            try await fixture.expectEveryNodeChangedOnce(nodes)
            // The daemon says which graph server it serves (what `sluice status` checks a queued job against).
            let serving = try await fixture.store.liveWorkers().filter { $0.worker.rawValue == "exactly-once" }
            #expect(serving.map(\.url) == [done.target.url], "\(serving)")

            let statuses = notify.messages.map(\.text).filter { $0.hasPrefix("STATUS=") }
            #expect(
                statuses.contains { $0.contains("/\(ProgressText.count(nodes)) (") && $0.contains("items/s") },
                "no progress STATUS=: \(statuses.suffix(5))"
            )

            let (status, stopTook) = await DaemonFixture.stop(daemon)
            #expect(status == 0, "daemon exit status \(status.map { "\($0)" } ?? "none: killed")")
            #expect(notify.messages.contains { $0.text.contains("STOPPING=1") })
            let gone = try await fixture.store.liveWorkers().filter { $0.worker.rawValue == "exactly-once" }
            #expect(gone.isEmpty, "a stopped daemon is still listed as serving: \(gone)")
            print("idle daemon stopped by SIGTERM in \(Int(stopTook.milliseconds)) ms")
            if status != 0 || done.state != .succeeded { DaemonFixture.dump(daemon, "daemon") }
        }
    }

    @Test(arguments: BoltTestServer.names)
    func aDryRunJobIsPreviewedAndWritesNothing(server: String) async throws {
        guard let server = try BoltTestServer.named(server) else { return }
        print("RAN aDryRunJobIsPreviewedAndWritesNothing on \(server)")
        let nodes = 1_200
        // Step 2 selects more items than its max_items: its dry run is refused by pre-flight.
        let capped = DaemonFixture.countingMigration(step: 2).replacingOccurrences(
            of: "// sluice:up data",
            with: "// sluice:max_items 10\n\n// sluice:up data"
        )
        try await DaemonFixture.with(
            server: server,
            migrations: DaemonFixture.firstStep.merging([DaemonFixture.migrationFile(step: 2): capped]) { $1 },
            nodes: nodes
        ) { fixture in
            let daemon = try fixture.start(worker: "dry-run")
            let job = try await fixture.enqueue(1, batchSize: 100, dryRun: true)
            let (done, _) = try await fixture.waitFor(job.id, timeout: .seconds(60), "ended") {
                $0.state == .succeeded || $0.state == .failed
            }
            #expect(done.state == .succeeded, "dry run ended \(done.state): \(done.lastError ?? "")")
            #expect(done.planDone == 0)
            // Not one node changed, and no history: the migration is still pending.
            let counts = try await fixture.counts()
            #expect(counts.count == 1 && counts.first?["count"] == 0, "\(counts.map(\.values))")
            let history = try await fixture.store.history(target: job.target)
            #expect(history.isEmpty, "\(history)")
            let logged = try await eventually(timeout: .seconds(10)) {
                daemon.standardError.contains("\(ProgressText.count(nodes)) items would be changed")
            }
            #expect(logged, "\(daemon.standardError.suffix(3_000))")
            #expect(daemon.standardError.contains("job started: 001 step_1 up (dry run) on"), "journal says dry run")
            // The preview is kept with the job: `status`, which reads Postgres only, shows it, as text and JSON.
            let preview = "data step at line 4: \(ProgressText.count(nodes)) items would be changed"
            let shown = try await fixture.status(job.id)
            #expect(shown.output.contains("  preview:    \(preview)\n"), "\(shown.output)\(shown.errors)")
            let document = try await fixture.status(job.id, json: true)
            let object = try JSONSerialization.jsonObject(with: Data(document.output.utf8)) as? [String: Any]
            #expect(object?["preview"] as? [String] == [preview], "\(document.output)\(document.errors)")

            // A dry run pre-flight would refuse fails with the refusal, and keeps what it found all the same.
            let refused = try await fixture.enqueue(2, batchSize: 100, dryRun: true)
            let (failed, _) = try await fixture.waitFor(refused.id, timeout: .seconds(60), "ended") {
                $0.state == .succeeded || $0.state == .failed
            }
            #expect(failed.state == .failed, "dry run ended \(failed.state)")
            #expect(failed.lastError?.contains("pre-flight would refuse the job: max_items:") == true, "\(failed)")
            let refusal = try await fixture.status(refused.id)
            #expect(
                refusal.output.contains("  preview:    data step at line 6: \(ProgressText.count(nodes)) items would"),
                "\(refusal.output)\(refusal.errors)"
            )
            let (status, _) = await DaemonFixture.stop(daemon)
            #expect(status == 0)
            if status != 0 || !logged { DaemonFixture.dump(daemon, "daemon") }
        }
    }

    @Test func pauseResumeAndCancelTakeEffectWithinASecond() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        print("RAN pauseResumeAndCancelTakeEffectWithinASecond on \(server)")
        try await DaemonFixture.with(
            server: server,
            migrations: DaemonFixture.firstStep,
            nodes: 20_000
        ) { fixture in
            // At most 1,000 items/s: the job lasts 20 s, so a test process starved for a few seconds on a loaded
            // machine still finds it running.
            let notify = try NotifyRecorder()
            defer { notify.stop() }
            let daemon = try fixture.start(
                worker: "control",
                notifySocket: notify.socket.path,
                environment: ["SLUICE_THROTTLE_MAX_ITEMS_PER_SECOND": "1000"]
            )
            let job = try await fixture.enqueue(1, batchSize: 100)
            _ = try await fixture.waitFor(job.id, timeout: .seconds(60), "running") { $0.planDone >= 500 }

            // Pause: the worker stops after its batch in flight and lets the lease go.
            _ = try await fixture.store.pause(job.id, by: "test")
            let (paused, pauseTook) = try await fixture.waitFor(job.id, timeout: .seconds(10), "paused") {
                $0.state == .paused && $0.leaseExpiresAt == nil
            }
            // Idle, but not "idle" alone: the paused job holds the graph, and STATUS= names it.
            let idle = try await notify.waitFor(
                "STATUS=idle, waiting for jobs (worker control); job \(job.id) (001 step_1) paused at ",
                timeout: .seconds(10)
            )
            #expect(idle != nil, "STATUS= did not name the paused job: \(notify.messages.suffix(3).map(\.text))")
            try await Task.sleep(for: .seconds(1))
            let still = try #require(try await fixture.store.job(job.id))
            #expect(still.planDone == paused.planDone, "progress went on while paused")

            // Resume: NOTIFY wakes the daemon, which claims the job again and commits the next batch.
            _ = try await fixture.store.resume(job.id, by: "test")
            let (_, resumeTook) = try await fixture.waitFor(job.id, timeout: .seconds(10), "resumed") {
                $0.planDone > paused.planDone
            }

            // Cancel: the worker ends the job as cancelled after its batch in flight.
            _ = try await fixture.store.cancel(job.id, by: "test")
            let (cancelled, cancelTook) = try await fixture.waitFor(job.id, timeout: .seconds(10), "cancelled") {
                $0.state == .cancelled
            }
            print(
                "pause took effect in \(Int(pauseTook.milliseconds)) ms, resume (next batch committed) in "
                    + "\(Int(resumeTook.milliseconds)) ms, cancel in \(Int(cancelTook.milliseconds)) ms"
            )
            // Within a second is the requirement; a loaded 2-core machine gets some slack, the numbers are printed.
            #expect(pauseTook < .seconds(2))
            #expect(resumeTook < .seconds(2))
            #expect(cancelTook < .seconds(2))
            #expect(cancelled.planDone < 20_000)

            // Who paused and who resumed, as the job's events name them.
            #expect(
                daemon.standardError.contains("job paused by test at offset"),
                "\(daemon.standardError.suffix(3_000))"
            )
            #expect(daemon.standardError.contains("job resumed by test"), "\(daemon.standardError.suffix(3_000))")
            // The job store says cancelled before the daemon has noticed and said so: wait for its line.
            let cancelLogged = try await eventually(timeout: .seconds(10)) {
                daemon.standardError.contains("job cancelled by an operator")
            }
            #expect(cancelLogged, "\(daemon.standardError.suffix(3_000))")

            // Whatever was done before the cancel was done exactly once.
            let counts = try await fixture.counts()
            let changed = counts.first { $0["count"] == 1 }?["nodes"]?.intValue ?? 0
            #expect(counts.allSatisfy { $0["count"] == 0 || $0["count"] == 1 }, "\(counts.map(\.values))")
            #expect(changed == cancelled.itemsChanged)
            let (status, _) = await DaemonFixture.stop(daemon)
            #expect(status == 0)
            if status != 0 { DaemonFixture.dump(daemon, "daemon") }
        }
    }

    /// A job an operator paused and resumed, then its daemon killed: the restarted daemon reclaims it, as after any
    /// crash. The resume lies before the run the kill ended, so it is no news at this claim (the journal said "job
    /// resumed by root@vm" after every later crash).
    @Test func aCrashAfterAResumeIsJournalledAsAReclaim() async throws {
        // Not FalkorDB: a client killed mid-query can crash it (``PrivateGraphServer/falkorCrash``).
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        print("RAN aCrashAfterAResumeIsJournalledAsAReclaim on \(server)")
        try await DaemonFixture.with(
            server: server,
            migrations: DaemonFixture.firstStep,
            nodes: 10_000
        ) { fixture in
            // 1,000 items/s: the job lasts 10 s, past the pause, the resume and the kill.
            let capped = ["SLUICE_THROTTLE_MAX_ITEMS_PER_SECOND": "1000"]
            let first = try fixture.start(worker: "resumed-then-killed", environment: capped)
            defer { first.kill(SIGKILL) }
            let job = try await fixture.enqueue(1, batchSize: 100)
            _ = try await fixture.waitFor(job.id, timeout: .seconds(60), "running") { $0.planDone >= 300 }
            _ = try await fixture.store.pause(job.id, by: "alice")
            let (paused, _) = try await fixture.waitFor(job.id, timeout: .seconds(10), "paused") {
                $0.state == .paused && $0.leaseExpiresAt == nil
            }
            _ = try await fixture.store.resume(job.id, by: "bob")
            _ = try await fixture.waitFor(job.id, timeout: .seconds(10), "resumed") { $0.planDone > paused.planDone }
            #expect(first.standardError.contains("job resumed by bob"), "\(first.standardError.suffix(3_000))")
            first.kill(SIGKILL)
            _ = await first.wait()
            let killed = try #require(try await fixture.store.job(job.id))
            #expect(!killed.state.isFinished, "killed too late: the job is \(killed.state)")

            let second = try fixture.start(worker: "resumed-then-killed", environment: capped)
            let (again, _) = try await fixture.waitFor(job.id, timeout: .seconds(60), "taken again") {
                $0.planDone > killed.planDone || $0.state.isFinished
            }
            let log = second.standardError
            #expect(
                log.contains("job reclaimed: it was left unfinished by this worker (an earlier process of it)"),
                "\(log.suffix(3_000))"
            )
            #expect(!log.contains("job resumed by"), "a crash journalled as the resume before it")
            // One job, started once: after the resume and at the reclaim the claim says how it came back.
            let started = (first.standardError + log).components(separatedBy: " job started: ").count - 1
            #expect(started == 1, "'job started' journalled \(started) times for one job")
            print("paused at \(paused.planDone), resumed, killed, reclaimed and going on at \(again.planDone)")
            let (status, _) = await DaemonFixture.stop(second)
            #expect(status == 0)
            if status != 0 || !log.contains("job reclaimed") { DaemonFixture.dump(second, "second") }
        }
    }

    /// A broken file dropped into the migrations folder during a job (a `git pull` of work in progress) does not
    /// fail it when the daemon reads its migration again (here after a pause and resume; a restart or a reclaim reads
    /// it the same way): the job needs only its own file, and the broken one is journaled as a warning.
    @Test func aBrokenFileAddedToTheFolderMidJobDoesNotFailTheJob() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        print("RAN aBrokenFileAddedToTheFolderMidJobDoesNotFailTheJob on \(server)")
        try await DaemonFixture.with(
            server: server,
            migrations: DaemonFixture.firstStep,
            nodes: 3_000
        ) { fixture in
            let daemon = try fixture.start(
                worker: "broken-neighbour",
                environment: ["SLUICE_THROTTLE_MAX_ITEMS_PER_SECOND": "1000"]
            )
            let job = try await fixture.enqueue(1, batchSize: 100)
            _ = try await fixture.waitFor(job.id, timeout: .seconds(60), "running") { $0.planDone >= 300 }
            _ = try await fixture.store.pause(job.id, by: "test")
            _ = try await fixture.waitFor(job.id, timeout: .seconds(10), "paused") {
                $0.state == .paused && $0.leaseExpiresAt == nil
            }
            let broken = fixture.folder.appendingPathComponent("010_oops.cypher")
            try "// sluice:description no down yet\n\n// sluice:up data\nMATCH (n:X) WHERE n.a IS NULL SET n.a = 1\n"
                .write(to: broken, atomically: true, encoding: .utf8)

            _ = try await fixture.store.resume(job.id, by: "test")
            let (done, _) = try await fixture.waitFor(job.id, timeout: .seconds(60), "ended") {
                $0.state == .succeeded || $0.state == .failed
            }
            #expect(done.state == .succeeded, "job ended \(done.state): \(done.lastError ?? "")")
            try await fixture.expectEveryNodeChangedOnce(3_000)
            let warned = try await eventually(timeout: .seconds(10)) {
                daemon.standardError.contains("010_oops.cypher") && daemon.standardError.contains("left alone")
            }
            #expect(warned, "\(daemon.standardError.suffix(3_000))")
            let (status, _) = await DaemonFixture.stop(daemon)
            #expect(status == 0)
            if status != 0 || done.state != .succeeded { DaemonFixture.dump(daemon, "daemon") }
        }
    }

    /// A pause during a long batch stops the job after that batch: the NOTIFY makes the session read the job's
    /// control row at once, where it used to learn of the pause from that batch's checkpoint, read only after the
    /// next batch (a batch of an hour would have meant an hour more).
    @Test func aPauseDuringALongBatchStopsTheJobAfterThatBatch() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        print("RAN aPauseDuringALongBatchStopsTheJobAfterThatBatch on \(server)")
        // Batches of 1,000 take about a second.
        try await DaemonFixture.with(server: server, migrations: DaemonFixture.slowFirstStep, nodes: 8_000) { fixture in
            let daemon = try fixture.start(
                worker: "long-batch",
                environment: ["SLUICE_THROTTLE_MIN_BATCH_SIZE": "1000", "SLUICE_THROTTLE_MAX_BATCH_SIZE": "1000"]
            )
            let job = try await fixture.enqueue(1, batchSize: 1_000)
            let (running, _) = try await fixture.waitFor(job.id, timeout: .seconds(60), "running") {
                $0.planDone >= 1_000
            }
            // Into the next batch, whose checkpoint the pause then precedes.
            try await Task.sleep(for: .milliseconds(300))
            let asked = try await fixture.store.pause(job.id, by: "test")
            let (paused, took) = try await fixture.waitFor(job.id, timeout: .seconds(20), "paused") {
                $0.state == .paused && $0.leaseExpiresAt == nil
            }
            let batches = (paused.planDone - asked.planDone) / 1_000
            print(
                "paused at \(paused.planDone) of 8,000 after \(Int(took.milliseconds)) ms; \(batches) batch(es) of "
                    + "1,000 committed after the pause (asked at \(asked.planDone), running from \(running.planDone))"
            )
            #expect(batches <= 1, "the job ran on past the batch in flight when paused")
            #expect(paused.planDone < 8_000)
            let (status, _) = await DaemonFixture.stop(daemon)
            #expect(status == 0)
            if status != 0 || batches > 1 { DaemonFixture.dump(daemon, "daemon") }
        }
    }

    /// A job naming a database on FalkorDB, which cannot select one over Bolt, fails with the reason at once, rather
    /// than running in a graph called "db" or being waited on as an outage.
    @Test func aJobNamingADatabaseTheServerCannotSelectFailsWithTheReason() async throws {
        guard let server = try BoltTestServer.named("falkordb") else { return }
        print("RAN aJobNamingADatabaseTheServerCannotSelectFailsWithTheReason on \(server)")
        try await DaemonFixture.with(
            server: server,
            migrations: DaemonFixture.firstStep,
            nodes: 100
        ) { fixture in
            let daemon = try fixture.start(worker: "named-database")
            let job = try await fixture.enqueue(1, database: "elsewhere", batchSize: 100)
            let (done, _) = try await fixture.waitFor(job.id, timeout: .seconds(30), "failed") { $0.state.isFinished }
            #expect(done.state == .failed, "job ended \(done.state)")
            #expect(done.lastError?.contains("cannot select database 'elsewhere'") == true, "\(done.lastError ?? "")")
            let (status, _) = await DaemonFixture.stop(daemon)
            #expect(status == 0)
            // One entry, with the fields its catalog entry names (`journalctl -x` showed ERROR_MESSAGE and
            // ITEMS_DONE of ITEMS_TOTAL literally).
            let failed = daemon.standardError.split(separator: "\n").filter { $0.contains("job failed") }
            #expect(failed.count == 1, "\(failed)")
            #expect(
                failed.allSatisfy {
                    $0.contains("error_message=") && $0.contains("items_done=0") && $0.contains("items_total=")
                },
                "\(failed)"
            )
            if status != 0 || done.state != .failed { DaemonFixture.dump(daemon, "daemon") }
        }
    }

    /// A job claimed under an operator's cap: `sluice throttle JOB --clear` lifts it from the next batches on (it fell
    /// back to the cap read at the claim while the job ran). The cap makes the runner wait 2 s between batches, and
    /// settle each checkpoint before it waits: a batch whose checkpoint was settled so brought no answer of its own,
    /// and the runner put the claim's cap back on after each heartbeat had lifted it (a walkthrough's job flapped
    /// between "max 50 items/s" and none every 5 s, at 50 items/s to its end).
    @Test func anOperatorsCapClearedMidJobIsLifted() async throws {
        guard let server = try BoltTestServer.named("falkordb") else { return }
        print("RAN anOperatorsCapClearedMidJobIsLifted on \(server)")
        let nodes = 3_000
        try await DaemonFixture.with(
            server: server,
            migrations: DaemonFixture.firstStep,
            nodes: nodes
        ) { fixture in
            let job = try await fixture.enqueue(1, batchSize: 100)
            _ = try await fixture.store.setMaxRate(job.id, 50, by: "test")
            let daemon = try fixture.start(worker: "capped")
            let (capped, _) = try await fixture.waitFor(job.id, timeout: .seconds(60), "running") {
                $0.planDone >= 200
            }
            _ = try await fixture.store.setMaxRate(job.id, nil, by: "test")
            // The rest, 2,800 items, takes 56 s at the cap and well under a second without it (plus the wait in
            // progress when the cap is lifted, which ends at the next heartbeat: 5 s at most).
            let (done, took) = try await fixture.waitFor(job.id, timeout: .seconds(60), "succeeded") {
                $0.state.isFinished
            }
            print(
                "cap of 50 items/s cleared at \(capped.planDone) of \(nodes): the rest took \(Int(took.milliseconds)) ms"
            )
            #expect(done.state == .succeeded, "job ended \(done.state): \(done.lastError ?? "")")
            #expect(took < .seconds(10), "the cleared cap still held the job")
            try await fixture.expectEveryNodeChangedOnce(nodes)
            let (status, _) = await DaemonFixture.stop(daemon)
            #expect(status == 0)
            if status != 0 || took >= .seconds(10) { DaemonFixture.dump(daemon, "daemon") }
        }
    }

    @Test func twoDaemonsShareOneJobTableWithoutEverRunningTwoJobsOnOneGraph() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        let second = try await Self.secondArcadeDatabase()
        print("RAN twoDaemonsShareOneJobTable on \(server), databases \(server.database ?? "default") and \(second)")
        let steps = 10
        var migrations: [String: String] = [:]
        for step in 1...steps {
            migrations[DaemonFixture.migrationFile(step: step)] = DaemonFixture.countingMigration(step: step)
        }
        let databases: [String?] = [server.database, second]
        try await DaemonFixture.with(server: server, migrations: migrations, nodes: 400, databases: databases) {
            try await Self.runTwentyJobsWithTwoDaemons($0, databases: databases, steps: steps)
        }
    }

    private static func runTwentyJobsWithTwoDaemons(
        _ fixture: DaemonFixture,
        databases: [String?],
        steps: Int
    ) async throws {
        let first = try fixture.start(worker: "pair-1")
        let other = try fixture.start(worker: "pair-2")
        var jobs: [Job] = []
        for step in 1...steps {
            for database in databases {
                jobs.append(try await fixture.enqueue(step, database: database, batchSize: 50))
            }
        }
        var finished: [Job] = []
        for job in jobs {
            finished.append(
                try await fixture.waitFor(job.id, timeout: .seconds(180), "finished") { $0.state.isFinished }.job
            )
        }
        #expect(
            finished.allSatisfy { $0.state == .succeeded },
            "\(finished.map { "\($0.id): \($0.state) \($0.lastError ?? "")" })"
        )

        // Never two at once on one graph: each graph's jobs ran one after another, in the order enqueued.
        for database in databases {
            let onGraph = finished.filter { $0.target.database == (database ?? "") }.sorted { $0.id < $1.id }
            for (earlier, later) in zip(onGraph, onGraph.dropFirst()) {
                let end = try #require(earlier.finishedAt)
                let start = try #require(later.startedAt)
                #expect(
                    start >= end,
                    "job \(later.id) started before job \(earlier.id) ended on \(database ?? "default")"
                )
            }
        }
        // Both daemons worked (leases record who ran each job last).
        let workers = Set(finished.compactMap(\.leaseOwner))
        print("20 jobs over two graphs, run by workers \(workers.sorted())")
        #expect(workers.count == 2, "one daemon did everything: \(workers)")

        // Every job done once: each node counted every step exactly once, in order.
        let expectedSteps = (1...steps).map { "\($0);" }.joined()
        for database in databases {
            let counts = try await fixture.counts(database: database)
            #expect(counts.count == 1, "\(database ?? "default"): \(counts.map(\.values))")
            #expect(counts.first?["count"] == .integer(Int64(steps)))
            #expect(counts.first?["steps"] == .string(expectedSteps))
        }
        let (firstStatus, _) = await DaemonFixture.stop(first)
        let (otherStatus, _) = await DaemonFixture.stop(other)
        #expect(firstStatus == 0 && otherStatus == 0)
        if firstStatus != 0 { DaemonFixture.dump(first, "pair-1") }
        if otherStatus != 0 { DaemonFixture.dump(other, "pair-2") }
    }

    @Test func sigtermMidJobStopsCleanlyAndTheJobResumes() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        print("RAN sigtermMidJobStopsCleanlyAndTheJobResumes on \(server)")
        let nodes = 20_000
        try await DaemonFixture.with(
            server: server,
            migrations: DaemonFixture.firstStep,
            nodes: nodes
        ) { fixture in
            // With the metrics endpoint on: it is shut down last, after the batch in flight, and the exit stays clean.
            let first = try fixture.start(worker: "restart", sections: "[metrics]\nlisten = \"127.0.0.1:0\"")
            let scrape = try await MetricsScrape.of(first)
            let job = try await fixture.enqueue(1, batchSize: 100)
            _ = try await fixture.waitFor(job.id, timeout: .seconds(60), "running") { $0.planDone >= 500 }

            _ = try await scrape.waitFor("the running job", timeout: .seconds(30)) {
                $0.keys.contains { $0.hasPrefix("sluice_job_items_done{job=\"\(job.id)\"") }
            }
            let (status, stopTook) = await DaemonFixture.stop(first, timeout: .seconds(20))
            #expect(status == 0, "exit status \(status.map { "\($0)" } ?? "none: killed")")
            if status != 0 { DaemonFixture.dump(first, "first") }
            let stopped = try #require(try await fixture.store.job(job.id))
            #expect(
                !stopped.state.isFinished && stopped.state != .paused,
                "job is \(stopped.state): \(stopped.lastError ?? "")"
            )
            if stopped.state.isFinished { DaemonFixture.dump(first, "first") }
            #expect(stopped.leaseExpiresAt == nil, "the lease was not released")
            // The stop line names the offset of the job's last checkpoint, not the one it was claimed at (0 here).
            #expect(
                first.standardError.contains("it resumes from offset \(stopped.planDone)"),
                "the stop line does not give offset \(stopped.planDone)"
            )
            try await Task.sleep(for: .milliseconds(500))
            let after = try #require(try await fixture.store.job(job.id))
            #expect(after.planDone == stopped.planDone, "progress after the daemon exited")

            // The same worker identity starts again: its next batch commits soon after.
            let notify = try NotifyRecorder()
            defer { notify.stop() }
            let restarted = ContinuousClock.now
            let second = try fixture.start(worker: "restart", notifySocket: notify.socket.path)
            let ready = try await notify.waitFor("READY=1", timeout: .seconds(30))
            _ = try await fixture.waitFor(job.id, timeout: .seconds(30), "resumed") { $0.planDone > stopped.planDone }
            let nextBatch = ContinuousClock.now - restarted
            print(
                "SIGTERM mid-job: exited in \(Int(stopTook.milliseconds)) ms at offset \(stopped.planDone); restart to "
                    + "READY=1 \(ready.map { "\(Int(($0 - restarted).milliseconds)) ms" } ?? "never"), restart to next "
                    + "batch committed \(Int(nextBatch.milliseconds)) ms"
            )
            #expect(nextBatch < .seconds(10))
            // The first let the job go: it is taken up again, not reclaimed as after a crash.
            #expect(
                second.standardError.contains(
                    "job taken up again at offset \(stopped.planDone), released by this worker (an earlier process of it)"
                ),
                "\(second.standardError.suffix(3_000))"
            )
            #expect(!second.standardError.contains("job reclaimed"), "a clean stop journalled as a crash")
            let (done, _) = try await fixture.waitFor(job.id, timeout: .seconds(180), "succeeded") {
                $0.state.isFinished
            }
            #expect(done.state == .succeeded)
            let counts = try await fixture.counts()
            #expect(counts.count == 1, "counts differ: \(counts.map(\.values))")
            #expect(counts.first?["count"] == 1)
            let (secondStatus, _) = await DaemonFixture.stop(second)
            #expect(secondStatus == 0)
            if secondStatus != 0 || done.state != .succeeded { DaemonFixture.dump(second, "second") }
        }
    }

    @Test func aHungWorkLoopStopsTheWatchdogPingsAndIsReportedStuck() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        print("RAN aHungWorkLoopStopsTheWatchdogPingsAndIsReportedStuck on \(server)")
        try await DaemonFixture.with(
            server: server,
            migrations: DaemonFixture.firstStep,
            nodes: 2_000
        ) { fixture in
            let notify = try NotifyRecorder()
            defer { notify.stop() }
            // systemd's watchdog environment, as for WatchdogSec=2s; the loop may be silent for 2 s + 2 s.
            let daemon = try fixture.start(
                worker: "hang",
                notifySocket: notify.socket.path,
                environment: ["WATCHDOG_USEC": "2000000", "SLUICE_TEST_FAULT": "hang-work-loop"],
                daemon: ["lease": "\"3s\"", "stuck_after": "\"2s\"", "watchdog_margin": "\"2s\""],
                sections: "[engine]\nbatch_timeout = \"2s\"\n[metrics]\nlisten = \"127.0.0.1:0\""
            )
            defer { daemon.kill(SIGKILL) }
            let scrape = try await MetricsScrape.of(daemon)
            let job = try await fixture.enqueue(1, batchSize: 100)
            let firstPing = try await notify.waitFor("WATCHDOG=1", timeout: .seconds(20))
            #expect(firstPing != nil, "no WATCHDOG=1 while the loop worked")
            _ = try await fixture.waitFor(job.id, timeout: .seconds(60), "started") { $0.planDone >= 100 }
            let hungAt = ContinuousClock.now
            let stuck = try await notify.waitFor("STUCK: no progress", timeout: .seconds(20))
            #expect(stuck != nil, "the hung job was not reported stuck in STATUS=")
            // And journalled with its MESSAGE_ID, which an alert can match (it had none: only the text).
            let journalled = daemon.standardError.split(separator: "\n").filter { $0.contains("job stuck: ") }
            #expect(
                journalled.count == 1 && journalled[0].contains("message_id=\(SluiceMessageID.jobStuck)")
                    && journalled[0].contains("stuck_seconds="),
                "\(journalled)"
            )
            // The endpoint answers from NIO's threads, so it reports the hang while the work loop is blocked.
            let labels = MetricsScrape.labels(job: job.id, migration: job.migrationVersion, direction: "up")
            let metrics = try await scrape.waitFor("the job stuck", timeout: .seconds(20)) {
                $0["sluice_job_stuck\(labels)"] == 1
            }
            #expect(metrics["sluice_job_seconds_since_progress\(labels)"].map { $0 >= 2 } == true)
            // STATUS= says at each heartbeat (every second here) how long the job has been stuck, without the rate and
            // ETA of its last batch.
            let growing = try await eventually(timeout: .seconds(20)) {
                Set(notify.messages.filter { $0.text.contains("STUCK: no progress") }.map(\.text)).count >= 3
            }
            let stuckLines = notify.messages.filter { $0.text.contains("STUCK: no progress") }.map(\.text)
            #expect(growing, "STATUS= did not say how long the job has been stuck: \(stuckLines)")
            #expect(!stuckLines.contains { $0.contains("items/s") }, "\(stuckLines)")
            // Pings stop once the allowance (4 s) is spent; give it twice that, then watch for 5 s more.
            try await Task.sleep(for: .seconds(8))
            let silenceFrom = ContinuousClock.now
            try await Task.sleep(for: .seconds(5))
            let pings = notify.messages.filter { $0.text.contains("WATCHDOG=1") }
            let late = pings.filter { $0.at > silenceFrom }
            let last = pings.last.map { Int(($0.at - hungAt).milliseconds) }
            print(
                "hung work loop: \(pings.count) WATCHDOG=1 in all, the last \(last.map { "\($0) ms" } ?? "-") after the hang"
            )
            #expect(late.isEmpty, "WATCHDOG=1 went on while the work loop hung")
            #expect(daemon.process.isRunning, "the daemon exited instead of hanging for systemd to kill")
            let counts = try await fixture.counts()
            #expect(counts.allSatisfy { $0["count"] == 0 || $0["count"] == 1 })
        }
    }

    /// Two daemons and a foreground `sluice run` of another migration on one graph: the run cannot start while the
    /// daemons' job holds the graph, says so in one line, and leaves no job behind (its job is inserted leased to it
    /// or not at all: queued, a daemon would run it later, which the operator did not ask for); the daemons' job ends
    /// with every node changed once, by it alone.
    @Test func aForegroundRunBesideTwoDaemonsIsRefusedAndLeavesNothingQueued() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        print("RAN aForegroundRunBesideTwoDaemonsIsRefusedAndLeavesNothingQueued on \(server)")
        let nodes = 3_000
        try await DaemonFixture.with(
            server: server,
            migrations: [
                DaemonFixture.migrationFile(step: 1): DaemonFixture.countingMigration(step: 1),
                DaemonFixture.migrationFile(step: 2): DaemonFixture.countingMigration(step: 2),
            ],
            nodes: nodes
        ) { fixture in
            // 500 items/s: the job lasts about 6 s, long past the foreground run's attempt.
            let rate = "[throttle]\nmax_items_per_second = 500\n"
            let daemons = try ["first", "second"].map { try fixture.start(worker: $0, sections: rate) }
            let job = try await fixture.enqueue(1, batchSize: 100)
            _ = try await fixture.waitFor(job.id, timeout: .seconds(120), "running") {
                $0.state == .running && $0.planDone > 0
            }

            var environment = fixture.cluster.libpqEnvironment
            environment["PATH"] = "/usr/bin:/bin"
            if case .basic(_, let password) = server.auth { environment["SLUICE_BOLT_PASSWORD"] = password }
            let configuration = try fixture.configuration(worker: "foreground")
            let run = try await ProcessRun.run(
                CypherCommandTests.executable,
                ["run", "2", "--config", configuration.path, "--no-throttle"],
                environment: environment
            )
            #expect(run.status != 0)
            #expect(
                run.errorMessages.count == 1 && run.errorMessages[0].contains("002 up cannot start now")
                    && run.errorMessages[0].contains("another job holds its graph")
                    && run.errorMessages[0].contains("no job was queued, nothing was changed"),
                "sluice run said: \(run.errors)"
            )
            let foreground = try await fixture.store.jobs(states: nil, limit: 100).filter { $0.id != job.id }
            #expect(foreground.isEmpty, "\(foreground)")

            let (done, _) = try await fixture.waitFor(job.id, timeout: .seconds(180), "finished") {
                $0.state.isFinished
            }
            #expect(done.state == .succeeded, "\(done.state): \(done.lastError ?? "")")
            let counts = try await fixture.counts()
            #expect(counts.count == 1 && counts.first?["steps"] == .string("1;"), "\(counts.map(\.values))")
            try await fixture.expectEveryNodeChangedOnce(nodes)
            // The other commands given the file reach the same graph and migrations (no SLUICE_BOLT_URL here).
            let verified = try await ProcessRun.run(
                CypherCommandTests.executable,
                ["verify", "1", "--config", configuration.path],
                environment: environment
            )
            #expect(verified.status == 0 && verified.output.contains("001 up verify passed"), "\(verified.errors)")
            let unverified = try await ProcessRun.run(
                CypherCommandTests.executable,
                ["verify", "2", "--config", configuration.path],
                environment: environment
            )
            #expect(unverified.status != 0 && unverified.errors.contains("002 up verify did not pass"))
            let counted = try await ProcessRun.run(
                CypherCommandTests.executable,
                [
                    "cypher", "--config", configuration.path, "--json",
                    "MATCH (n:\(fixture.label)) RETURN count(n) AS n",
                ],
                environment: environment
            )
            #expect(counted.output == "{\"n\":\(nodes)}\n", "\(counted.output) \(counted.errors)")
            for daemon in daemons {
                let (status, _) = await DaemonFixture.stop(daemon)
                #expect(status == 0)
                if status != 0 || done.state != .succeeded { DaemonFixture.dump(daemon, "daemon") }
            }
        }
    }

    @Test func sighupReloadsTheConfigurationAndKeepsTheOldOneWhenTheNewIsBroken() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        print("RAN sighupReloadsTheConfiguration on \(server)")
        try await DaemonFixture.with(
            server: server,
            migrations: DaemonFixture.firstStep,
            nodes: 10
        ) { fixture in
            let notify = try NotifyRecorder()
            defer { notify.stop() }
            let daemon = try fixture.start(worker: "reload", notifySocket: notify.socket.path)
            defer { daemon.kill(SIGKILL) }
            #expect(try await notify.waitFor("READY=1", timeout: .seconds(30)) != nil)
            let file = fixture.folder.appendingPathComponent("reload.toml")
            let original = try String(contentsOf: file, encoding: .utf8)

            // A valid change: RELOADING=1 with its timestamp, then READY=1; the journal says what changed.
            try (original + "\n[throttle]\nwindows = [\"nightly = daily 01:00-05:00 UTC: max 500 items/s\"]\n")
                .replacingOccurrences(of: "log_level = \"info\"", with: "log_level = \"debug\"")
                .write(to: file, atomically: true, encoding: .utf8)
            let before = notify.messages.count
            daemon.kill(SIGHUP)
            let reloading = try await notify.waitFor("RELOADING=1", timeout: .seconds(10))
            #expect(reloading != nil)
            #expect(notify.messages.contains { $0.text.contains("RELOADING=1\nMONOTONIC_USEC=") })
            try await Task.sleep(for: .milliseconds(500))
            #expect(notify.messages.dropFirst(before).contains { $0.text == "READY=1" })
            #expect(daemon.standardError.contains("configuration reloaded"), "\(daemon.standardError.suffix(2_000))")
            #expect(daemon.standardError.contains("throttle_windows=1"))

            // A broken file changes nothing: the daemon stays up and says why, with the line.
            try (original + "\n[daemon]\nlease = 5\n").write(to: file, atomically: true, encoding: .utf8)
            daemon.kill(SIGHUP)
            try await Task.sleep(for: .seconds(1))
            #expect(daemon.process.isRunning)
            #expect(
                daemon.standardError.contains("configuration not reloaded"),
                "\(daemon.standardError.suffix(2_000))"
            )
            let (status, _) = await DaemonFixture.stop(daemon)
            #expect(status == 0)
        }
    }

    // MARK: Helpers

    /// A second ArcadeDB database (created through its HTTP API if missing), the second graph of the pair test.
    static func secondArcadeDatabase() async throws -> String {
        let name = "sluice_second"
        let environment = JobStoreTestDatabase.environment
        guard let http = environment["SLUICE_TEST_ARCADEDB_HTTP_URL"],
            let password = environment["SLUICE_TEST_ARCADEDB_PASSWORD"]
        else {
            throw DaemonTestSetupError("SLUICE_TEST_ARCADEDB_HTTP_URL is not set: run through scripts/test")
        }
        let (_, output) = try await JobStoreTestDatabase.shell(
            "curl -s -u 'root:\(password)' \(http)/api/v1/databases"
        )
        if !output.contains("\"\(name)\"") {
            let (status, created) = try await JobStoreTestDatabase.shell(
                "curl -s -f -u 'root:\(password)' -X POST \(http)/api/v1/server -d '{\"command\":\"create database \(name)\"}'"
            )
            guard status == 0 else { throw DaemonTestSetupError("cannot create ArcadeDB database \(name): \(created)") }
        }
        return name
    }
}

struct DaemonTestSetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
