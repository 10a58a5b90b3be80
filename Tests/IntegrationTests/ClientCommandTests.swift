import Foundation
import JobStore
import Testing

/// The client commands (`enqueue`, `status`, `jobs`, `pause`, `resume`, `cancel`, `throttle`, `history`) as an
/// operator runs them: the built executable against the real Postgres, no daemon. A worker's side (claims, plans,
/// checkpoints, finishing) is played through the JobStore API, as the daemon would.
///
/// In the serialized JobStore suite: one of its tests restarts Postgres.
extension JobStoreIntegrationTests {
    /// A schema, a folder with three migrations, and a made-up graph (never contacted: the commands only queue).
    struct ClientFixture {
        let schema: String
        let folder: URL
        let url: String
        let store: JobStore

        static func make() async throws -> ClientFixture {
            try JobStoreTestDatabase.requireConfigured()
            let schema = JobStoreTestDatabase.uniqueSchema()
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-client-\(schema)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (version, name) in [("001", "first"), ("002", "second"), ("003", "third")] {
                try Self.migration(name).write(
                    to: folder.appendingPathComponent("\(version)_\(name).cypher"),
                    atomically: true,
                    encoding: .utf8
                )
            }
            let store = try await JobStore.open(JobStoreTestDatabase.configuration(schema: schema))
            return ClientFixture(schema: schema, folder: folder, url: "bolt://graph-\(schema).test:7687", store: store)
        }

        static func migration(_ name: String) -> String {
            """
            // sluice:description Marks every Item as \(name).

            // sluice:up data
            MATCH (n:Item)
            WHERE n.\(name) IS NULL
            SET n.\(name) = true

            // sluice:up verify
            MATCH (n:Item) WHERE n.\(name) IS NULL RETURN count(n) = 0 AS ok

            // sluice:down data
            MATCH (n:Item)
            WHERE n.\(name) IS NOT NULL
            REMOVE n.\(name)

            // sluice:down verify
            MATCH (n:Item) WHERE n.\(name) IS NOT NULL RETURN count(n) = 0 AS ok

            """
        }

        var target: JobTarget { JobTarget(url: url) }

        func close() async {
            await store.close()
            await JobStoreTestDatabase.dropSchema(schema)
            try? FileManager.default.removeItem(at: folder)
        }

        /// The environment the commands see: Postgres from the test's PG* variables, the schema, the folder and
        /// the graph through `SLUICE_*`, nothing else.
        var environment: [String: String] {
            var environment = ["PATH": "/usr/bin:/bin", "SLUICE_MIGRATIONS": folder.path, "SLUICE_BOLT_URL": url]
            for key in ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD", "USER"] {
                environment[key] = JobStoreTestDatabase.environment[key]
            }
            return environment
        }

        struct Run {
            var status: Int32
            var output: String
            var errors: String

            /// A failure as the project wants it: non-zero, one line `sluice: error: ...` containing `fragment`.
            func isOneLineError(containing fragment: String) -> Bool {
                status != 0 && errors.hasPrefix("sluice: error: ") && errors.filter { $0 == "\n" }.count == 1
                    && errors.contains(fragment) && output.isEmpty
            }
        }

        /// Runs `sluice ARGUMENTS --schema SCHEMA`.
        func sluice(_ arguments: String...) async throws -> Run {
            try await sluice(arguments)
        }

        func sluice(_ arguments: [String]) async throws -> Run {
            try await run(arguments + ["--schema", schema], environment: environment)
        }

        /// Runs `sluice ARGUMENTS` as given, in `environment` alone.
        func run(_ arguments: [String], environment: [String: String]) async throws -> Run {
            let child = try start(arguments, environment: environment)
            let status = await child.wait()
            return Run(status: status, output: child.standardOutput, errors: child.standardError)
        }

        func start(_ arguments: [String]) throws -> JobStoreTestDatabase.Child {
            try start(arguments + ["--schema", schema], environment: environment)
        }

        func start(_ arguments: [String], environment: [String: String]) throws -> JobStoreTestDatabase.Child {
            let executable = try #require(JobStoreIntegrationTests.sluiceExecutable(), "build sluice first")
            return try JobStoreTestDatabase.Child(executable, arguments, environment: environment)
        }

        /// Parses `--json` output into an object.
        func object(_ run: Run) throws -> [String: Any] {
            #expect(run.status == 0, "\(run.errors)")
            let value = try JSONSerialization.jsonObject(with: Data(run.output.utf8))
            return try #require(value as? [String: Any], "not a JSON object: \(run.output)")
        }

        /// Migration 001 enqueued, claimed by `daemon-1`, 40 of its 100 items done, then paused by an operator: the
        /// lease still held, as when the worker has not honoured the pause yet (release it to honour it).
        func pausedMidJob() async throws -> JobLease {
            let run = try await sluice("enqueue", "1")
            #expect(run.status == 0, "\(run.errors)")
            let lease = try #require(try await claim())
            try await store.storePlan(lease, entries: Array(1...100))
            _ = try await store.checkpoint(lease, JobCheckpoint(from: 0, to: 40, itemsChanged: 40))
            _ = try await store.pause(lease.jobID, by: "test")
            return lease
        }

        /// A live daemon of worker identity `worker` serving this fixture's graph, as it announces itself in `workers`.
        func announceDaemon(_ worker: String) async throws {
            _ = try await store.announce(
                WorkerInstance(worker: WorkerIdentity(rawValue: worker)),
                serving: url,
                version: "0.1.0",
                aliveFor: .seconds(60),
                takingOver: true
            )
        }

        /// Claims the next job as worker `worker` (what a daemon does).
        func claim(_ worker: String = "daemon-1") async throws -> JobLease? {
            try await store.claim(worker: WorkerIdentity(rawValue: worker), leaseDuration: .seconds(60))
        }
    }

    /// Every key of the job object, as the README documents it: a script may rely on each one being present.
    static let jobKeys: Set<String> = [
        "id", "migration", "direction", "dryRun", "target", "state", "cancelRequested", "priority", "notBefore",
        "after", "progress", "batchSize", "throttle", "worker", "lastError", "enqueuedBy", "createdAt", "startedAt",
        "finishedAt", "updatedAt",
    ]
    static let progressKeys: Set<String> = [
        "done", "total", "percent", "itemsChanged", "itemsSkipped", "itemsQuarantined", "batches", "lateArrivals",
        "rate", "etaSeconds",
    ]

    /// `cancel` of a paused job that changed items, while a daemon serves its graph: a request that daemon ends (in
    /// the graph too), and the output says so rather than "cancelled".
    @Test func cancellingAPausedJobADaemonServesSaysTheDaemonEndsIt() async throws {
        let fixture = try await ClientFixture.make()
        defer { Task { await fixture.close() } }
        let lease = try await fixture.pausedMidJob()
        try await fixture.store.release(lease)
        try await fixture.announceDaemon("daemon-2")
        let run = try await fixture.sluice("cancel", "\(lease.jobID)")
        #expect(
            run.status == 0
                && run.output.hasPrefix(
                    "job 1 (001 first up): cancel requested; the daemon serving \(fixture.url) ends the job and "
                        + "records it in the graph too (`sluice status 1` shows when); the 40 items done stay changed"
                ),
            "\(run.output)\(run.errors)"
        )
        #expect(try await fixture.store.job(lease.jobID)?.state == .paused)
    }

    /// A pause its worker has not honoured yet (it reads it with a checkpoint, while its next batch runs) is shown as
    /// asked, with the batch still to commit: an operator braking in an incident read "paused" while writes went on.
    /// Once the worker lets the job go, it is paused.
    @Test func aPauseTheWorkerHasNotHonouredYetSaysABatchStillCommits() async throws {
        let fixture = try await ClientFixture.make()
        defer { Task { await fixture.close() } }
        let lease = try await fixture.pausedMidJob()
        let asked = try await fixture.sluice("status", "\(lease.jobID)")
        #expect(
            asked.output.contains("paused (asked: daemon-1 still commits its batch in flight, then lets"),
            "\(asked.output)\(asked.errors)"
        )
        try await fixture.store.release(lease)
        let honoured = try await fixture.sluice("status", "\(lease.jobID)")
        #expect(
            honoured.output.contains("paused (keeps its graph until resumed or cancelled)"),
            "\(honoured.output)\(honoured.errors)"
        )
    }

    /// No --batch-size and no batch_size in the file: a job asks for the configuration's [engine] batch_size, the
    /// size a daemon would choose, not a fixed 10,000 that made the setting count for nothing.
    @Test func aJobsBatchSizeDefaultsToTheConfiguredOne() async throws {
        let fixture = try await ClientFixture.make()
        defer { Task { await fixture.close() } }
        var configured = fixture.environment
        configured["SLUICE_ENGINE_BATCH_SIZE"] = "1234"
        let run = try await fixture.run(
            ["enqueue", "1", "--json", "--schema", fixture.schema],
            environment: configured
        )
        let job = try #require((try fixture.object(run)["jobs"] as? [[String: Any]])?.first, "\(run.errors)")
        #expect((job["batchSize"] as? [String: Any])?["requested"] as? Int == 1_234, "\(run.output)")
    }

    @Test func enqueueStatusJobsAndControlFollowAJobThroughItsLife() async throws {
        let fixture = try await ClientFixture.make()
        defer { Task { await fixture.close() } }

        // enqueue: a line with the id, at once, no daemon; a warning that none runs.
        var run = try await fixture.sluice("enqueue", "1")
        #expect(run.status == 0, "\(run.errors)")
        #expect(run.output.hasPrefix("queued job 1: 001 first up on \(fixture.url)\n"), "\(run.output)")
        #expect(
            run.errors
                == "warning: no daemon runs for this job store now: queued anyway, the job waits until one does\n",
            "\(run.errors)"
        )

        // enqueue --json, every option: the values come back as given.
        run = try await fixture.sluice(
            "enqueue",
            "002",
            "--json",
            "--batch-size",
            "250",
            "--priority=-5",
            "--not-before",
            "2030-01-02 03:04 Europe/Berlin",
            "--skip-preflight",
            "max_items"
        )
        let enqueued = try #require((try fixture.object(run)["jobs"] as? [[String: Any]])?.first)
        #expect(Set(enqueued.keys) == Self.jobKeys)
        #expect((enqueued["migration"] as? [String: Any])?["version"] as? String == "002")
        #expect((enqueued["batchSize"] as? [String: Any])?["requested"] as? Int == 250)
        #expect(enqueued["priority"] as? Int == -5 && enqueued["state"] as? String == "queued")
        #expect(enqueued["notBefore"] as? String == "2030-01-02T02:04:00Z")
        #expect((enqueued["target"] as? [String: Any])?["url"] as? String == fixture.url)
        #expect(enqueued["after"] is NSNull && enqueued["lastError"] is NSNull)
        let second = JobID(rawValue: Int64(try #require(enqueued["id"] as? Int)))
        // The skipped check goes with the job, for the daemon's pre-flight.
        let options = try #require(try await fixture.store.job(second)).options.text
        #expect(options.filter { $0 != " " }.contains(#""skip_preflight":["max_items"]"#), "\(options)")
        run = try await fixture.sluice("enqueue", "3", "--skip-preflight", "max-items")
        #expect(run.isOneLineError(containing: "unknown pre-flight check 'max-items'"), "\(run.errors)")

        // A second unfinished job of one migration on one graph is refused, naming the first; a dry run is not.
        run = try await fixture.sluice("enqueue", "1")
        #expect(run.isOneLineError(containing: "migration 001 already has job 1 (queued)"), "\(run.errors)")
        run = try await fixture.sluice("enqueue", "1", "--dry-run")
        #expect(run.status == 0 && run.output.contains("001 first up (dry run)"), "\(run.errors)")
        let dryRun = JobID(rawValue: 3)

        // status without a job: the unfinished ones, oldest first.
        run = try await fixture.sluice("status")
        #expect(run.status == 0, "\(run.errors)")
        #expect(run.output.hasPrefix("3 unfinished jobs\njob 1: 001 first up on \(fixture.url)\n"), "\(run.output)")
        #expect(run.output.contains("not before 2030-01-02 02:04:00 UTC"))

        // A daemon claims job 1 (before the dry run, queued later, and job 2, of lower priority and not due yet),
        // plans it and commits two batches.
        let lease = try #require(try await fixture.claim())
        #expect(lease.jobID == 1)
        try await fixture.announceDaemon(lease.owner)
        try await fixture.store.storePlan(lease, entries: Array(1...1000))
        try await Task.sleep(for: .milliseconds(200))
        _ = try await fixture.store.checkpoint(lease, JobCheckpoint(from: 0, to: 100, itemsChanged: 100))
        try await Task.sleep(for: .milliseconds(200))
        _ = try await fixture.store.checkpoint(
            lease,
            JobCheckpoint(
                from: 100,
                to: 300,
                itemsChanged: 198,
                batchSize: 200,
                throttle: JobThrottle(state: "throttled", reason: "latency p99 84ms > target 50ms"),
                quarantined: [
                    QuarantinedItem(item: 4711, planOffset: 150, error: "Text cannot be parsed to a Date: '5/1/24'"),
                    QuarantinedItem(item: 4712, planOffset: 151, error: "Text cannot be parsed to a Date: '6/1/24'"),
                ]
            )
        )

        run = try await fixture.sluice("status", "1", "--json")
        let status = try fixture.object(run)
        #expect(Set(status.keys) == Self.jobKeys.union(["quarantine", "preview"]))
        #expect(status["preview"] as? [String] == [], "not a dry run: \(run.output)")
        let progress = try #require(status["progress"] as? [String: Any])
        #expect(Set(progress.keys) == Self.progressKeys)
        #expect(progress["done"] as? Int == 300 && progress["total"] as? Int == 1000)
        #expect(progress["percent"] as? Double == 30 && progress["itemsQuarantined"] as? Int == 2)
        #expect(progress["batches"] as? Int == 2 && progress["itemsChanged"] as? Int == 298)
        // 100 then 200 items after about 0.2 s each (the machine may be slow: only the order of magnitude).
        let rate = try #require(progress["rate"] as? Double, "a running job with a live worker has a rate")
        #expect(rate > 10 && rate < 5_000, "rate \(rate)")
        #expect((progress["etaSeconds"] as? Int).map { $0 > 0 } == true)
        let throttle = try #require(status["throttle"] as? [String: Any])
        #expect(throttle["state"] as? String == "throttled")
        #expect(
            throttle["reason"] as? String == "latency p99 84ms > target 50ms" && throttle["operatorMaxRate"] is NSNull
        )
        let worker = try #require(status["worker"] as? [String: Any])
        #expect(worker["owner"] as? String == "daemon-1" && worker["active"] as? Bool == true)
        let quarantine = try #require(status["quarantine"] as? [[String: Any]])
        #expect(quarantine.map { $0["item"] as? Int } == [4711, 4712])
        #expect(quarantine.first?["planOffset"] as? Int == 150)

        run = try await fixture.sluice("status", "1")
        #expect(run.status == 0, "\(run.errors)")
        #expect(run.output.contains("state:      running by daemon-1"), "\(run.output)")
        #expect(run.output.contains("001 first up: 300/1,000 (30%)") && run.output.contains(" items/s  ETA "))
        #expect(run.output.contains("throttled: latency p99 84ms > target 50ms  2 quarantined"))
        #expect(run.output.contains("quarantine: item 4711 (offset 150): Text cannot be parsed to a Date: '5/1/24'"))

        // jobs: a table, filters, and the same objects as JSON.
        run = try await fixture.sluice("jobs")
        #expect(run.status == 0, "\(run.errors)")
        let lines = run.output.split(separator: "\n")
        #expect(lines.count == 4 && lines[0].hasPrefix("JOB  STATE    MIGRATION"), "\(run.output)")
        #expect(lines[3].hasPrefix("1    running  001 first up") && lines[3].contains("30.0% of 1,000"))
        run = try await fixture.sluice("jobs", "--state", "queued", "--json")
        let queued = try #require(try fixture.object(run)["jobs"] as? [[String: Any]])
        #expect(queued.map { $0["id"] as? Int } == [3, 2] && queued.allSatisfy { Set($0.keys) == Self.jobKeys })
        // A queued job says what it waits for.
        run = try await fixture.sluice("status", "2")
        #expect(run.output.contains(", behind job 1, running on the same graph)"), "\(run.output)")

        // throttle: the cap reaches the worker's next heartbeat, and the log says who set it.
        run = try await fixture.sluice("throttle", "1", "--max-rate", "500")
        #expect(run.status == 0 && run.output == "job 1 (001 first up): capped at 500 items/s from its next batch\n")
        #expect(try await fixture.store.heartbeat(lease).operatorMaxRate == 500)
        run = try await fixture.sluice("status", "1", "--json")
        #expect((try fixture.object(run)["throttle"] as? [String: Any])?["operatorMaxRate"] as? Int == 500)
        run = try await fixture.sluice("throttle", "1", "--clear", "--json")
        #expect((try fixture.object(run)["throttle"] as? [String: Any])?["operatorMaxRate"] is NSNull)
        #expect(try await fixture.store.heartbeat(lease).operatorMaxRate == nil)
        let caps = try await fixture.store.events(of: 1).filter { $0.kind == .maxRate }
        #expect(caps.map(\.newValue) == ["500", nil] && caps.allSatisfy { $0.actor?.contains("@") == true })

        // pause: the worker's next write says stop; resume: it carries on; cancel: a request the worker ends.
        run = try await fixture.sluice("pause", "1")
        #expect(
            run.status == 0 && run.output.contains("paused; its worker stops after the batch in flight or the next")
        )
        let stop = try await fixture.store.checkpoint(lease, JobCheckpoint(from: 300, to: 400, itemsChanged: 100))
        #expect(stop.shouldStop && stop.state == .paused)
        try await fixture.store.release(lease)
        run = try await fixture.sluice("pause", "1")
        #expect(run.status == 0 && run.output.contains("already paused"))
        run = try await fixture.sluice("resume", "1", "--json")
        #expect(try fixture.object(run)["state"] as? String == "running")
        let again = try #require(try await fixture.claim("daemon-2"))
        #expect(again.jobID == 1 && again.job.planDone == 400)
        run = try await fixture.sluice("cancel", "1")
        #expect(run.status == 0 && run.output.contains("cancel requested"), "\(run.output)")
        // The worker may be dead with its lease still live: when the cancel takes effect then is said too.
        #expect(run.output.contains("(if daemon-2 is gone, the job ends once its lease runs out, "), "\(run.output)")
        #expect(run.output.contains("`sluice enqueue 001 --down` undoes them"))
        #expect(try await fixture.store.heartbeat(again).cancelRequested)
        _ = try await fixture.store.finish(again, .cancelled)
        // Ended, it is not throttled any more, whatever its worker reported last.
        run = try await fixture.sluice("status", "1", "--json")
        #expect((try fixture.object(run)["throttle"] as? [String: Any])?["state"] as? String == "none")
        run = try await fixture.sluice("status", "1")
        #expect(run.status == 0 && !run.output.contains("throttled"), "\(run.output)")
        run = try await fixture.sluice("cancel", "1")
        #expect(run.status == 0 && run.output.contains("already cancelled"))

        // Cancelling a queued job is immediate; the dry run stays queued.
        run = try await fixture.sluice("cancel", "\(second)")
        #expect(run.status == 0 && run.output.hasPrefix("job 2 (002 second up): cancelled\n"), "\(run.output)")
        #expect(try await fixture.store.job(dryRun)?.state == .queued)

        let states = try await fixture.store.events(of: 1).filter { $0.kind == .state }
        #expect(
            states.map(\.newValue) == [
                "queued", "planning", "running", "paused", "running", "cancel requested", "cancelled",
            ]
        )
        #expect(states[0].actor?.contains("@") == true && states[3].actor == states[0].actor)
    }

    @Test func enqueueAllChainsThePendingMigrationsAndStopsAtAFailure() async throws {
        let fixture = try await ClientFixture.make()
        defer { Task { await fixture.close() } }
        // 001 is applied: a daemon ran it to the end.
        var run = try await fixture.sluice("enqueue", "1")
        #expect(run.status == 0, "\(run.errors)")
        let first = try #require(try await fixture.claim())
        try await fixture.store.storePlan(first, entries: [1, 2])
        _ = try await fixture.store.checkpoint(
            first,
            JobCheckpoint(from: 0, to: 2, itemsChanged: 1, quarantined: [QuarantinedItem(item: 2, error: "bad date")])
        )
        _ = try await fixture.store.finish(
            first,
            .succeeded,
            history: MigrationHistoryEntry(
                migrationVersion: "001",
                migrationName: "first",
                checksum: first.job.migrationChecksum,
                direction: .up,
                target: fixture.target,
                appliedBy: first.owner,
                duration: .milliseconds(1_500),
                items: 1,
                status: .applied
            )
        )

        // Applied: an up is refused, as `sluice run` refuses it; --all leaves it out.
        run = try await fixture.sluice("enqueue", "001")
        #expect(run.isOneLineError(containing: "001 is already applied on \(fixture.url) (job 1): nothing queued"))

        run = try await fixture.sluice("enqueue", "--all")
        #expect(run.status == 0, "\(run.errors)")
        #expect(
            run.output
                == """
                queued job 2: 002 second up on \(fixture.url)
                queued job 3: 003 third up on \(fixture.url), after job 2
                follow it with: sluice status 3 --watch

                """
        )
        // Again: both already have jobs, so nothing more is queued, and each is named.
        run = try await fixture.sluice("enqueue", "--all")
        #expect(run.status == 0 && run.output.hasPrefix("nothing to queue"), "\(run.output)")
        #expect(run.errors.contains("002: left out, it already has job 2 (queued)"))

        // The chain runs in order: while 002 runs, nothing else on the graph; 003 waits for 002's success.
        let second = try #require(try await fixture.claim())
        #expect(second.jobID == 2)
        #expect(try await fixture.claim("daemon-2") == nil)
        // 002 fails: 003 is cancelled with it, saying why; the chain stops as `run --all` does.
        _ = try await fixture.store.finish(second, .failed("Neo.ClientError.Statement.SyntaxError"))
        let third = try #require(try await fixture.store.job(3))
        #expect(third.state == .cancelled && third.lastError == "not run: job 2, which it was queued after, failed")
        #expect(try await fixture.claim("daemon-2") == nil)

        // A chain whose predecessor succeeds runs on.
        run = try await fixture.sluice("enqueue", "--all", "--json")
        let chain = try #require(try fixture.object(run)["jobs"] as? [[String: Any]])
        #expect(chain.map { $0["id"] as? Int } == [4, 5] && chain.map { $0["after"] as? Int } == [nil, 4])
        // Paused before it started, 004 holds no graph, and 005 waits only for its chain: status says just that
        // (it said "behind job 4, paused on the same graph").
        run = try await fixture.sluice("pause", "4")
        #expect(run.status == 0, "\(run.errors)")
        run = try await fixture.sluice("status", "5")
        #expect(
            run.output.contains("state:      queued (after job 4, no daemon runs for this job store now)\n"),
            "\(run.output)"
        )
        run = try await fixture.sluice("resume", "4")
        #expect(run.status == 0, "\(run.errors)")
        let fourth = try #require(try await fixture.claim())
        #expect(fourth.jobID == 4)
        try await fixture.store.storePlan(fourth, entries: [])
        _ = try await fixture.store.finish(fourth, .succeeded)
        #expect(try await fixture.claim()?.jobID == 5)

        // history: what ran, when, by whom, how long, how many items, how many quarantined.
        run = try await fixture.sluice("history")
        #expect(run.status == 0, "\(run.errors)")
        let rows = run.output.split(separator: "\n")
        #expect(rows.count == 2 && rows[0].hasPrefix("FINISHED") && rows[0].hasSuffix("ITEMS  QUARANTINED"))
        #expect(rows[1].contains("001 first up  applied") && rows[1].contains("2s"), "\(run.output)")
        run = try await fixture.sluice("history", "--json", "--migration", "1", "--url", fixture.url)
        let entries = try #require(try fixture.object(run)["history"] as? [[String: Any]])
        #expect(entries.count == 1)
        let entry = try #require(entries.first)
        #expect(entry["version"] as? String == "001" && entry["status"] as? String == "applied")
        #expect(entry["items"] as? Int == 1 && entry["quarantined"] as? Int == 1)
        #expect(entry["durationSeconds"] as? Double == 1.5 && entry["job"] as? Int == 1)
        #expect((entry["requestedBy"] as? String)?.contains("@") == true && entry["appliedBy"] as? String == "daemon-1")
        run = try await fixture.sluice("history", "--migration", "2")
        #expect(
            run.status == 0 && run.output.hasPrefix("no history of 002: no job of it has finished"),
            "\(run.output)"
        )

        // A down of an applied migration is queued; of one that is not, refused. Whether it was finalized only the
        // graph knows: this one cannot be reached, so enqueue says it could not ask and leaves that to the daemon.
        run = try await fixture.sluice("enqueue", "001", "--down")
        #expect(run.status == 0 && run.output.contains("001 first down"), "\(run.errors)")
        #expect(run.errors.contains("could not ask the graph whether 001 was finalized"), "\(run.errors)")
        #expect(run.errors.contains("queued anyway"), "\(run.errors)")
        // A user without a password here (the daemon's is its systemd credential) is not tried at all: a failed login
        // counts against the account. The job of the first down is cancelled so that the same down may be queued.
        let queuedDown = try #require(try await fixture.store.jobs(states: [.queued], limit: 10).first)
        _ = try await fixture.store.cancel(queuedDown.id, by: "test")
        var noPassword = fixture.environment
        noPassword["SLUICE_BOLT_USER"] = "sluice"
        noPassword["SLUICE_BOLT_PASSWORD"] = nil
        run = try await fixture.run(["enqueue", "001", "--down", "--schema", fixture.schema], environment: noPassword)
        #expect(run.status == 0, "\(run.errors)")
        #expect(run.errors.contains("no password for graph user sluice here"), "\(run.errors)")
        run = try await fixture.sluice("enqueue", "002", "--down")
        #expect(run.isOneLineError(containing: "002 is not applied on \(fixture.url): nothing to undo"))

        // A daemon serves the graph under one spelling; a job queued under another is told it waits for nobody.
        try await fixture.announceDaemon("daemon-1")
        let alias = fixture.url.replacingOccurrences(of: "graph-", with: "alias-")
        run = try await fixture.sluice("enqueue", "3", "--url", alias)
        #expect(run.status == 0, "\(run.errors)")
        let unserved = "no daemon serves \(alias) now (the running ones serve \(fixture.url))"
        #expect(run.errors == "warning: \(unserved): queued anyway, the job waits until one does\n", "\(run.errors)")
        let aliased = try #require(try await fixture.store.jobs(states: [.queued]).first { $0.target.url == alias })
        run = try await fixture.sluice("status", "\(aliased.id)")
        #expect(run.output.contains("state:      queued (\(unserved))\n"), "\(run.output)")
        // Served: no warning.
        run = try await fixture.sluice("enqueue", "2", "--dry-run")
        #expect(run.status == 0 && run.errors.isEmpty, "\(run.errors)")
    }

    /// A running job that stands still shows no frozen rate and ETA: with no batch for longer than the rate's window
    /// it shows 0 items/s and for how long none came, and with its daemon's row in `workers` lapsed (killed, hung) it
    /// says when that daemon was last seen and when the lease that holds the job ends.
    @Test func statusTellsAJobThatStandsStillAndAHolderWhoseDaemonIsGone() async throws {
        let fixture = try await ClientFixture.make()
        defer { Task { await fixture.close() } }
        var run = try await fixture.sluice("enqueue", "1")
        let lease = try #require(try await fixture.claim())
        try await fixture.announceDaemon(lease.owner)
        try await fixture.store.storePlan(lease, entries: Array(1...1000))
        _ = try await fixture.store.checkpoint(lease, JobCheckpoint(from: 0, to: 100, itemsChanged: 100))
        try await Task.sleep(for: .milliseconds(200))
        _ = try await fixture.store.checkpoint(lease, JobCheckpoint(from: 100, to: 200, itemsChanged: 100))
        run = try await fixture.sluice("status", "1")
        #expect(run.output.contains("state:      running by daemon-1\n"), "\(run.output)")
        #expect(run.output.contains(" items/s  ETA ") && !run.output.contains(" 0 items/s"), "\(run.output)")

        // The graph hangs: no batch for 100 s, the lease renewed meanwhile.
        let jobs = "\(fixture.store.schema.quoted).jobs"
        try await fixture.store.connection.query("UPDATE \(jobs) SET batch_at = now() - interval '100 seconds'")
        run = try await fixture.sluice("status", "1")
        #expect(run.output.contains("state:      running by daemon-1, no batch for 1m40s\n"), "\(run.output)")
        #expect(run.output.contains("200/1,000 (20%)  0 items/s") && !run.output.contains("ETA"), "\(run.output)")
        func progressJSON() async throws -> [String: Any] {
            let status = try fixture.object(try await fixture.sluice("status", "1", "--json"))
            return try #require(status["progress"] as? [String: Any])
        }
        var json = try await progressJSON()
        #expect(json["rate"] as? Double == 0 && json["etaSeconds"] is NSNull, "\(json)")

        // Its daemon is killed: its row lapses, its lease still holds the job.
        try await fixture.store.connection.query(
            """
            UPDATE \(fixture.store.schema.quoted).workers
            SET seen_at = now() - interval '30 seconds', alive_until = now() - interval '1 second'
            """
        )
        #expect(try await fixture.store.workers().lapsed.map(\.worker.rawValue) == ["daemon-1"])
        run = try await fixture.sluice("status", "1")
        let gone = try #require(run.output.split(separator: "\n").first { $0.hasPrefix("  state:") }, "\(run.output)")
        #expect(gone.hasPrefix("  state:      running by daemon-1 (its daemon was last seen 20"), "\(gone)")
        #expect(gone.contains(" UTC; the job is taken over when its lease ends at 20") && gone.hasSuffix(" UTC)"))
        #expect(!run.output.contains("items/s"), "\(run.output)")
        json = try await progressJSON()
        #expect(json["rate"] is NSNull && json["etaSeconds"] is NSNull, "\(json)")
    }

    /// A down cancelled part-way leaves the migration partially applied: its down can be queued again to finish the
    /// undo (it was refused as "not applied: nothing to undo"), and the cancel names that command, not the up's.
    @Test func aDownStoppedPartWayCanBeFinished() async throws {
        let fixture = try await ClientFixture.make()
        defer { Task { await fixture.close() } }
        var run = try await fixture.sluice("enqueue", "1")
        let up = try #require(try await fixture.claim())
        try await fixture.store.storePlan(up, entries: [1, 2])
        _ = try await fixture.store.checkpoint(up, JobCheckpoint(from: 0, to: 2, itemsChanged: 2))
        _ = try await fixture.store.finish(
            up,
            .succeeded,
            history: MigrationHistoryEntry(
                migrationVersion: "001",
                migrationName: "first",
                checksum: up.job.migrationChecksum,
                direction: .up,
                target: fixture.target,
                appliedBy: up.owner,
                duration: .seconds(1),
                items: 2,
                status: .applied
            )
        )
        run = try await fixture.sluice("enqueue", "1", "--down")
        #expect(run.status == 0, "\(run.errors)")
        let down = try #require(try await fixture.claim())
        try await fixture.store.storePlan(down, entries: [1, 2])
        _ = try await fixture.store.checkpoint(down, JobCheckpoint(from: 0, to: 1, itemsChanged: 1))
        run = try await fixture.sluice("cancel", "\(down.jobID)")
        #expect(
            run.output.contains(
                "the 1 items done stay undone: `sluice enqueue 001 --down` finishes the undo, `sluice enqueue 001` "
                    + "applies them again"
            ),
            "\(run.output)"
        )
        _ = try await fixture.store.finish(down, .cancelled)

        run = try await fixture.sluice("list")
        #expect(run.output.contains("001      partially applied"), "\(run.output)")
        run = try await fixture.sluice("enqueue", "1", "--down")
        #expect(run.status == 0 && run.output.contains("001 first down"), "\(run.errors)")
    }

    @Test func badInputIsOneLineNamingWhatIsWrong() async throws {
        let fixture = try await ClientFixture.make()
        defer { Task { await fixture.close() } }
        var run = try await fixture.sluice("enqueue", "1")
        #expect(run.status == 0, "\(run.errors)")
        let lease = try #require(try await fixture.claim())
        try await fixture.store.storePlan(lease, entries: [])
        _ = try await fixture.store.finish(lease, .succeeded)

        let cases: [([String], String)] = [
            (["status", "abc"], "invalid JOB 'abc': expected a job id"),
            (["pause", "12x"], "invalid JOB '12x'"),
            (["status", "999999"], "no job 999999"),
            (["pause", "999999"], "no job 999999"),
            (["cancel", "0"], "invalid JOB '0'"),
            (["resume", "1"], "cannot resume job 1: it has already ended (succeeded)"),
            (["pause", "1"], "cannot pause job 1: it has already ended (succeeded)"),
            (["throttle", "1", "--max-rate", "10"], "cannot throttle job 1: it has already ended (succeeded)"),
            (["throttle", "1", "--max-rate", "0"], "--max-rate must be at least 1"),
            (["throttle", "1"], "--max-rate N (items per second) or --clear"),
            (["enqueue", "42"], "no migration 042 in \(fixture.folder.path)"),
            (["enqueue", "abc"], "invalid VERSION 'abc'"),
            (["enqueue"], "missing VERSION"),
            (["enqueue", "2", "--all"], "VERSION '2' and --all exclude each other"),
            (["enqueue", "2", "--not-before", "2030-01-02T03:04"], "--not-before '2030-01-02T03:04' has no time zone"),
            (["enqueue", "2", "--not-before", "tomorrow"], "--not-before 'tomorrow' is not a time with a time zone"),
            (["enqueue", "2", "--not-before", "2030-01-02 03:04 Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
            (["enqueue", "2", "--not-before", "2030-03-31 02:30 Europe/Berlin"], "does not exist in Europe/Berlin"),
            (["enqueue", "2", "--not-before", "2030-10-27 02:30 Europe/Berlin"], "happens twice in Europe/Berlin"),
            (["enqueue", "2", "--batch-size", "0"], "--batch-size must be from 1 to 2147483647, got 0"),
            (["enqueue", "2", "--batch-size=-5"], "--batch-size must be from 1 to 2147483647, got -5"),
            (["enqueue", "2", "--batch-size", "99999999999"], "--batch-size must be from 1 to 2147483647"),
            (["enqueue", "2", "--priority", "99999999999"], "--priority must be from -2147483648 to 2147483647"),
            (["run", "2", "--batch-size", "99999999999"], "--batch-size must be from 1 to 2147483647"),
            (["enqueue", "2", "--batch-size", "many"], "--batch-size"),
            (["enqueue", "2", "--url", "neo4j://cluster:7687"], "routing (neo4j://) is not supported yet"),
            (["jobs", "--state", "done"], "unknown --state 'done'"),
            (["status", "1", "--json", "--watch"], "--json and --watch exclude each other"),
            (["history", "--migration", "x"], "invalid --migration 'x'"),
            (["run", "2", "--no-throttle", "--max-rate", "100"], "--max-rate needs the throttle"),
        ]
        for (arguments, message) in cases {
            run = try await fixture.sluice(arguments)
            #expect(run.isOneLineError(containing: message), "\(arguments): \(run.status) \(run.errors)")
        }
        // Nothing was queued by any of them.
        #expect(try await fixture.store.jobs().map(\.id) == [1])

        // An old schema is named with the command that upgrades it, not met as a missing column.
        try await fixture.store.connection.query(
            "DELETE FROM \(fixture.store.schema.quoted).schema_version WHERE version > 1"
        )
        run = try await fixture.sluice("jobs")
        #expect(
            run.isOneLineError(
                containing:
                    "is at version 1, this sluice needs \(JobStoreSchema.latestVersion): run "
                    + "`sluice db migrate --schema \(fixture.schema)`"
            )
        )
    }

    @Test func statusWatchFollowsAJobToItsEndAndExitsWithItsOutcome() async throws {
        let fixture = try await ClientFixture.make()
        defer { Task { await fixture.close() } }
        var run = try await fixture.sluice("enqueue", "1", "--json")
        #expect(run.status == 0, "\(run.errors)")

        let watcher = try fixture.start(["status", "--watch"])
        #expect(try await eventually(timeout: .seconds(30)) { watcher.standardOutput.contains("  queued\n") })
        let lease = try #require(try await fixture.claim())
        try await fixture.store.storePlan(lease, entries: Array(1...100))
        for offset in stride(from: Int64(0), to: 100, by: 25) {
            try await Task.sleep(for: .milliseconds(300))
            _ = try await fixture.store.checkpoint(
                lease,
                JobCheckpoint(from: offset, to: offset + 25, itemsChanged: 25)
            )
        }
        _ = try await fixture.store.finish(lease, .succeeded)
        let finished = ContinuousClock.now
        let status = await watcher.wait()
        // Polled every second: it notices the end within a couple of seconds even on a loaded machine.
        #expect(ContinuousClock.now - finished < .seconds(10))
        #expect(status == 0, "\(watcher.standardError)")
        let output = watcher.standardOutput
        #expect(output.hasPrefix("job 1: 001 first up on \(fixture.url)\n  queued\n"), "\(output)")
        #expect(output.contains("001 first up: 100/100 (100%)"), "\(output)")
        #expect(output.contains("job 1 succeeded at ") && output.hasSuffix(": 100 items, 100 changed, 0 quarantined\n"))

        // A job cancelled while watched: exit 1, the line says who cancelled it.
        run = try await fixture.sluice("enqueue", "2")
        #expect(run.status == 0, "\(run.errors)")
        let cancelled = try fixture.start(["status", "2", "--watch"])
        #expect(try await eventually(timeout: .seconds(30)) { cancelled.standardOutput.contains("  queued\n") })
        run = try await fixture.sluice("cancel", "2")
        #expect(run.status == 0, "\(run.errors)")
        #expect(await cancelled.wait() == 1)
        #expect(cancelled.standardError.hasPrefix("sluice: error: job 2 cancelled at "), "\(cancelled.standardError)")
        #expect(cancelled.standardError.contains("(by ") && cancelled.standardError.filter { $0 == "\n" }.count == 1)
    }

    @Test func everyClientCommandExplainsItselfWithHelp() async throws {
        let fixture = try await ClientFixture.make()
        defer { Task { await fixture.close() } }
        let expected = [
            "enqueue": "--not-before", "status": "--watch", "jobs": "--state", "pause": "resume",
            "resume": "checkpoint", "cancel": "--down", "throttle": "--max-rate", "history": "quarantined",
        ]
        for (command, fragment) in expected {
            let run = try await fixture.sluice(command, "--help")
            #expect(run.status == 0, "\(command): \(run.errors)")
            #expect(run.output.contains(fragment) && run.output.contains("--postgres"), "\(command) --help")
        }
    }

    @Test func clientCommandsFindPostgresTheGraphAndTheMigrationsThroughTheDaemonsConfiguration() async throws {
        let fixture = try await ClientFixture.make()
        defer { Task { await fixture.close() } }
        let postgres = JobStoreTestDatabase.environment
        var conninfo = "host=\(postgres["PGHOST"] ?? "") port=\(postgres["PGPORT"] ?? "")"
        if let user = postgres["PGUSER"] { conninfo += " user=\(user)" }
        if let database = postgres["PGDATABASE"] { conninfo += " dbname=\(database)" }
        let configured = "bolt://configured-\(fixture.schema).test:7687"
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-\(fixture.schema).toml")
        defer { try? FileManager.default.removeItem(at: file) }
        try """
        [postgres]
        conninfo = "\(conninfo)"
        schema = "\(fixture.schema)"

        [graph]
        url = "\(configured)"
        database = "movies"

        [migrations]
        folder = "\(fixture.folder.path)"

        """.write(to: file, atomically: true, encoding: .utf8)
        // No PG*, no SLUICE_* variables: only the file can lead the commands to Postgres, the graph and the files.
        let bare = ["PATH": "/usr/bin:/bin", "USER": postgres["USER"] ?? "test"]

        var run = try await fixture.run(["enqueue", "1", "--config", file.path], environment: bare)
        #expect(run.status == 0, "\(run.errors)")
        #expect(
            run.output.hasPrefix("queued job 1: 001 first up on \(configured) (database movies)\n"),
            "\(run.output)"
        )
        // SLUICE_CONFIG names the file as --config does, for every client command.
        var withVariable = bare
        withVariable["SLUICE_CONFIG"] = file.path
        run = try await fixture.run(["jobs", "--json"], environment: withVariable)
        let jobs = try #require(try fixture.object(run)["jobs"] as? [[String: Any]])
        let target = try #require(jobs.first?["target"] as? [String: Any])
        #expect(jobs.count == 1 && target["url"] as? String == configured && target["database"] as? String == "movies")
        run = try await fixture.run(["pause", "1"], environment: withVariable)
        #expect(run.status == 0 && run.output.contains("paused"), "\(run.errors)")
        // Flags still win over the file.
        run = try await fixture.run(
            ["enqueue", "2", "--url", fixture.url, "--database", "", "--json"],
            environment: withVariable
        )
        let second = try #require((try fixture.object(run)["jobs"] as? [[String: Any]])?.first)
        #expect((second["target"] as? [String: Any])?["url"] as? String == fixture.url)

        // A bad file is one line naming the file, the line and the key.
        try "[postgres]\nschema = \"\(fixture.schema)\"\nconnifo = \"typo\"\n".write(
            to: file,
            atomically: true,
            encoding: .utf8
        )
        run = try await fixture.run(["status", "--config", file.path], environment: bare)
        #expect(run.isOneLineError(containing: "\(file.path):3"), "\(run.errors)")
        #expect(run.errors.contains("connifo"))
    }
}
