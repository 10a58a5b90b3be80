import Foundation
import JobStore
import Testing

/// A daemon's job taken from it: by another worker once its lease is found expired, the journal says so once, however
/// many of the session's parts (the heartbeat, the runner's next checkpoint, the graph-side node's fence) hear of it.
@Suite(.serialized, .enabled(if: JobStoreTestDatabase.shouldRun()))
struct DaemonTakeoverTests {
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
            #expect(try await SluiceSandbox.waitUntil(timeout: .seconds(20)) { !log().isEmpty }, "no lease lost")
            // Past the batch in flight and its refused checkpoint: still one line.
            try await Task.sleep(for: .seconds(5))
            #expect(log().count == 1, "\(log().count) entries for one takeover: \(log())")
            #expect(log().allSatisfy { $0.contains(" warning ") && DaemonFixture.namesJob($0, job) }, "\(log())")
            // Neither a shutdown nor an operator stopped the run.
            #expect(!daemon.standardError.contains("job stopped for shutdown"), "\(daemon.standardError.suffix(2_000))")
            let (status, _) = await DaemonFixture.stop(daemon)
            #expect(status == 0)
            if log().count != 1 { DaemonFixture.dump(daemon, "daemon") }
        }
    }
}
