import Bolt
import Foundation
import JobStore
import Testing

/// `sluice run` while a daemon is idle on the same job store and graph. The run's job is inserted already leased to
/// the run, so the daemon, woken by any change and claiming within milliseconds, never takes it. Before, the run
/// enqueued its job and claimed it in a second step: the daemon claimed it in between, and the run gave up ("cannot
/// be claimed now ... cancelled") while the daemon ran the job, or failed it when the migration was not in its
/// folder.
@Suite struct RunCommandBesideDaemonTests {
    static let nodes = 300

    @Test(arguments: ["arcadedb", "falkordb"])
    func aRunBesideAnIdleDaemonRunsItsOwnJobAndTheDaemonNeverClaimsIt(server name: String) async throws {
        guard let server = try BoltTestServer.named(name) else { return }
        try await DaemonFixture.with(
            server: server,
            migrations: [
                DaemonFixture.migrationFile(step: 1): DaemonFixture.countingMigration(step: 1),
                DaemonFixture.migrationFile(step: 2): DaemonFixture.countingMigration(step: 2),
            ],
            nodes: Self.nodes
        ) { fixture in
            print("RAN aRunBesideAnIdleDaemonRunsItsOwnJobAndTheDaemonNeverClaimsIt on \(server)")
            let daemon = try fixture.start(worker: "idle")
            // The daemon claims on this store and graph: it runs a job enqueued for it, and is idle after.
            let first = try await fixture.enqueue(1, batchSize: 100)
            let (served, _) = try await fixture.waitFor(first.id, timeout: .seconds(180), "ended") {
                $0.state.isFinished
            }
            #expect(served.state == .succeeded, "\(served.state): \(served.lastError ?? "")")

            // Step 3 is in the run's folder only: a daemon that took its job could not run it.
            let own = fixture.folder.appendingPathComponent("run-only")
            try FileManager.default.createDirectory(at: own, withIntermediateDirectories: true)
            try DaemonFixture.countingMigration(step: 3).replacingOccurrences(of: "LABEL", with: fixture.label).write(
                to: own.appendingPathComponent(DaemonFixture.migrationFile(step: 3)),
                atomically: true,
                encoding: .utf8
            )
            var environment = fixture.cluster.libpqEnvironment
            environment["PATH"] = "/usr/bin:/bin"
            if case .basic(_, let password) = server.auth { environment["SLUICE_BOLT_PASSWORD"] = password }
            let configuration = try fixture.configuration(worker: "foreground")
            let worker = "host/foreground-run"
            for (version, folder) in [("2", fixture.folder), ("3", own)] {
                let run = try await ProcessRun.run(
                    CypherCommandTests.executable,
                    [
                        "run", version, "--config", configuration.path, "--migrations", folder.path,
                        "--no-throttle", "--batch-size", "100", "--worker", worker,
                    ],
                    environment: environment
                )
                #expect(run.status == 0, "sluice run \(version) exited \(run.status): \(run.errors)")
            }

            let jobs = try await fixture.store.jobs(states: nil, limit: 100).filter { $0.id != first.id }
            #expect(Set(jobs.map(\.migrationVersion)) == ["002", "003"], "\(jobs.map(\.migrationVersion))")
            for job in jobs {
                #expect(job.state == .succeeded, "job \(job.id) \(job.state): \(job.lastError ?? "")")
                // Leased once, to the run, from its insert on: the daemon never held it.
                let events = try await fixture.store.events(of: job.id)
                let owners = events.filter { $0.kind == .lease }.compactMap(\.newValue)
                #expect(owners.allSatisfy { $0 == worker } && owners.first == worker, "job \(job.id): \(owners)")
                #expect(!events.contains { $0.actor == "idle" }, "the daemon acted on job \(job.id)")
                // Who ran it, as `sluice enqueue` names them, and that it was a foreground run.
                #expect(
                    job.enqueuedBy.hasSuffix("@\(Self.host) (sluice run)") && !job.enqueuedBy.hasPrefix("@"),
                    "enqueued by \(job.enqueuedBy)"
                )
            }
            let counts = try await fixture.counts()
            #expect(counts.count == 1 && counts.first?["steps"] == .string("1;2;3;"), "\(counts.map(\.values))")
            #expect(counts.first?["count"] == 3 && counts.first?["nodes"] == .integer(Int64(Self.nodes)))

            let (status, _) = await DaemonFixture.stop(daemon)
            #expect(status == 0)
            #expect(!daemon.standardError.contains("job failed"), "the daemon failed a job")
            if status != 0 || jobs.contains(where: { $0.state != .succeeded }) { DaemonFixture.dump(daemon, "daemon") }
        }
    }

    /// A run stopped part-way (SIGINT) leaves its job to the run: the idle daemon beside it, woken by the release,
    /// does not take it up (before, it claimed the job within a second and went on, or failed it for a file not in its
    /// folder), `status` says which command goes on with it, and running that command again finishes it, every node
    /// once, the daemon never its holder.
    @Test func aRunStoppedPartWayIsLeftForTheRunNotTakenUpByTheDaemon() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        try await DaemonFixture.with(server: server, migrations: DaemonFixture.firstStep, nodes: 3_000) { fixture in
            print("RAN aRunStoppedPartWayIsLeftForTheRunNotTakenUpByTheDaemon on \(server)")
            let daemon = try fixture.start(worker: "idle")
            defer { daemon.kill(SIGKILL) }
            var environment = fixture.cluster.libpqEnvironment
            environment["PATH"] = "/usr/bin:/bin"
            if case .basic(_, let password) = server.auth { environment["SLUICE_BOLT_PASSWORD"] = password }
            let configuration = try fixture.configuration(worker: "foreground")
            let arguments = [
                "run", "1", "--config", configuration.path, "--batch-size", "100", "--max-rate", "500",
                // Latency bounds no loaded machine reaches: only the rate paces the run (under CI's load the probe's
                // p99 passed the default critical 250 ms and paused it).
                "--target-p99", "30000", "--critical-p99", "60000",
                "--worker", "host/foreground-run",
            ]
            let run = try await fixture.startedRun(arguments, environment: environment, pastItems: 500)
            defer { run.kill(SIGKILL) }
            run.kill(SIGINT)
            #expect(await run.wait() != 0)
            let job = try #require(try await fixture.store.jobs().first)
            // The daemon polls every second and hears the release's NOTIFY: 4 s is plenty to claim it, if it would.
            try await Task.sleep(for: .seconds(4))
            let left = try #require(try await fixture.store.job(job.id))
            #expect(left.state == .running && left.leaseExpiresAt == nil, "\(left.state) \(left.leaseOwner ?? "-")")
            #expect(left.planDone < 3_000, "the job went on after the run stopped: \(left.planDone)")
            let status = try await fixture.status(job.id)
            #expect(
                status.output.contains("`sluice run 001` started it, and goes on with it when run again"),
                "\(status.output)"
            )

            let again = try await ProcessRun.run(CypherCommandTests.executable, arguments, environment: environment)
            #expect(again.status == 0, "run again: \(again.errors)")
            try await fixture.expectEveryNodeChangedOnce(3_000)
            let events = try await fixture.store.events(of: job.id)
            let owners = Set(events.filter { $0.kind == .lease }.compactMap(\.newValue))
            #expect(owners == ["host/foreground-run"], "\(owners)")
            let (stopped, _) = await DaemonFixture.stop(daemon)
            #expect(stopped == 0)
            if owners != ["host/foreground-run"] { DaemonFixture.dump(daemon, "daemon") }
        }
    }

    /// The short host name, as the operator's name carries it.
    static var host: String {
        ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
    }
}
