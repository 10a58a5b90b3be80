import Bolt
import Engine
import Foundation
import JobStore
import Testing

/// The daemon SIGKILLed again and again mid-job, restarted each time with its worker identity (as systemd's
/// `Restart=` does), then left to finish: a change wrong if applied twice (`count + 1`) must have reached every node
/// exactly once.
///
/// Kills land at random moments: a few while the job plans, the others once it passed a random offset plus a random
/// delay, so in a batch, between batches, or between the graph's commit and the Postgres checkpoint. After each kill
/// the test reads the graph-side job node: ahead of Postgres means the kill fell between the two. The issue's crash
/// storm (1,000,000 nodes, 20 kills) runs through `scripts/reliability`, which sets `SLUICE_STORM_NODES`,
/// `SLUICE_STORM_KILLS`, `SLUICE_STORM_BATCH` and `SLUICE_STORM_RATE`; the default is a short variant for the suite.
@Suite(.serialized, .enabled(if: JobStoreTestDatabase.shouldRun()))
struct DaemonCrashStormTests {
    static let environment = ProcessInfo.processInfo.environment
    static let nodes = environment["SLUICE_STORM_NODES"].flatMap { Int($0) } ?? 10_000
    static let kills = environment["SLUICE_STORM_KILLS"].flatMap { Int($0) } ?? 6
    static let batch = environment["SLUICE_STORM_BATCH"].flatMap { Int($0) } ?? 200
    /// Items per second (0: no cap); the short variant's cap keeps its job running while the kills land.
    static let rate = environment["SLUICE_STORM_RATE"].flatMap { Int($0) } ?? 2_000
    /// The servers to run on (`SLUICE_STORM_SERVERS=falkordb` for the long run on one of them).
    static let servers =
        environment["SLUICE_STORM_SERVERS"].map { $0.split(separator: ",").map(String.init) }
        ?? ["arcadedb", "falkordb"]

    /// Where a kill fell, as the job store and the graph-side job node show it afterwards.
    enum Moment: String, CaseIterable {
        case planning = "before the plan was complete (connecting, claiming, planning)"
        case betweenCommitAndCheckpoint = "between graph commit and checkpoint"
        case elsewhere = "in or between batches"
    }

    /// On FalkorDB a private server: a daemon killed mid-query can crash it (``PrivateGraphServer/falkorCrash``).
    @Test(arguments: servers)
    func daemonKilledAtRandomMomentsChangesEveryNodeExactlyOnce(server name: String) async throws {
        try await PrivateGraphServer.withServerForKilledClients(name) { server in
            print("RAN daemonKilledAtRandomMoments on \(server): \(Self.nodes) nodes, \(Self.kills) kills")
            let migration = DaemonFixture.countingMigration(step: 1)
            try await DaemonFixture.with(
                server: server,
                migrations: [DaemonFixture.migrationFile(step: 1): migration],
                nodes: Self.nodes
            ) { fixture in
                try await Self.storm(fixture)
            }
        }
    }

    private static func storm(_ fixture: DaemonFixture) async throws {
        let started = ContinuousClock.now
        let environment = rate > 0 ? ["SLUICE_THROTTLE_MAX_ITEMS_PER_SECOND": "\(rate)"] : [:]
        let job = try await fixture.enqueue(1, batchSize: batch)
        let early = max(1, kills / 5)
        let offsets = (0..<(kills - early)).map { _ in Int64.random(in: 1..<Int64(max(2, nodes - 2 * batch))) }.sorted()
        var landed: [(offset: Int64, moment: Moment)] = []
        for kill in 0..<kills {
            let daemon = try fixture.start(worker: "storm", environment: environment)
            if kill < early {
                // Connecting, claiming, planning: a random moment of the daemon's first seconds.
                try await Task.sleep(for: .milliseconds(Int.random(in: 300...2_500)))
            } else {
                let target = offsets[kill - early]
                _ = try await eventually(timeout: .seconds(900)) {
                    guard daemon.process.isRunning else { return true }
                    let current = try #require(try await fixture.store.job(job.id))
                    return current.planDone >= target || current.state.isFinished
                }
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...400)))
            }
            guard daemon.process.isRunning else {
                DaemonFixture.dump(daemon, "storm daemon \(kill)")
                Issue.record("daemon \(kill) exited by itself before its kill")
                continue
            }
            daemon.kill(SIGKILL)
            _ = await daemon.wait()
            let after = try #require(try await fixture.store.job(job.id))
            if after.state.isFinished { break }
            landed.append((after.planDone, try await moment(of: after, fixture: fixture)))
        }
        let byMoment = Moment.allCases.map { moment in
            "\(landed.filter { $0.moment == moment }.count) \(moment.rawValue)"
        }
        print(
            "daemon SIGKILLed \(landed.count) times on \(fixture.server.name) at plan offsets "
                + "\(landed.map(\.offset)): \(byMoment.joined(separator: ", "))"
        )
        #expect(landed.count >= kills - 1, "too few kills landed while the job ran")

        let daemon = try fixture.start(worker: "storm", environment: environment)
        let (done, _) = try await fixture.waitFor(job.id, timeout: .seconds(1_800), "finished") { $0.state.isFinished }
        #expect(done.state == .succeeded, "\(done.state): \(done.lastError ?? "")")
        #expect(done.planDone == Int64(nodes))
        try await fixture.expectEveryNodeChangedOnce(nodes)
        print(
            "crash storm on \(fixture.server.name): \(nodes) nodes, \(landed.count) kills, job \(done.state), "
                + "\(Int((ContinuousClock.now - started).milliseconds) / 1000) s in all"
        )
        // The job may have finished before this daemon began: a SIGTERM before it traps the signal ends it with 15.
        _ = try await eventually(timeout: .seconds(60)) {
            !daemon.process.isRunning || daemon.standardError.contains("sluice daemon started")
        }
        let (status, _) = await DaemonFixture.stop(daemon)
        #expect(status == 0)
        if status != 0 || done.state != .succeeded { DaemonFixture.dump(daemon, "final daemon") }
    }

    /// Where the kill fell: before the plan was complete, after the graph committed a batch Postgres has not
    /// recorded, or elsewhere.
    private static func moment(of job: Job, fixture: DaemonFixture) async throws -> Moment {
        guard job.planTotal != nil, job.state != .planning else { return .planning }
        let node = try await fixture.server.withDatabase(nil) { connection, options in
            try await connection.run(
                GraphJobNode.read,
                // Only the node's offset matters here, not the hold (no key of one).
                parameters: ["sluice_job": GraphJobNode.key(job), "sluice_graph": ""],
                options: options
            )
            .collect().first
        }
        if let done = node?["done"]?.intValue, done > job.planDone { return .betweenCommitAndCheckpoint }
        return .elsewhere
    }
}
