import Bolt
import Foundation
import Testing

/// `sluice run` killed with SIGKILL at random points, again and again, then run to the end: a change
/// that is wrong if applied twice (`counter + 1`) must have reached every node exactly once.
///
/// Issue 5 asks for 200,000 nodes and at least ten kills: `SLUICE_CRASH_NODES=200000` runs that size
/// (about 1 minute on ArcadeDB and 2.5 on FalkorDB on a loaded 2-core machine); the default, 50,000,
/// keeps the suite's time reasonable with the same twelve kills (`SLUICE_CRASH_KILLS`).
@Suite struct RunCommandCrashTests {
    static let environment = ProcessInfo.processInfo.environment
    static let nodes = environment["SLUICE_CRASH_NODES"].flatMap { Int($0) } ?? 50_000
    static let kills = environment["SLUICE_CRASH_KILLS"].flatMap { Int($0) } ?? 12
    /// Items per second a run never exceeds: 50,000 items take at least 10 s in all, so kills at random offsets
    /// land while a batch is in flight.
    static let rate = environment["SLUICE_CRASH_RATE"].flatMap { Int($0) } ?? 5_000

    static func migration(label: String) -> String {
        """
        // sluice:description Adds one to every \(label)'s counter: wrong if applied twice.

        // sluice:up data
        MATCH (n:\(label))
        WHERE n.counter IS NOT NULL
        SET n.counter = n.counter + 1

        // sluice:up verify
        MATCH (n:\(label)) WHERE n.counter <> 1 RETURN count(n) = 0 AS ok

        // sluice:down data
        MATCH (n:\(label))
        WHERE n.counter IS NOT NULL
        SET n.counter = n.counter - 1

        // sluice:down verify
        MATCH (n:\(label)) WHERE n.counter <> 0 RETURN count(n) = 0 AS ok

        """
    }

    /// On FalkorDB a private server: a client killed mid-query can crash it (``PrivateGraphServer/falkorCrash``).
    @Test(arguments: BoltTestServer.names)
    func killedRunsResumeAndApplyEveryItemExactlyOnce(server name: String) async throws {
        try await PrivateGraphServer.withServerForKilledClients(name) { server in
            try await Self.killRunsAndResume(on: server)
        }
    }

    private static func killRunsAndResume(on server: BoltTestServer) async throws {
        let label = BoltTestServer.uniqueLabel("Counted")
        // A rate cap keeps each run going long enough for its kill to land: uncapped, FalkorDB ran the 50,000
        // items in batches of 200 before the test, its threads starved on a loaded 2-core machine, saw the offset
        // it waited for (six kills of twelve in a CI run, the others after the last batch). The latency targets
        // are out of reach so the throttle never pauses; only the cap acts.
        guard
            let harness = try await SluiceRunHarness.make(
                server: server,
                migration: migration(label: label),
                throttle: ["--max-rate", "\(Self.rate)", "--target-p99", "30000", "--critical-p99", "60000"]
            )
        else { return }
        print("RAN killedRunsResumeAndApplyEveryItemExactlyOnce on \(server): \(Self.nodes) nodes")
        let started = ContinuousClock.now
        try await server.withConnection { connection in
            _ = try await server.query(
                connection,
                "UNWIND range(1, \(Self.nodes)) AS i CREATE (:\(label) {i: i, counter: 0})"
            )
        }

        // Where to kill: a few runs at a random moment of their start (connecting, probing, planning),
        // the rest once the job passed a random offset, plus a random delay that lands anywhere in a
        // batch: before its commit, between the graph's commit and the Postgres checkpoint, after both.
        let early = max(2, Self.kills / 5)
        // Offsets end two batches before the plan's end, so the job is still running when one is passed. Small
        // batches make a run last long enough for kills to land (50,000 items in batches of 5,000 ran in 0.6 s on
        // ArcadeDB, before the first kill).
        let batch = 200
        let offsets = (0..<(Self.kills - early)).map { _ in Int64.random(in: 1..<Int64(max(2, Self.nodes - 2 * batch)))
        }
        .sorted()
        var killedAt: [String] = []
        var finished = false
        for kill in 0..<Self.kills where !finished {
            let child = try harness.start("1", ["--batch-size", "\(batch)"])
            if kill < early {
                try await Task.sleep(for: .milliseconds(Int.random(in: 100...1500)))
            } else {
                let target = offsets[kill - early]
                _ = try await eventually(timeout: .seconds(600)) {
                    guard child.process.isRunning else { return true }
                    return (try await harness.job()?.planDone ?? 0) >= target
                }
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...400)))
            }
            guard child.process.isRunning else {
                let status = await child.wait()
                finished = status == 0
                print("run \(kill) ended by itself (status \(status)) before its kill: \(child.standardError)")
                continue
            }
            child.kill(SIGKILL)
            _ = await child.wait()
            killedAt.append("\(try await harness.job()?.planDone ?? -1)")
        }
        print("sluice run on \(server.name): SIGKILLed \(killedAt.count) times, at plan offsets \(killedAt)")
        #expect(killedAt.count >= min(10, Self.kills), "too few kills landed while the job ran")

        // Run to the end; a failed run (Postgres restarted by another test, say) is one more interruption.
        for _ in 0..<5 where !finished {
            let child = try harness.start("1", ["--batch-size", "\(batch)"])
            let status = await child.wait()
            finished = status == 0
            if !finished { print("sluice run exited with \(status): \(child.standardError); running it again") }
        }
        #expect(finished, "the job did not finish")

        // Started again after success (a kill can land after the job finished): nothing is applied twice.
        let again = try harness.start("1", ["--batch-size", "\(batch)"])
        #expect(await again.wait() == 0)
        #expect(again.standardOutput.contains("already applied"), "second run said: \(again.standardOutput)")

        let counters = try await harness.histogram(of: "counter", label: label)
        #expect(counters == [.integer(1): Int64(Self.nodes)], "counters: \(counters)")
        // Kills between a batch's graph commit and its checkpoint lose no count: the node counted it.
        #expect(try await harness.job()?.itemsChanged == Int64(Self.nodes))
        print(
            "killedRunsResume on \(server.name): \(Self.nodes) nodes, \(killedAt.count) kills, "
                + "\(ContinuousClock.now - started) in all"
        )
        await harness.cleanUp(label: label)
    }
}
