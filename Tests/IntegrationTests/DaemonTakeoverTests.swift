import Engine
import Foundation
import JobStore
import Systemd
import Testing

/// A daemon's job taken from it: by another worker once its lease is found expired, the journal says so once, however
/// many of the session's parts (the heartbeat, the runner's next checkpoint, the graph-side node's fence) hear of it;
/// by a second daemon under the same worker identity, once, and the first takes no job while the second is alive.
@Suite(.serialized, .enabled(if: JobStoreTestDatabase.shouldRun()))
struct DaemonTakeoverTests {
    /// A job whose daemon died mid-job and which an operator cancelled before another daemon took it: the daemon
    /// that claims it with its cancel pending ends it as a running job's cancel does, in the graph too (its job node
    /// finished, its partial history mirrored), where before it ended it in Postgres alone.
    @Test func aJobClaimedWithItsCancelPendingIsEndedInTheGraphToo() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        print("RAN aJobClaimedWithItsCancelPendingIsEndedInTheGraphToo on \(server)")
        try await DaemonFixture.with(server: server, migrations: DaemonFixture.firstStep, nodes: 2_000) { fixture in
            let job = try await fixture.jobWhoseDaemonDied(
                after: 200,
                batchSize: 100,
                environment: ["SLUICE_THROTTLE_MAX_ITEMS_PER_SECOND": "300"]
            )
            let cancelling = try await fixture.store.cancel(job.id, by: "test")
            #expect(cancelling.cancelRequested && !cancelling.state.isFinished, "\(cancelling.state)")
            // The dead daemon's lease (6 s) runs out; another daemon claims the job and finds its cancel.
            let heir = try fixture.start(worker: "heir")
            defer { heir.kill(SIGKILL) }
            let (ended, _) = try await fixture.waitFor(job.id, timeout: .seconds(60), "finished") {
                $0.state.isFinished
            }
            #expect(ended.state == .cancelled)
            // The graph's side comes after Postgres's end, and its journal line after that: a stop before it would
            // cut the mirror short (a CI run's did).
            let journalled = try await eventually(timeout: .seconds(30)) {
                heir.standardError.contains("job cancelled by an operator")
            }
            #expect(journalled, "the cancel was not journalled")
            let (status, _) = await DaemonFixture.stop(heir)
            #expect(status == 0)
            let finished = try await server.jobNodeFinished(ended)
            #expect(finished == .boolean(true), "job node finished: \(String(describing: finished))")
            let history = try await fixture.store.history().filter { $0.job == job.id }
            #expect(
                history.map(\.status) == [.partial] && history.first?.items == ended.itemsChanged,
                "\(history)"
            )
            let log = heir.standardError
            #expect(log.contains("job cancelled by an operator"), "the cancel was not journalled")
            #expect(!log.contains("not recorded in the graph"), "the graph's side was left out")
            print(
                "cancel pending at claim: job \(ended.state) at offset \(ended.planDone), job node finished: \(String(describing: finished))"
            )
            if ended.state != .cancelled || finished != .boolean(true) {
                DaemonFixture.dump(heir, "heir")
            }
        }
    }

    /// A paused job that changed items, cancelled while a daemon serves its graph server, is left to that daemon:
    /// the cancel wakes it, it claims the job with its cancel pending and ends it in the graph as well (job node
    /// finished). Before, `cancel` ended it in Postgres alone, having no graph connection, and the node stayed unfinished.
    @Test func aPausedJobCancelledWhileADaemonServesItsGraphIsEndedInTheGraphToo() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        print("RAN aPausedJobCancelledWhileADaemonServesItsGraphIsEndedInTheGraphToo on \(server)")
        try await DaemonFixture.with(server: server, migrations: DaemonFixture.firstStep, nodes: 2_000) { fixture in
            let daemon = try fixture.start(
                worker: "serving",
                environment: ["SLUICE_THROTTLE_MAX_ITEMS_PER_SECOND": "300"]
            )
            defer { daemon.kill(SIGKILL) }
            let job = try await fixture.enqueue(1, batchSize: 100)
            _ = try await fixture.waitFor(job.id, timeout: .seconds(120), "running") { $0.planDone >= 200 }
            _ = try await fixture.store.pause(job.id, by: "test")
            let (paused, _) = try await fixture.waitFor(job.id, timeout: .seconds(30), "paused") {
                $0.state == .paused && $0.leaseExpiresAt == nil
            }
            let cancelling = try await fixture.store.cancel(job.id, by: "test")
            #expect(cancelling.cancelRequested && cancelling.state == .paused, "\(cancelling.state)")
            let (ended, took) = try await fixture.waitFor(job.id, timeout: .seconds(30), "cancelled") {
                $0.state.isFinished
            }
            #expect(ended.state == .cancelled && ended.planDone == paused.planDone, "\(ended.state) \(ended.planDone)")
            let journalled = try await eventually(timeout: .seconds(30)) {
                daemon.standardError.contains("job cancelled by an operator")
            }
            #expect(journalled, "the cancel was not journalled")
            let finished = try await server.jobNodeFinished(ended)
            #expect(finished == .boolean(true), "job node finished: \(String(describing: finished))")
            let history = try await fixture.store.history().filter { $0.job == job.id }
            #expect(history.map(\.status) == [.partial] && history.first?.items == ended.itemsChanged, "\(history)")
            #expect(!daemon.standardError.contains("not recorded in the graph"), "the graph's side was left out")
            let (status, _) = await DaemonFixture.stop(daemon)
            #expect(status == 0)
            print(
                "paused job cancelled with a daemon serving: ended in \(Int(took.milliseconds)) ms, job node finished: \(String(describing: finished))"
            )
            if ended.state != .cancelled || finished != .boolean(true) {
                DaemonFixture.dump(daemon, "daemon")
            }
        }
    }

    /// Taken over while a long batch runs: the heartbeat, woken by the job's NOTIFY, hears of it first and stops the
    /// run after that batch, whose checkpoint is then refused. Each said "lease lost".
    @Test func aJobTakenOverByAnotherWorkerIsJournalledOnce() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        print("RAN aJobTakenOverByAnotherWorkerIsJournalledOnce on \(server)")
        try await DaemonFixture.with(server: server, migrations: DaemonFixture.slowFirstStep, nodes: 4_000) {
            fixture in
            // Batches of 1,000 take about a second: the next one runs when the checkpoint of one is seen, and the
            // heartbeat hears of the NOTIFY below at once.
            let daemon = try fixture.start(
                worker: "robbed",
                environment: ["SLUICE_THROTTLE_MIN_BATCH_SIZE": "1000", "SLUICE_THROTTLE_MAX_BATCH_SIZE": "1000"]
            )
            defer { daemon.kill(SIGKILL) }
            let job = try await fixture.enqueue(1, batchSize: 1_000)
            _ = try await fixture.waitFor(job.id, timeout: .seconds(120), "running") { $0.planDone >= 1_000 }
            // Another worker finds the lease expired and claims the job, as a stalled daemon's successor would, and
            // says so on the control channel as an operator's command does.
            let takeover = try JobStoreTestDatabase.psql(
                """
                BEGIN;
                UPDATE \(fixture.store.schema.quoted).jobs SET lease_expires_at = now() - interval '1 second'
                WHERE id = \(job.id);
                PREPARE claim AS \(fixture.store.statements.claim);
                EXECUTE claim('thief', 600) \\g /dev/null
                SELECT pg_notify('\(fixture.store.schema.controlChannel)', '\(job.id)') \\g /dev/null
                COMMIT;
                """
            )
            #expect(await takeover.wait() == 0, "\(takeover.standardError)")
            #expect(try await fixture.store.job(job.id)?.leaseOwner == "thief")
            let log = { daemon.standardError.split(separator: "\n").filter { $0.contains("lease lost") } }
            #expect(try await eventually(timeout: .seconds(20)) { !log().isEmpty }, "no lease lost")
            // Past the batch in flight and its refused checkpoint: still one line.
            try await Task.sleep(for: .seconds(5))
            #expect(log().count == 1, "\(log().count) entries for one takeover: \(log())")
            #expect(
                log().allSatisfy {
                    $0.contains(" warning ") && DaemonFixture.namesJob($0, job)
                        && $0.contains("message_id=\(SluiceMessageID.leaseLost)")
                },
                "\(log())"
            )
            // Neither a shutdown nor an operator stopped the run.
            #expect(!daemon.standardError.contains("job stopped for shutdown"), "\(daemon.standardError.suffix(2_000))")
            let (status, _) = await DaemonFixture.stop(daemon)
            #expect(status == 0)
            if log().count != 1 { DaemonFixture.dump(daemon, "daemon") }
        }
    }

    /// Two daemons with one worker identity (a configuration copied to a second host) and one job: the second takes
    /// the job over once, as a restart after a kill would, and the first, alive, says once that another daemon uses
    /// its worker and takes no job while it does (they took the job from each other about once a second, each time
    /// restarting the pacing that keeps an operator's rate cap). The second stopped, the first takes the job up again
    /// and it ends with every node changed once.
    @Test func twoDaemonsWithOneWorkerIdentityDoNotTakeTheJobFromEachOther() async throws {
        guard let server = try BoltTestServer.named("falkordb") else { return }
        print("RAN twoDaemonsWithOneWorkerIdentityDoNotTakeTheJobFromEachOther on \(server)")
        let nodes = 12_000
        try await DaemonFixture.with(server: server, migrations: DaemonFixture.firstStep, nodes: nodes) { fixture in
            // 1,000 items/s: the job lasts 12 s, past the second's start and its stop.
            let capped = ["SLUICE_THROTTLE_MAX_ITEMS_PER_SECOND": "1000"]
            let first = try fixture.start(worker: "twin", environment: capped)
            defer { first.kill(SIGKILL) }
            let job = try await fixture.enqueue(1, batchSize: 100)
            _ = try await fixture.waitFor(job.id, timeout: .seconds(60), "running") { $0.planDone >= 500 }
            let second = try fixture.start(worker: "twin", environment: capped)
            defer { second.kill(SIGKILL) }
            let shared = { first.standardError.split(separator: "\n").filter { $0.contains("another live daemon") } }
            let said = try await eventually(timeout: .seconds(20)) { !shared().isEmpty }
            #expect(said, "the first did not say that another daemon uses its worker")
            // A lease (6 s) and three announcements more: still once, and no job taken back.
            try await Task.sleep(for: .seconds(6))
            let reclaims = (first.standardError + second.standardError).split(separator: "\n").filter {
                $0.contains("job reclaimed")
            }
            #expect(reclaims.count == 1, "\(reclaims.count) reclaims: \(reclaims.prefix(4))")
            #expect(second.standardError.contains("job reclaimed"), "the second did not take the job")
            #expect(shared().count == 1, "\(shared())")
            let pid = second.process.processIdentifier
            #expect(
                shared().allSatisfy {
                    $0.contains(" error ") && $0.contains("uses worker twin (since ")
                        && $0.contains("pid \(pid) on ") && $0.contains("give each daemon its own [daemon] worker")
                },
                "\(shared())"
            )
            #expect(!second.standardError.contains("another live daemon"), "the second gave way too")
            let lost = first.standardError.split(separator: "\n").filter { $0.contains("lease lost") }
            #expect(lost.count == 1, "\(lost)")

            let (secondStatus, _) = await DaemonFixture.stop(second)
            #expect(secondStatus == 0)
            let (done, _) = try await fixture.waitFor(job.id, timeout: .seconds(120), "finished") {
                $0.state.isFinished
            }
            #expect(done.state == .succeeded, "\(done.state): \(done.lastError ?? "")")
            try await fixture.expectEveryNodeChangedOnce(nodes)
            let again = try await eventually(timeout: .seconds(10)) {
                first.standardError.contains("worker twin is this daemon's again")
            }
            #expect(again, "the first did not say it takes jobs again")
            let (firstStatus, _) = await DaemonFixture.stop(first)
            #expect(firstStatus == 0)
            if reclaims.count != 1 || shared().count != 1 || done.state != .succeeded {
                DaemonFixture.dump(first, "first")
                DaemonFixture.dump(second, "second")
            }
        }
    }
}
