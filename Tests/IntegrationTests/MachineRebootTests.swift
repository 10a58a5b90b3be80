import Bolt
import Foundation
import JobStore
import Testing

/// The machine "reboots": the daemon, its Postgres (the outage cluster, so the suites running meanwhile keep theirs)
/// and its graph server (a private ArcadeDB) all SIGKILLed at once, mid-job, with one job running, one queued behind
/// it and one paused; then the services are started again and the daemon after them. Every job must end where it
/// would have without the reboot: the running and the queued one succeed, each node counted once by each, the
/// paused one stays paused until resumed.
@Suite(.serialized, .enabled(if: JobStoreTestDatabase.shouldRun()))
struct MachineRebootTests {
    @Test func everyJobEndsWhereItWouldHaveAfterEverythingIsKilledAtOnce() async throws {
        let cluster = PostgresTestCluster.outage
        guard let start = cluster.servicesCommand("start"), let dataFolder = Self.dataFolder(of: cluster) else {
            return cluster.reportUncontrollable(skipping: "everyJobEndsWhereItWouldHave")
        }
        guard let graph = try await PrivateGraphServer.start(.arcadedb) else { return }
        print("RAN everyJobEndsWhereItWouldHave on \(graph.server) and \(cluster)")
        var migrations: [String: String] = [:]
        for step in 1...3 {
            migrations[DaemonFixture.migrationFile(step: step)] = DaemonFixture.countingMigration(step: step)
        }
        do {
            try await DaemonFixture.with(server: graph.server, cluster: cluster, migrations: migrations, nodes: 10_000)
            {
                try await Self.reboot($0, graph: graph, postgresData: dataFolder, startPostgres: start)
            }
        } catch {
            print("---- private arcadedb log ----\n\(graph.log.suffix(3_000))\n---- end ----")
            await graph.stop()
            throw error
        }
        await graph.stop()
    }

    private static func reboot(
        _ fixture: DaemonFixture,
        graph: PrivateGraphServer,
        postgresData: URL,
        startPostgres: String
    ) async throws {
        let environment = ["SLUICE_THROTTLE_MAX_ITEMS_PER_SECOND": "2000"]
        let daemon = try fixture.start(worker: "reboot", environment: environment)
        defer { daemon.kill(SIGKILL) }
        let running = try await fixture.enqueue(1, batchSize: 200)
        let queued = try await fixture.enqueue(2, batchSize: 200)
        let held = try await fixture.enqueue(3, batchSize: 200)
        _ = try await fixture.store.pause(held.id, by: "test")
        _ = try await fixture.waitFor(running.id, timeout: .seconds(120), "running") { $0.planDone >= 1_000 }

        // Everything at once, as a power cut: the daemon, every Postgres process, the graph server.
        let postgres = try Self.postgresProcesses(data: postgresData)
        #expect(!postgres.isEmpty, "no Postgres processes found for \(postgresData.path)")
        daemon.kill(SIGKILL)
        for pid in postgres { kill(pid, SIGKILL) }
        let killedGraph = graph.pid
        kill(killedGraph, SIGKILL)
        _ = await daemon.wait()
        await graph.kill()
        let gone = try await eventually(timeout: .seconds(30)) { postgres.allSatisfy { kill($0, 0) != 0 } }
        #expect(gone, "Postgres processes outlived SIGKILL")
        print("reboot: SIGKILLed the daemon, \(postgres.count) Postgres processes and ArcadeDB (pid \(killedGraph))")

        // The services come back (Postgres recovers from its log, ArcadeDB replays its own), then the daemon.
        let (started, output) = try await JobStoreTestDatabase.shell(startPostgres)
        #expect(started == 0, "starting Postgres again failed: \(output)")
        try await graph.restart()
        let again = try fixture.start(worker: "reboot", environment: environment)
        defer { again.kill(SIGKILL) }

        let first = try await fixture.waitFor(running.id, timeout: .seconds(300), "finished") { $0.state.isFinished }
        let second = try await fixture.waitFor(queued.id, timeout: .seconds(300), "finished") { $0.state.isFinished }
        #expect(first.job.state == .succeeded, "\(first.job.state): \(first.job.lastError ?? "")")
        #expect(second.job.state == .succeeded, "\(second.job.state): \(second.job.lastError ?? "")")
        let stillHeld = try #require(try await fixture.store.job(held.id))
        #expect(stillHeld.state == .paused, "the paused job is \(stillHeld.state)")
        var counts = try await fixture.counts()
        #expect(counts.count == 1 && counts.first?["count"] == 2, "counts: \(counts.map(\.values))")
        #expect(counts.first?["steps"] == "1;2;")

        // Resumed, the held job runs as it would have.
        _ = try await fixture.store.resume(held.id, by: "test")
        let third = try await fixture.waitFor(held.id, timeout: .seconds(300), "finished") { $0.state.isFinished }
        #expect(third.job.state == .succeeded, "\(third.job.state): \(third.job.lastError ?? "")")
        counts = try await fixture.counts()
        #expect(counts.count == 1 && counts.first?["count"] == 3, "counts: \(counts.map(\.values))")
        #expect(counts.first?["steps"] == "1;2;3;")
        #expect(counts.first?["nodes"] == 10_000)
        print(
            "after the reboot: running job \(first.job.state) in \(Int(first.after.milliseconds)) ms, queued job "
                + "\(second.job.state), paused job \(stillHeld.state) until resumed, then \(third.job.state)"
        )
        let (status, _) = await DaemonFixture.stop(again)
        #expect(status == 0)
        if status != 0 || second.job.state != .succeeded { DaemonFixture.dump(again, "daemon after the reboot") }
    }

    /// The cluster's data folder (`.services/pg-outage/data`), when `scripts/services` runs it.
    static func dataFolder(of cluster: PostgresTestCluster) -> URL? {
        guard let host = cluster.host else { return nil }
        let data = URL(fileURLWithPath: host).appendingPathComponent("data")
        return FileManager.default.fileExists(atPath: data.appendingPathComponent("postmaster.pid").path) ? data : nil
    }

    /// The postmaster of the cluster in `data` (the first line of its `postmaster.pid`) and its children.
    static func postgresProcesses(data: URL) throws -> [pid_t] {
        let pidFile = try String(contentsOf: data.appendingPathComponent("postmaster.pid"), encoding: .utf8)
        guard let first = pidFile.split(separator: "\n").first, let postmaster = pid_t(first) else { return [] }
        let children = try FileManager.default.contentsOfDirectory(atPath: "/proc").compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            // After "pid (comm) state ppid": the parent is the second field after the command's closing parenthesis.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == postmaster ? pid : nil
        }
        return [postmaster] + children
    }
}
