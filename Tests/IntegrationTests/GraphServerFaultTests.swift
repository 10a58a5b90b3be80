import Bolt
import Engine
import Foundation
import JobStore
import Testing

/// The daemon when its graph server dies or its network misbehaves mid-job: a private server SIGKILLed and
/// restarted (``PrivateGraphServer``: the shared ones serve other suites), and connections cut and delayed by a
/// ``FaultProxy``. The job waits the outage out (STATUS= says so), reconciles what it cannot know from the graph-side
/// job node, and every node is changed exactly once (`count + 1`, wrong if applied twice).
@Suite(.serialized, .enabled(if: JobStoreTestDatabase.shouldRun()))
struct GraphServerFaultTests {
    static let nodes = 12_000
    /// A cap keeps the job running for at least 6 s, so the faults land mid-job on a loaded machine too.
    static let rate = ["SLUICE_THROTTLE_MAX_ITEMS_PER_SECOND": "2000"]
    /// The fault proxy's test arms its cut once the job is past 1,000 items and needs a batch's COMMIT after that: at
    /// 2,000 items/s a CI run beside every other suite saw the job end before any (the cut never fired), so 20 s here.
    static let proxyRate = ["SLUICE_THROTTLE_MAX_ITEMS_PER_SECOND": "600"]

    @Test func daemonWaitsOutAKilledArcadeDBAndChangesEveryNodeOnce() async throws {
        try await Self.onPrivateArcadeDB("daemonWaitsOutAKilledArcadeDB", Self.killGraphMidJob)
    }

    /// Runs `scenario` on a fixture over a private ArcadeDB of the test's own (it is killed or stopped: the shared one
    /// serves other suites), printing the server's log when it throws; a stopped server is let go on first.
    private static func onPrivateArcadeDB(
        _ name: String,
        _ scenario: (DaemonFixture, PrivateGraphServer) async throws -> Void
    ) async throws {
        guard let graph = try await PrivateGraphServer.start(.arcadedb) else { return }
        print("RAN \(name) on \(graph.server)")
        defer { graph.thaw() }
        do {
            try await DaemonFixture.with(server: graph.server, migrations: DaemonFixture.firstStep, nodes: Self.nodes) {
                try await scenario($0, graph)
            }
        } catch {
            graph.thaw()
            print("---- private arcadedb log ----\n\(graph.log.suffix(3_000))\n---- end ----")
            await graph.stop()
            throw error
        }
        await graph.stop()
    }

    private static func killGraphMidJob(_ fixture: DaemonFixture, graph: PrivateGraphServer) async throws {
        let notify = try NotifyRecorder()
        defer { notify.stop() }
        let daemon = try fixture.start(worker: "graph-kill", notifySocket: notify.socket.path, environment: rate)
        defer { daemon.kill(SIGKILL) }
        let job = try await fixture.enqueue(1, batchSize: 200)
        _ = try await fixture.waitFor(job.id, timeout: .seconds(120), "running") { $0.planDone >= 2_000 }

        let killed = ContinuousClock.now
        await graph.kill()
        let atKill = try #require(try await fixture.store.job(job.id))
        let waiting = try await notify.waitFor("STATUS=waiting for the graph", timeout: .seconds(60))
        #expect(waiting != nil, "no STATUS=waiting for the graph while it was down")
        // Said at once, not after the batch's retries on a connection already closed (15 s before the fix).
        if let waiting {
            #expect(waiting - killed < .seconds(10), "STATUS=waiting came \(waiting - killed) after the kill")
        }
        // Down for a few retries of the daemon's backoff (2 s at most here), then the server's own start.
        try await Task.sleep(for: .seconds(5))
        #expect(daemon.process.isRunning, "the daemon exited while the graph was down")
        let restarting = ContinuousClock.now
        try await graph.restart()
        let restarted = ContinuousClock.now

        let (done, finishing) = try await fixture.waitFor(job.id, timeout: .seconds(300), "finished") {
            $0.state.isFinished
        }
        #expect(done.state == .succeeded, "\(done.state): \(done.lastError ?? "")")
        try await fixture.expectEveryNodeChangedOnce(nodes)
        let log = daemon.standardError
        #expect(log.contains("unreachable"), "the daemon did not log the graph outage")
        // The same run goes on: no "job reclaimed" (a crash's entry) for each attempt during the outage.
        #expect(log.contains("job taken up again after the outage"), "no entry for taking the job up again")
        #expect(!log.contains("job reclaimed"), "the outage was journalled as a reclaim after a crash")
        // The first job on this fresh server made the indexes its batches find the job's node and hold by (the shared
        // server gets them from scripts/services before the suites start).
        let indexes = try await graph.server.withDatabase(nil) { connection, options in
            try await IndexCatalog(connection: connection, options: options).indexes()
        }
        #expect(indexes.contains(where: GraphJobNode.isIndex), "no index on :SluiceJob(id): \(indexes)")
        #expect(indexes.contains(where: GraphHold.isIndex), "no index on :SluiceGraph(key): \(indexes)")
        print(
            "private ArcadeDB SIGKILLed at offset \(atKill.planDone): STATUS=waiting after "
                + "\(waiting.map { "\(Int(($0 - killed).milliseconds)) ms" } ?? "never"), down "
                + "\(Int((restarting - killed).milliseconds)) ms, restart took \(Int((restarted - restarting).milliseconds)) ms, "
                + "job finished \(Int(finishing.milliseconds)) ms after the restart; reconciled from the graph: "
                + "\(log.contains("graph is ahead of the checkpoint"))"
        )
        let (status, _) = await DaemonFixture.stop(daemon)
        #expect(status == 0)
        if status != 0 || done.state != .succeeded { DaemonFixture.dump(daemon, "daemon") }
    }

    /// A graph server that stops answering without closing anything (a private ArcadeDB SIGSTOPped mid-job: it cannot
    /// enforce the `tx_timeout` it was sent) is waited out like one that died: the batch in flight gives up after
    /// the graph's answer timeout, `batch_timeout` + `watchdog_margin` / 2, well before the watchdog would take the
    /// daemon for hung. Before, STATUS= kept the last rate, nothing was journalled, and only the watchdog ended it.
    @Test func daemonWaitsOutAHungArcadeDBAndChangesEveryNodeOnce() async throws {
        try await Self.onPrivateArcadeDB("daemonWaitsOutAHungArcadeDB", Self.freezeGraphMidJob)
    }

    /// Short timeouts for the hung-server tests: the graph's answer timeout is 3 s + 6 s / 2 = 6 s, the watchdog's
    /// allowance for a batch 9 s.
    static let hangTimeouts = ["SLUICE_ENGINE_BATCH_TIMEOUT": "3s", "SLUICE_DAEMON_WATCHDOG_MARGIN": "6s"]
    static let answerTimeout = Duration.seconds(6)

    private static func freezeGraphMidJob(_ fixture: DaemonFixture, graph: PrivateGraphServer) async throws {
        let notify = try NotifyRecorder()
        defer { notify.stop() }
        // systemd's watchdog environment (WatchdogSec=2s): the daemon pings every second while its work loop beats.
        let daemon = try fixture.start(
            worker: "graph-hang",
            notifySocket: notify.socket.path,
            environment: rate.merging(hangTimeouts) { $1 }.merging(["WATCHDOG_USEC": "2000000"]) { $1 }
        )
        defer { daemon.kill(SIGKILL) }
        let job = try await fixture.enqueue(1, batchSize: 200)
        _ = try await fixture.waitFor(job.id, timeout: .seconds(120), "running") { $0.planDone >= 2_000 }

        let frozen = ContinuousClock.now
        #expect(graph.freeze(), "cannot stop the private ArcadeDB")
        let atFreeze = try #require(try await fixture.store.job(job.id))
        let waits = { notify.messages.filter { $0.text.contains("STATUS=waiting for the graph") } }
        let waiting = try await notify.waitFor("STATUS=waiting for the graph", timeout: answerTimeout + .seconds(30))
        #expect(waiting != nil, "no STATUS=waiting for the graph while it was stopped: \(notify.messages.suffix(3))")
        if let waiting {
            #expect(
                waiting - frozen < answerTimeout + .seconds(5),
                "STATUS=waiting came \(waiting - frozen) after the SIGSTOP, the answer timeout being \(answerTimeout)"
            )
        }
        let first = waits().first?.text ?? ""
        #expect(first.contains("no answer from the server for 6s"), "\(first)")
        // Held, not failed: it tries again (each attempt's greeting waits the answer timeout too) and keeps running.
        let seen = waits().count
        let retried = try await eventually(timeout: .seconds(60)) { waits().count >= seen + 2 }
        #expect(retried, "the daemon did not try again while the graph was stopped")
        #expect(daemon.process.isRunning, "the daemon exited while the graph was stopped")
        let thawed = ContinuousClock.now
        graph.thaw()

        let (done, finishing) = try await fixture.waitFor(job.id, timeout: .seconds(300), "finished") {
            $0.state.isFinished
        }
        #expect(done.state == .succeeded, "\(done.state): \(done.lastError ?? "")")
        try await fixture.expectEveryNodeChangedOnce(nodes)
        // The watchdog kept being fed: no attempt, the batch cut by the timeout or a greeting that never came, took
        // the work loop past its allowance.
        let pings = notify.messages.filter { $0.text.contains("WATCHDOG=1") && $0.at > frozen && $0.at < thawed }
        #expect(!pings.isEmpty, "no WATCHDOG=1 while the graph was stopped")
        let (status, _) = await DaemonFixture.stop(daemon)
        #expect(status == 0)
        let log = daemon.standardError.split(separator: "\n")
        #expect(
            !log.contains { $0.contains("watchdog pings stop") },
            "the work loop went past the watchdog's allowance"
        )
        // One warning for the whole hang however often the daemon tried, naming the job, and one line when it is over.
        let warnings = log.filter { $0.contains(" warning ") && $0.contains("waiting for the graph") }
        #expect(warnings.count == 1, "\(warnings)")
        #expect(warnings.allSatisfy { DaemonFixture.namesJob($0, job) }, "the wait does not name its job")
        let ends = log.filter { $0.contains("answers again after") }
        #expect(ends.count == 1, "not one end of the wait")
        // The wait counts from the server's last word, not from the batch giving up an answer timeout later.
        if let end = ends.first, let match = end.firstMatch(of: /answers again after (?:(\d+)m)?(\d+)s/) {
            let said = Duration.seconds(Int(match.1 ?? "0")! * 60 + Int(match.2)!)
            #expect(said >= thawed - frozen - .seconds(1), "\(end): the graph was stopped for \(thawed - frozen)")
        } else {
            Issue.record("no length in \(ends)")
        }
        #expect(!log.contains { $0.contains("job failed") }, "a job failed line while the graph was stopped")
        print(
            "private ArcadeDB SIGSTOPped at offset \(atFreeze.planDone): STATUS=waiting after "
                + "\(waiting.map { "\(Int(($0 - frozen).milliseconds)) ms" } ?? "never") (answer timeout "
                + "\(answerTimeout)), \(waits().count) attempts, \(pings.count) WATCHDOG=1 while stopped, job finished "
                + "\(Int(finishing.milliseconds)) ms after the SIGCONT; reconciled from the graph: "
                + "\(log.contains { $0.contains("graph is ahead of the checkpoint") }), stopped for "
                + "\(Int((thawed - frozen).milliseconds)) ms: \(first); \(ends.first ?? "")"
        )
        if status != 0 || done.state != .succeeded { DaemonFixture.dump(daemon, "daemon") }
    }

    /// A foreground `sluice run` on a graph server that stops answering ends after the answer timeout, with one line
    /// saying so and how to go on, instead of waiting forever; run again once the server answers, it finishes the job,
    /// every node once.
    @Test func aForegroundRunOnAHungArcadeDBStopsWithOneLineAndResumesWhenRunAgain() async throws {
        try await Self.onPrivateArcadeDB("aForegroundRunOnAHungArcadeDB", Self.freezeGraphUnderARun)
    }

    private static func freezeGraphUnderARun(_ fixture: DaemonFixture, graph: PrivateGraphServer) async throws {
        let environment = CypherCommandTests.environment(for: graph.server)
            .merging(fixture.cluster.libpqEnvironment) { $1 }.merging(hangTimeouts) { $1 }
        let arguments = [
            "run", "1", "--migrations", fixture.folder.path, "--schema", fixture.schema, "--batch-size", "200",
            "--max-rate", "2000", "--target-p99", "30000", "--critical-p99", "60000",
        ]
        let run = try await fixture.startedRun(arguments, environment: environment, pastItems: 2_000)
        defer { run.kill(SIGKILL) }
        let frozen = ContinuousClock.now
        #expect(graph.freeze(), "cannot stop the private ArcadeDB")
        let exited = try await eventually(timeout: answerTimeout + .seconds(30)) { !run.process.isRunning }
        let after = ContinuousClock.now - frozen
        #expect(exited, "sluice run still waits \(after) after the SIGSTOP")
        #expect(after < answerTimeout + .seconds(5), "sluice run ended \(after) after the SIGSTOP")
        graph.thaw()
        let status = await run.wait()
        #expect(status != 0)
        // Its stderr also holds the progress lines (no terminal); the error is the one `sluice: error:` line.
        let errors = run.standardError.split(separator: "\n").filter { $0.hasPrefix("sluice: error:") }
        #expect(errors.count == 1, "not one error line: \(run.standardError)")
        let line = errors.first ?? ""
        #expect(line.contains("no answer from the server for 6s") && line.contains("run the command again"), "\(line)")
        let job = try #require(try await fixture.store.jobs().first)
        #expect(job.state == .running, "the job is \(job.state) after the hang: \(job.lastError ?? "")")
        print(
            "sluice run on a stopped ArcadeDB: exit \(status) \(Int(after.milliseconds)) ms after the SIGSTOP: \(line)"
        )

        let again = try await ProcessRun.run(CypherCommandTests.executable, arguments, environment: environment)
        #expect(again.status == 0, "run again: \(again.errors)")
        try await fixture.expectEveryNodeChangedOnce(nodes)
    }

    /// A cancel found at the claim (its worker died) is ended in the graph too even when the daemon is asked to stop
    /// while it does so: here its graph hangs as the daemon takes the job up, SIGTERM comes, and the server answers
    /// again 2 s later, within the graph's answer timeout. Before, the shutdown cut the connect off and the job ended
    /// in Postgres alone, its node unfinished.
    @Test func aCancelFoundAtTheClaimIsEndedInTheGraphThoughTheDaemonStopsMeanwhile() async throws {
        try await Self.onPrivateArcadeDB("aCancelFoundAtTheClaimIsEndedInTheGraph", Self.stopWhileACancelIsEnded)
    }

    private static func stopWhileACancelIsEnded(_ fixture: DaemonFixture, graph: PrivateGraphServer) async throws {
        let job = try await fixture.jobWhoseDaemonDied(after: 2_000, batchSize: 200, environment: rate)
        _ = try await fixture.store.cancel(job.id, by: "test")
        #expect(graph.freeze(), "cannot stop the private ArcadeDB")
        // An answer timeout of 10 s + 10 s / 2 = 15 s: the greeting outlasts the 2 s below on a loaded machine too.
        let heir = try fixture.start(
            worker: "heir",
            environment: ["SLUICE_ENGINE_BATCH_TIMEOUT": "10s", "SLUICE_DAEMON_WATCHDOG_MARGIN": "10s"]
        )
        defer { heir.kill(SIGKILL) }
        // The dead daemon's lease (6 s) runs out, and the heir claims the job and connects to the stopped graph.
        _ = try await fixture.waitFor(job.id, timeout: .seconds(60), "claimed by the heir") {
            $0.leaseOwner?.contains("heir") == true
        }
        heir.kill(SIGTERM)
        try await Task.sleep(for: .seconds(2))
        #expect(
            heir.process.isRunning,
            "the daemon exited before the cancel's end: \(heir.standardError.suffix(2_000))"
        )
        graph.thaw()
        let (status, after) = await DaemonFixture.stop(heir, timeout: .seconds(60))
        #expect(status == 0)
        let ended = try #require(try await fixture.store.job(job.id))
        #expect(ended.state == .cancelled, "\(ended.state)")
        let finished = try await graph.server.jobNodeFinished(ended)
        #expect(finished == .boolean(true), "job node finished: \(String(describing: finished))")
        let log = heir.standardError
        #expect(log.contains("job cancelled by an operator"), "the cancel was not journalled")
        #expect(!log.contains("not recorded in the graph"), "the graph's side was left out")
        print(
            "cancel at the claim, SIGTERM while the graph was stopped: the daemon exited \(status.map { "\($0)" } ?? "-") "
                + "\(Int(after.milliseconds)) ms after the SIGCONT; job \(ended.state) at offset \(ended.planDone), "
                + "job node finished: \(String(describing: finished))"
        )
        if status != 0 || finished != .boolean(true) { DaemonFixture.dump(heir, "heir") }
    }

    /// FalkorDB runs without persistence here: SIGKILLed, it comes back with its last snapshot (taken before the
    /// job), so the batches it had committed are gone. The daemon must see that from the graph-side job node and
    /// fail the job with the reason, not repeat the lost batches on top of what Postgres recorded nor skip them.
    @Test func daemonFailsAJobWhoseFalkorDBLostCommittedBatches() async throws {
        guard let graph = try await PrivateGraphServer.start(.falkordb) else { return }
        print("RAN daemonFailsAJobWhoseFalkorDBLostCommittedBatches on \(graph.server)")
        do {
            try await DaemonFixture.with(server: graph.server, migrations: DaemonFixture.firstStep, nodes: Self.nodes) {
                fixture in
                try await graph.save()
                let notify = try NotifyRecorder()
                defer { notify.stop() }
                let daemon = try fixture.start(
                    worker: "graph-lost",
                    notifySocket: notify.socket.path,
                    environment: Self.rate
                )
                defer { daemon.kill(SIGKILL) }
                let job = try await fixture.enqueue(1, batchSize: 200)
                _ = try await fixture.waitFor(job.id, timeout: .seconds(120), "running") { $0.planDone >= 2_000 }
                await graph.kill()
                let waiting = try await notify.waitFor("STATUS=waiting for the graph", timeout: .seconds(60))
                #expect(waiting != nil, "no STATUS=waiting for the graph while it was down")
                try await graph.restart()

                let (done, _) = try await fixture.waitFor(job.id, timeout: .seconds(120), "finished") {
                    $0.state.isFinished
                }
                #expect(done.state == .failed, "\(done.state): \(done.lastError ?? "")")
                #expect(done.lastError?.contains("lost") == true, "error: \(done.lastError ?? "none")")
                // Nothing was written after the restart: the snapshot's nodes are as the job found them.
                let counts = try await fixture.counts()
                #expect(counts.count == 1 && counts.first?["count"] == 0, "counts: \(counts.map(\.values))")
                print("FalkorDB lost the job's batches in a SIGKILL: job \(done.state), \(done.lastError ?? "")")
                let (status, _) = await DaemonFixture.stop(daemon)
                #expect(status == 0)
                if status != 0 || done.state != .failed { DaemonFixture.dump(daemon, "daemon") }
            }
        } catch {
            print("---- private falkordb log ----\n\(graph.log.suffix(3_000))\n---- end ----")
            await graph.stop()
            throw error
        }
        await graph.stop()
    }

    /// Through a ``FaultProxy`` in front of the shared ArcadeDB: a COMMIT whose answer is lost (the outcome unknown
    /// to the daemon, the batch committed), then every message delayed, then every connection reset and new ones
    /// refused for 8 s, as a server that died and restarts.
    @Test func daemonRidesOutCutAndDelayedConnections() async throws {
        guard let shared = try BoltTestServer.named("arcadedb") else { return }
        let proxy = try await FaultProxy.start(to: shared.url)
        let server = BoltTestServer(
            name: "arcadedb through a fault proxy",
            url: proxy.url(),
            auth: shared.auth,
            database: shared.database,
            rollbackUndoesWrites: shared.rollbackUndoesWrites,
            acceptsArbitraryParameters: shared.acceptsArbitraryParameters,
            handlesGoodbye: shared.handlesGoodbye
        )
        print("RAN daemonRidesOutCutAndDelayedConnections on \(server) (\(proxy.url()))")
        do {
            try await DaemonFixture.with(server: server, migrations: DaemonFixture.firstStep, nodes: Self.nodes) {
                try await Self.cutAndDelay($0, proxy: proxy)
            }
        } catch {
            await proxy.stop()
            throw error
        }
        await proxy.stop()
    }

    private static func cutAndDelay(_ fixture: DaemonFixture, proxy: FaultProxy) async throws {
        let notify = try NotifyRecorder()
        defer { notify.stop() }
        let daemon = try fixture.start(worker: "proxy", notifySocket: notify.socket.path, environment: proxyRate)
        defer { daemon.kill(SIGKILL) }
        let job = try await fixture.enqueue(1, batchSize: 200)
        _ = try await fixture.waitFor(job.id, timeout: .seconds(120), "running") { $0.planDone >= 1_000 }

        // A batch's COMMIT reaches the server, its answer is lost: the daemon cannot know whether it committed.
        await proxy.cutWhenClientSends(pattern: FaultProxy.commitMessage)
        var lostAnswer: [UInt8]?
        _ = try await eventually(timeout: .seconds(60)) {
            lostAnswer = await proxy.lostAnswer()
            return lostAnswer != nil
        }
        let answer = try #require(lostAnswer, "no COMMIT was cut within 60 s")
        // The shared ArcadeDB may refuse the COMMIT (a lock held by another suite's job past its timeout): then
        // nothing committed, the daemon runs the batch again, and there is nothing to reconcile.
        let committed = FaultProxy.isSuccess(answer)
        var reconciled = false
        if committed {
            reconciled = try await eventually(timeout: .seconds(60)) {
                daemon.standardError.contains("graph is ahead of the checkpoint")
            }
        }
        let afterCut = try await fixture.store.job(job.id)
        #expect(
            reconciled || !committed,
            "the batch whose COMMIT answer was lost was not recognised from the graph (job \(afterCut?.state.rawValue ?? "?") at \(afterCut?.planDone ?? -1) of \(nodes))"
        )
        if !committed { print("the server refused the cut COMMIT (answer \(answer)): nothing committed to reconcile") }

        // Every message held 300 ms: batches go on, slower.
        await proxy.delay(.milliseconds(300))
        let before = try #require(try await fixture.store.job(job.id)).planDone
        _ = try await fixture.waitFor(job.id, timeout: .seconds(60), "progressing while delayed") {
            $0.planDone >= before + 400 || $0.state.isFinished
        }
        await proxy.delay(.zero)

        // The server "dies": every connection reset, new ones refused for 8 s.
        let atCut = try #require(try await fixture.store.job(job.id))
        await proxy.refuseNew(for: .seconds(8))
        await proxy.cutAll()
        let waiting = try await notify.waitFor("STATUS=waiting for the graph", timeout: .seconds(30))
        #expect(waiting != nil || atCut.state.isFinished, "no STATUS=waiting for the graph while it refused")

        let (done, _) = try await fixture.waitFor(job.id, timeout: .seconds(300), "finished") { $0.state.isFinished }
        #expect(done.state == .succeeded, "\(done.state): \(done.lastError ?? "")")
        try await fixture.expectEveryNodeChangedOnce(nodes)
        print(
            "through the fault proxy: lost COMMIT answer reconciled \(reconciled), delayed 300 ms per message, "
                + "cut and refused for 8 s at offset \(atCut.planDone); job \(done.state)"
        )
        let (status, _) = await DaemonFixture.stop(daemon)
        #expect(status == 0)
        if status != 0 || done.state != .succeeded || !reconciled && committed { DaemonFixture.dump(daemon, "daemon") }
    }
}
