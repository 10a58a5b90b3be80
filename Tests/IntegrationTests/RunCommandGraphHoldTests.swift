import Bolt
import Engine
import Foundation
import JobStore
import Testing

/// Two job stores (two schemas) with a job each on the same items of one graph: Postgres admits each, so only the
/// graph's hold (``GraphHold``) keeps them apart. The change is `counter + 1`, so a node both jobs changed shows a 2
/// and one changed while the other held the items would show in the counts.
@Suite struct RunCommandGraphHoldTests {
    static let nodes = 2_000

    static func migration(label: String) -> String {
        """
        // sluice:description Adds one to every \(label)'s counter.

        // sluice:up data
        MATCH (n:\(label))
        WHERE n.counter IS NOT NULL
        SET n.counter = n.counter + 1

        // sluice:up verify
        MATCH (n:\(label)) WHERE n.counter < 1 RETURN count(n) = 0 AS ok

        // sluice:down data
        MATCH (n:\(label))
        WHERE n.counter IS NOT NULL
        SET n.counter = n.counter - 1

        // sluice:down verify
        MATCH (n:\(label)) WHERE n.counter < 0 RETURN count(n) = 0 AS ok
        """
    }

    /// On FalkorDB, this test and the next run on a private server: a worker stopped or killed mid-batch can crash it
    /// (``PrivateGraphServer/falkorCrash``).
    ///
    /// The second store's job is refused with one line naming the job that holds the items while that job runs (here
    /// stopped mid-way with SIGSTOP, holding them), changes nothing, and runs once the first job ended.
    @Test(arguments: ["arcadedb", "falkordb"])
    func aJobOfAnotherStoreWaitsWhileTheItemsAreHeldAndRunsAfter(server name: String) async throws {
        try await PrivateGraphServer.withServerForKilledClients(name) { server in
            let label = BoltTestServer.uniqueLabel("Held")
            guard let (first, second) = try await Self.harnesses(server: server, label: label) else { return }
            print("RAN aJobOfAnotherStoreWaitsWhileTheItemsAreHeldAndRunsAfter on \(server)")
            let running = try await first.startMidJob("1", ["--batch-size", "50", "--worker", "first"])
            running.kill(SIGSTOP)
            let holder = try #require(try await first.job())
            let before = try await first.settledHistogram(of: "counter", label: label)

            let refused = try second.start("1", ["--batch-size", "50", "--worker", "second"])
            let status = await refused.wait()
            let said = refused.standardError
            print("second store's run, refused on \(server.name), exited \(status): \(said)")
            #expect(status != 0)
            let line = said.split(separator: "\n").first { $0.contains("are held by") }
            #expect(line?.contains("held by job \(holder.id) (\(holder.migrationVersion) up)") == true, "said: \(said)")
            #expect(line?.contains("of job store \"\(first.schema)\", worker first until 20") == true, "said: \(said)")
            #expect(line?.contains("nothing was changed, and this run's own job ") == true, "said: \(said)")
            // Ended, not left planning: such a job held its store's graph for every other migration, and no daemon
            // takes a run's job.
            let refusedJob = try #require(try await second.job())
            #expect(refusedJob.planTotal == nil, "the refused job was planned")
            #expect(refusedJob.state == .cancelled && refusedJob.itemsChanged == 0, "\(refusedJob.state)")
            #expect(try await first.histogram(of: "counter", label: label) == before, "the refused job changed items")

            running.kill(SIGCONT)
            #expect(await running.wait() == 0, "first job: \(running.standardError)")
            // The same up again, on purpose (a counter of 2 shows both ran, one after the other): the graph's history,
            // which records it applied by the first store, would refuse it.
            let after = try second.start(
                "1",
                ["--batch-size", "50", "--worker", "second", "--skip-preflight", "history"]
            )
            #expect(await after.wait() == 0, "second job after the first: \(after.standardError)")
            #expect(try await first.histogram(of: "counter", label: label) == [.integer(2): Int64(Self.nodes)])
            let hold = try await Self.hold(server: server, label: label)
            let secondJob = try #require(try await second.job())
            #expect(hold?["holder"] == GraphJobNode.key(secondJob), "the last holder is the second job")
            #expect(hold?["until"] == .integer(0), "the second job gave the hold up when it ended")
            await Self.cleanUp(first, second, label: label)
        }
    }

    /// The first job's worker dies (SIGKILL) holding the items; its hold expires with its lease (3 s), and the other
    /// store's job, refused until then, takes the items over while the dead job is still unfinished in its store.
    @Test(arguments: ["arcadedb", "falkordb"])
    func theHoldOfADeadWorkerExpiresWithItsLeaseAndIsTakenOver(server name: String) async throws {
        try await PrivateGraphServer.withServerForKilledClients(name) { server in
            let label = BoltTestServer.uniqueLabel("Expired")
            guard let (first, second) = try await Self.harnesses(server: server, label: label) else { return }
            print("RAN theHoldOfADeadWorkerExpiresWithItsLeaseAndIsTakenOver on \(server)")
            let running = try await first.startMidJob(
                "1",
                ["--batch-size", "50", "--worker", "first", "--lease-seconds", "3"]
            )
            running.kill(SIGKILL)
            _ = await running.wait()
            let dead = try #require(try await first.job())

            var ran = false
            var refusals = 0
            let deadline = ContinuousClock.now + .seconds(120)
            while !ran, ContinuousClock.now < deadline {
                let run = try second.start("1", ["--batch-size", "50", "--worker", "second"])
                if await run.wait() == 0 {
                    ran = true
                } else {
                    refusals += 1
                    #expect(run.standardError.contains("held by job \(dead.id) ("), "said: \(run.standardError)")
                    try await Task.sleep(for: .milliseconds(500))
                }
            }
            print("second store's job ran on \(server.name) after \(refusals) refusals")
            #expect(ran, "the dead worker's hold never expired")
            #expect(try await first.job()?.state == .running, "the dead job is no longer unfinished in its store")
            // Items the dead job changed (its node's offset: batches it committed, recorded or not) show a 2.
            let deadDone = try await server.withConnection { connection in
                try await server.query(
                    connection,
                    "MATCH (j:SluiceJob {id: $id}) RETURN j.done AS done",
                    ["id": GraphJobNode.key(dead)]
                ).first?["done"]?.intValue ?? -1
            }
            let counters = try await first.histogram(of: "counter", label: label)
            var expected: [BoltValue: Int64] = [.integer(2): deadDone, .integer(1): Int64(Self.nodes) - deadDone]
            expected = expected.filter { $0.value > 0 }
            #expect(deadDone > 0 && counters == expected, "dead job's offset \(deadDone), counters \(counters)")
            await Self.cleanUp(first, second, label: label)
        }
    }

    /// An up the first store applied, run by a second store with the same file, is refused by the graph's own history
    /// (its `(:Migration)` node): the second store's history says pending, and running it would change every item a
    /// second time (before, the counters went to 2). `--skip-preflight history` lets it run all the same. The version
    /// is this test's own: other tests' `001` nodes change beside it.
    @Test func anUpAnotherStoreAppliedIsRefusedByTheGraphsHistory() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        let label = BoltTestServer.uniqueLabel("Twice")
        let file = "947_twice.cypher"
        guard
            let first = try await SluiceRunHarness.make(
                server: server,
                migration: Self.migration(label: label),
                file: file
            )
        else { return }
        guard
            let second = try await SluiceRunHarness.make(
                server: server,
                migration: Self.migration(label: label),
                file: file
            )
        else {
            await first.cleanUp(label: label)
            return
        }
        print("RAN anUpAnotherStoreAppliedIsRefusedByTheGraphsHistory on \(server)")
        try await server.withConnection { connection in
            _ = try await server.query(connection, "UNWIND range(1, 300) AS i CREATE (:\(label) {i: i, counter: 0})")
        }
        let applied = try first.start("947", ["--worker", "first"])
        #expect(await applied.wait() == 0, "first store: \(applied.standardError)")
        let refused = try second.start("947", ["--worker", "second"])
        #expect(await refused.wait() != 0)
        let said = refused.standardError.split(separator: "\n").filter { $0.hasPrefix("sluice: error:") }
        #expect(
            said.count == 1
                && said[0].contains("history: the graph's (:Migration) node records 947 as applied by first at ")
                && said[0].contains("(skip this check with --skip-preflight history)"),
            "\(refused.standardError)"
        )
        #expect(try await first.histogram(of: "counter", label: label) == [.integer(1): 300])
        let forced = try second.start("947", ["--worker", "second", "--skip-preflight", "history"])
        #expect(await forced.wait() == 0, "with the check skipped: \(forced.standardError)")
        #expect(try await first.histogram(of: "counter", label: label) == [.integer(2): 300])
        await Self.cleanUp(first, second, label: label)
        try await server.withConnection { connection in
            _ = try await server.query(connection, "MATCH (m:Migration {version: '947'}) DETACH DELETE m")
        }
    }

    /// A run stopped while the throttle waits between batches (Ctrl-C under a rate limit: 50 items, then half a
    /// second's wait) gives its hold up, as one stopped after a batch does: the other store's job need not wait for
    /// the hold to expire.
    @Test func aRunStoppedDuringAThrottleWaitGivesUpItsHold() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        let label = BoltTestServer.uniqueLabel("Paced")
        // Latency targets the tests' shared cores cannot miss: only the rate cap paces the run.
        let throttle = ["--max-rate", "100", "--target-p99", "2000", "--critical-p99", "10000"]
        guard let (first, second) = try await Self.harnesses(server: server, label: label, throttle: throttle) else {
            return
        }
        print("RAN aRunStoppedDuringAThrottleWaitGivesUpItsHold on \(server)")
        let running = try await first.startMidJob("1", ["--batch-size", "50", "--worker", "first"])
        running.kill(SIGINT)
        let status = await running.wait()
        let stopped = try #require(try await first.job())
        print("run stopped by SIGINT (exit \(status)) at \(stopped.planDone) of \(Self.nodes)")
        #expect(stopped.planDone < Int64(Self.nodes), "the run was not stopped mid-job")
        let hold = try await Self.hold(server: server, label: label)
        #expect(hold?["holder"] == GraphJobNode.key(stopped))
        #expect(hold?["until"] == .integer(0), "the stopped run kept its hold: \(running.standardError)")
        await Self.cleanUp(first, second, label: label)
    }

    /// Two harnesses (two job-store schemas) with the same migration on `label`, and its nodes created; the first
    /// paces its runs by `throttle`.
    static func harnesses(
        server: BoltTestServer,
        label: String,
        throttle: [String] = ["--no-throttle"]
    ) async throws -> (SluiceRunHarness, SluiceRunHarness)? {
        guard
            let first = try await SluiceRunHarness.make(
                server: server,
                migration: migration(label: label),
                throttle: throttle
            )
        else {
            return nil
        }
        guard let second = try await SluiceRunHarness.make(server: server, migration: migration(label: label)) else {
            await first.cleanUp(label: label)
            return nil
        }
        try await server.withConnection { connection in
            _ = try await server.query(
                connection,
                "UNWIND range(1, \(nodes)) AS i CREATE (:\(label) {i: i, counter: 0})"
            )
        }
        return (first, second)
    }

    /// The hold on `label`'s nodes: its holder and `until`.
    static func hold(server: BoltTestServer, label: String) async throws -> BoltRecord? {
        try await server.withConnection { connection in
            try await server.query(
                connection,
                "MATCH (g:SluiceGraph {key: $key}) RETURN g.holder AS holder, g.until AS until",
                ["key": .string("node:\(label)")]
            ).first
        }
    }

    static func cleanUp(_ first: SluiceRunHarness, _ second: SluiceRunHarness, label: String) async {
        try? await first.server.withConnection { connection in
            _ = try await first.server.query(
                connection,
                "MATCH (g:SluiceGraph {key: $key}) DELETE g",
                ["key": .string("node:\(label)")]
            )
        }
        await first.cleanUp(label: label)
        await second.cleanUp(label: label)
    }
}
