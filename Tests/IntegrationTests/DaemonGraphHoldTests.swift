import Bolt
import Foundation
import JobStore
import Testing

/// The daemon and the graph's hold on items (``GraphHold``): a job whose items a job of another job store holds is
/// neither failed nor retried in a loop that fills the journal. The daemon says once who holds them and until when,
/// claims the job again with backoff, and runs it once the hold is over.
@Suite struct DaemonGraphHoldTests {
    static let nodes = 500

    @Test(arguments: ["arcadedb", "falkordb"])
    func aJobWhoseItemsAnotherStoreHoldsWaitsAndRunsOnceTheHoldExpires(server name: String) async throws {
        guard let server = try BoltTestServer.named(name) else { return }
        try await DaemonFixture.with(
            server: server,
            migrations: DaemonFixture.firstStep,
            nodes: Self.nodes
        ) { fixture in
            print("RAN aJobWhoseItemsAnotherStoreHoldsWaitsAndRunsOnceTheHoldExpires on \(server)")
            // The hold a job of another store leaves when its worker dies, planted for ten minutes on the graph's clock
            // and expired by the test once the daemon has said it waits: a hold of a few seconds ran out before a
            // daemon on a loaded machine (24 s to plan) came to it. No quotes in the text (FalkorDB pastes parameters
            // into the query).
            let key: BoltValue = .string("node:\(fixture.label)")
            try await Self.plantHold(key, on: server)
            let job = try await fixture.enqueue(1, batchSize: 100)
            let daemon = try fixture.start(worker: "held")
            let waitLine = ": held by job 9 (001 up) of another job store until"
            let waited = try await eventually(timeout: .seconds(180)) {
                !daemon.process.isRunning || daemon.standardError.contains(waitLine)
            }
            #expect(waited && daemon.standardError.contains(waitLine), "the daemon never said it waits for the hold")
            let whileHeld = try #require(try await fixture.store.job(job.id))
            #expect(whileHeld.planDone == 0 && !whileHeld.state.isFinished, "the job ran while the items were held")
            // Expired now, as the hold of a dead worker expires: written beside the daemon, which reads the hold
            // as it claims the job again (ArcadeDB failed this write once with a conflict on the record).
            try await server.write("MATCH (g:SluiceGraph {key: $key}) SET g.until = timestamp() - 1", ["key": key])
            let (ended, after) = try await fixture.waitFor(job.id, timeout: .seconds(180), "ended") {
                $0.state.isFinished
            }
            let (status, _) = await DaemonFixture.stop(daemon)
            let log = daemon.standardError
            print("job \(job.id) on \(name) ended \(ended.state) \(after) after the hold expired")
            #expect(ended.state == .succeeded, "job: \(ended.state), \(ended.lastError ?? "")")
            #expect(status == 0)
            let waits = log.components(separatedBy: waitLine)
            #expect(waits.count - 1 == 1, "the wait is journalled once at the default level")
            #expect(
                log.contains("the items of job \(job.id) on the graph") && log.contains(" are free again after"),
                "the end of the wait is journalled"
            )
            #expect(!log.contains("job failed"))
            try await fixture.expectEveryNodeChangedOnce(Self.nodes)
            if ended.state != .succeeded || waits.count != 2 { DaemonFixture.dump(daemon, "daemon") }
            try await server.write("MATCH (g:SluiceGraph {key: $key}) DELETE g", ["key": key])
        }
    }

    /// A job that fails as it is claimed again, its migration file changed since it was queued (a deploy touched the
    /// file of a running job, then the daemon restarted), gives up its hold on the items and its node is finished: the
    /// next job on those items ran only a lease later, and waited meanwhile "for the graph" behind a job that had
    /// ended (walkthrough s21).
    @Test func aJobFailedForItsChangedFileGivesUpItsHoldOnTheItems() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        try await DaemonFixture.with(
            server: server,
            migrations: DaemonFixture.firstStep,
            nodes: 2_000
        ) { fixture in
            print("RAN aJobFailedForItsChangedFileGivesUpItsHoldOnTheItems on \(server)")
            let job = try await fixture.jobWhoseDaemonDied(
                after: 300,
                batchSize: 100,
                environment: ["SLUICE_THROTTLE_MAX_ITEMS_PER_SECOND": "1000"]
            )
            let file = fixture.folder.appendingPathComponent(DaemonFixture.migrationFile(step: 1))
            let text = try String(contentsOf: file, encoding: .utf8)
            try (text + "// a comment a deploy added\n").write(to: file, atomically: true, encoding: .utf8)
            // The same identity takes its lease back at once, well before the hold would lapse with it.
            let daemon = try fixture.start(worker: "dies")
            let (failed, _) = try await fixture.waitFor(job.id, timeout: .seconds(60), "failed") { $0.state.isFinished }
            // The graph's side follows the end in Postgres.
            let key: BoltValue = .string("node:\(fixture.label)")
            let released = try await eventually(timeout: .seconds(10)) {
                let hold = try await server.withConnection { connection in
                    try await server.query(
                        connection,
                        "MATCH (g:SluiceGraph {key: $key}) RETURN g.until AS until",
                        ["key": key]
                    )
                }
                return hold.first?["until"] == .integer(0)
            }
            let (status, _) = await DaemonFixture.stop(daemon)
            #expect(status == 0)
            #expect(
                failed.state == .failed && failed.lastError?.contains("changed since the job was enqueued") == true,
                "job: \(failed.state), \(failed.lastError ?? "")"
            )
            #expect(released, "the failed job still holds its items")
            #expect(try await server.jobNodeFinished(failed) == .boolean(true), "the failed job's node is not finished")
            if !released { DaemonFixture.dump(daemon, "daemon") }
            try await server.write("MATCH (g:SluiceGraph {key: $key}) DELETE g", ["key": key])
        }
    }

    /// Plants the hold and reads it back by its key after a second, planting it again if the key does not find it:
    /// ArcadeDB's index on `:SluiceGraph(key)`, built by another test's first job while the hold is written, can leave
    /// it out (measured: 1 of 240 nodes written during the build, in 2 of 5 rounds), and the daemon's MERGE, which
    /// finds holds through that index, ran the job as if nothing held its items (CI, once). A hold left out is
    /// deleted through a scan (`key + ''` is not looked up in the index).
    static func plantHold(_ key: BoltValue, on server: BoltTestServer) async throws {
        for _ in 1...3 {
            try await server.write(
                """
                CREATE (:SluiceGraph {key: $key, holder: 'elsewhere/1', until: timestamp() + 600000,
                    holder_name: 'job 9 (001 up) of another job store'})
                """,
                ["key": key]
            )
            try await Task.sleep(for: .seconds(1))
            let found = try await server.withConnection { connection in
                try await server.query(
                    connection,
                    "MATCH (g:SluiceGraph {key: $key}) RETURN count(g) AS found",
                    ["key": key]
                )
            }
            if found.first?["found"]?.intValue == 1 { return }
            print("the hold on \(key) is not found by its key: planted again")
            try await server.write("MATCH (g:SluiceGraph) WHERE g.key + '' = $key DELETE g", ["key": key])
        }
        throw TestFailure("the hold on \(key) is not found by its key after planting it 3 times")
    }
}
