import Foundation
import JobStore
import Testing

/// The job store's Postgres failing in the middle of a daemon's job, for real, on the outage cluster (no other suite
/// uses it meanwhile): stopped, hung (SIGSTOP: it neither refuses nor answers), made read-only
/// (`default_transaction_read_only`, as after a failover to a standby) and out of disk space (the job store's tables
/// on a tablespace in a tiny tmpfs, filled up: the kernel's ENOSPC, which Postgres reports as `53100 disk_full`). The
/// daemon must say so (STATUS= and one journal warning), keep the job running and waiting rather than failing it,
/// and once the condition is fixed finish it with every node changed exactly once: a batch whose checkpoint was
/// refused or lost is reconciled, not repeated.
@Suite(.serialized, .enabled(if: JobStoreTestDatabase.shouldRun()))
struct PostgresFaultTests {
    static let nodes = 20_000

    /// Postgres stopped for ``PostgresTestCluster/outageLength`` (20 s; 30 s under `scripts/reliability`).
    @Test func waitsOutAPostgresOutageMidJobAndFinishes() async throws {
        let cluster = PostgresTestCluster.outage
        guard let stop = cluster.servicesCommand("stop"), let start = cluster.servicesCommand("start") else {
            return cluster.reportUncontrollable(skipping: "waitsOutAPostgresOutage")
        }
        try await Self.jobSurvives(
            "Postgres stopped for \(PostgresTestCluster.outageLength)",
            sign: nil,
            readable: false,
            on: cluster,
            apply: { _ in
                let (stopped, output) = try await JobStoreTestDatabase.shell(stop)
                #expect(stopped == 0, "stopping Postgres failed: \(output)")
                // The outage itself: a length of time, not a condition to poll.
                try await Task.sleep(for: PostgresTestCluster.outageLength)
            },
            clear: { _ in
                let (started, output) = try await JobStoreTestDatabase.shell(start)
                #expect(started == 0, "starting Postgres failed: \(output)")
            }
        )
    }

    /// Postgres hung rather than down: its postmaster and backends SIGSTOPped, as a hung host or a partition that
    /// drops packets leaves it, for as long as the daemon takes to say it waits and try twice more. With a 2 s answer
    /// timeout (so that the test takes seconds) its statements give up and the outage is waited out as any other,
    /// `sluice_job_store_up` saying 0 meanwhile (the endpoint's own read gives up too). Without the timeout the daemon
    /// waited in silence, STATUS= showing the job's rate, until the watchdog killed it.
    @Test func hungPostgresMidJobIsWaitedOutAndTheJobFinishes() async throws {
        let cluster = PostgresTestCluster.outage
        guard cluster.isConfigured, cluster.servicesCommand("stop") != nil else {
            return cluster.reportUncontrollable(skipping: "hungPostgresMidJob")
        }
        var frozen: [pid_t] = []
        defer { cluster.thaw(frozen) }
        try await Self.jobSurvives(
            "Postgres hung (SIGSTOP)",
            sign: nil,
            readable: false,
            on: cluster,
            environment: ["SLUICE_POSTGRES_ANSWER_TIMEOUT": "2s"],
            sections: "[metrics]\nlisten = \"127.0.0.1:0\"",
            apply: { _ in frozen = try #require(cluster.freeze(), "cannot stop \(cluster)") },
            whileFaulty: { daemon in
                let scrape = try await MetricsScrape.of(daemon)
                _ = try await scrape.waitFor("the job store down", timeout: .seconds(30)) {
                    $0["sluice_job_store_up"] == 0
                }
            },
            clear: { _ in cluster.thaw(frozen) }
        )
    }

    @Test func readOnlyPostgresMidJobIsWaitedOutAndTheJobResumes() async throws {
        let cluster = PostgresTestCluster.outage
        try await Self.jobSurvives(
            "default_transaction_read_only = on",
            sign: "25006",
            on: cluster,
            apply: { _ in
                try await cluster.superuser("ALTER SYSTEM SET default_transaction_read_only = on")
                try await cluster.superuser("SELECT pg_reload_conf()")
            },
            clear: { _ in
                try await cluster.superuser("ALTER SYSTEM RESET default_transaction_read_only")
                try await cluster.superuser("SELECT pg_reload_conf()")
            }
        )
    }

    @Test func postgresOutOfDiskSpaceMidJobIsWaitedOutAndTheJobResumes() async throws {
        let cluster = PostgresTestCluster.outage
        guard let host = cluster.host, cluster.isConfigured else {
            return cluster.reportUncontrollable(skipping: "postgresOutOfDiskSpaceMidJob")
        }
        // The whole test in the cluster's turn, the tablespace's removal included: another suite's outage test
        // stopped the cluster between the fixture's end and the DROP TABLESPACE in a CI run.
        try await cluster.use { try await Self.fillTheTablespace(of: cluster, host: host) }
    }

    private static func fillTheTablespace(of cluster: PostgresTestCluster, host: String) async throws {
        let disk = TinyDisk(directory: URL(fileURLWithPath: host).appendingPathComponent("tiny-tablespace"))
        guard try await disk.mount() else {
            let reason = "cannot mount a tmpfs at \(disk.directory.path) (needs root): the disk-full test did not run"
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record(Comment(rawValue: reason)) }
            return print(reason)
        }
        let tablespace = "sluice_test_tiny"
        do {
            try await Self.jobSurvives(
                "the job store's tablespace full",
                sign: "53100",
                on: cluster,
                prepare: { fixture in
                    try await cluster.superuser("CREATE TABLESPACE \(tablespace) LOCATION '\(disk.directory.path)'")
                    try await Self.move(schema: fixture.schema, to: tablespace, on: cluster)
                },
                apply: { _ in try await disk.fill() },
                // The fixture drops the schema, and with it the tablespace's files, before the tablespace goes.
                clear: { _ in try disk.empty() }
            )
        } catch {
            _ = try? await cluster.superuser("DROP TABLESPACE IF EXISTS \(tablespace)")
            await disk.unmount()
            throw error
        }
        try await cluster.superuser("DROP TABLESPACE IF EXISTS \(tablespace)")
        await disk.unmount()
    }

    /// A foreground `sluice run` has an operator watching: it stops with one line saying what Postgres refused and
    /// how to go on, leaves the job resumable (not failed), and run again after the fix finishes it exactly once.
    @Test func readOnlyPostgresStopsAForegroundRunThatResumesWhenRunAgain() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        let cluster = PostgresTestCluster.outage
        try cluster.requireConfigured()
        print("RAN readOnlyPostgresStopsAForegroundRun on \(server) and \(cluster)")
        try await DaemonFixture.with(
            server: server,
            cluster: cluster,
            migrations: DaemonFixture.firstStep,
            nodes: Self.nodes
        ) { fixture in
            let environment = CypherCommandTests.environment(for: server).merging(cluster.libpqEnvironment) { $1 }
            let arguments = [
                "run", "1", "--migrations", fixture.folder.path, "--schema", fixture.schema, "--batch-size", "100",
                "--max-rate", "2000", "--target-p99", "30000", "--critical-p99", "60000",
            ]
            let first = try await fixture.startedRun(arguments, environment: environment, pastItems: 500)
            var readOnly = false
            do {
                try await cluster.superuser("ALTER SYSTEM SET default_transaction_read_only = on")
                readOnly = true
                try await cluster.superuser("SELECT pg_reload_conf()")
                let exited = try await eventually(timeout: .seconds(120)) { !first.process.isRunning }
                #expect(exited, "sluice run did not stop on a read-only Postgres")
                let job = try #require(try await fixture.store.jobs().first)
                #expect(
                    job.state == .running,
                    "the job is \(job.state) after the refused write: \(job.lastError ?? "")"
                )
            } catch {
                first.kill(SIGKILL)
                if readOnly { _ = try? await cluster.superuser("ALTER SYSTEM RESET default_transaction_read_only") }
                _ = try? await cluster.superuser("SELECT pg_reload_conf()")
                throw error
            }
            try await cluster.superuser("ALTER SYSTEM RESET default_transaction_read_only")
            try await cluster.superuser("SELECT pg_reload_conf()")
            let status = await first.wait()
            #expect(status != 0)
            // Its stderr also holds the progress lines (no terminal); the error is the one `sluice: error:` line.
            let errors = first.standardError.split(separator: "\n").filter { $0.hasPrefix("sluice: error:") }
            #expect(errors.count == 1, "not one error line: \(first.standardError)")
            let line = errors.first ?? ""
            #expect(line.contains("25006") && line.contains("run the command again"), "\(line)")
            print("sluice run on a read-only Postgres: exit \(status): \(line)")

            let again = try await ProcessRun.run(CypherCommandTests.executable, arguments, environment: environment)
            #expect(again.status == 0, "run again: \(again.errors)")
            try await fixture.expectEveryNodeChangedOnce(Self.nodes)
        }
    }

    /// Every table and index of `schema` moved to `tablespace`.
    static func move(schema: String, to tablespace: String, on cluster: PostgresTestCluster) async throws {
        try await cluster.superuser(
            """
            DO $$
            DECLARE r record;
            BEGIN
              FOR r IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                       WHERE n.nspname = '\(schema)' AND c.relkind IN ('r', 'i') ORDER BY c.relkind DESC LOOP
                EXECUTE format('ALTER %s %I.%I SET TABLESPACE %I', CASE r.relkind WHEN 'r' THEN 'TABLE' ELSE 'INDEX' END,
                               '\(schema)', r.relname, '\(tablespace)');
              END LOOP;
            END $$
            """
        )
    }

    /// A daemon's job of ``nodes`` items, `apply` done to Postgres once a few batches are in, `clear` once the daemon
    /// said it waits with `sign` (a SQLSTATE; `nil` for any reason) in the reason, tried again twice, and
    /// `whileFaulty` checked the daemon; `clear` also runs when the test fails on the way, so the cluster is left as
    /// it was. `readable`: whether Postgres answers the test's reads during the fault (a stopped one does not; the
    /// job's state is then checked once it is over). `environment` and `sections` go to the daemon.
    static func jobSurvives(
        _ fault: String,
        sign: String?,
        readable: Bool = true,
        on cluster: PostgresTestCluster,
        environment: [String: String] = [:],
        sections: String = "",
        prepare: (DaemonFixture) async throws -> Void = { _ in },
        apply: (DaemonFixture) async throws -> Void,
        whileFaulty: (JobStoreTestDatabase.Child) async throws -> Void = { _ in },
        clear: (DaemonFixture) async throws -> Void,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        guard let server = try BoltTestServer.named("arcadedb", sourceLocation: sourceLocation) else { return }
        try cluster.requireConfigured()
        print("RAN \(fault) mid-job on \(server) and \(cluster)")
        try await DaemonFixture.with(
            server: server,
            cluster: cluster,
            migrations: DaemonFixture.firstStep,
            nodes: nodes
        ) { fixture in
            try await prepare(fixture)
            let notify = try NotifyRecorder()
            defer { notify.stop() }
            let daemon = try fixture.start(
                worker: "fault",
                notifySocket: notify.socket.path,
                environment: environment,
                sections: sections
            )
            let job = try await fixture.enqueue(1, batchSize: 100)
            _ = try await fixture.waitFor(job.id, timeout: .seconds(90), "running") { $0.planDone >= 500 }

            func signed(_ text: some StringProtocol) -> Bool { sign.map { text.contains($0) } ?? true }
            var cleared = false
            var lasted = Duration.zero
            do {
                let appliedAt = ContinuousClock.now
                try await apply(fixture)
                let waits = { notify.messages.filter { $0.text.contains("STATUS=waiting for Postgres") } }
                let refused = try await eventually(timeout: .seconds(180)) {
                    waits().contains { signed($0.text) }
                }
                let first = waits().first { signed($0.text) }
                #expect(
                    refused,
                    "no STATUS=waiting for Postgres with \(sign ?? "any reason") after \(fault): \(notify.messages.suffix(3))"
                )
                // Held, not failed: the daemon tries again (twice more) and the job stays running where it was.
                let held = readable ? try await fixture.store.job(job.id) : nil
                let seen = waits().count
                let retried = try await eventually(timeout: .seconds(60)) { waits().count >= seen + 2 }
                #expect(retried, "the daemon did not try again while \(fault)")
                let still = readable ? try await fixture.store.job(job.id) : nil
                if let still {
                    #expect(
                        still.state == .running,
                        "the job is \(still.state) while \(fault): \(still.lastError ?? "")"
                    )
                }
                #expect(daemon.process.isRunning, "the daemon exited while \(fault)")
                try await whileFaulty(daemon)
                let progress =
                    if let held, let still { "at \(held.planDone)/\(nodes) done (\(still.planDone) " } else { "(" }
                print(
                    "\(fault): STATUS=waiting after \(Int(((first?.at ?? .now) - appliedAt).milliseconds)) ms "
                        + "\(progress)after \(waits().count - seen) more attempts): \(first?.text ?? "none")"
                )
                cleared = true
                // The outage the daemon saw: from its first failed attempt (a fault on the tablespace bites only at
                // the next write that needs a new page: at the job's end, 9 s after the fault, in one CI run).
                lasted = ContinuousClock.now - (first?.at ?? appliedAt)
                try await clear(fixture)
                // Reconnects back off (the connection's own, 50 ms doubling up to 5 s, then the work loop's): a long
                // fault costs a bounded number of attempts.
                let seconds = Int((ContinuousClock.now - appliedAt).components.seconds)
                #expect(waits().count <= max(seconds, 3), "\(waits().count) attempts in \(seconds) s")
            } catch {
                if !cleared { try? await clear(fixture) }
                DaemonFixture.dump(daemon, "daemon")
                throw error
            }

            let (done, after) = try await fixture.waitFor(job.id, timeout: .seconds(240), "finished") {
                $0.state.isFinished
            }
            #expect(done.state == .succeeded, "\(done.state): \(done.lastError ?? "")")
            print("job finished \(Int(after.milliseconds)) ms after the fix")
            try await fixture.expectEveryNodeChangedOnce(nodes)

            let (status, _) = await DaemonFixture.stop(daemon)
            #expect(status == 0)
            // One warning for the whole fault however often the daemon tried, and one line when it is over.
            let log = daemon.standardError.split(separator: "\n")
            let warnings = log.filter { $0.contains(" warning ") && $0.contains("waiting for Postgres") }
            #expect(warnings.count == 1 && warnings.allSatisfy { signed($0) }, "\(warnings)")
            #expect(warnings.allSatisfy { DaemonFixture.namesJob($0, job) }, "the wait does not name its job")
            let ends = log.filter { $0.contains("Postgres answers again after") }
            #expect(ends.count == 1, "not one end of the wait")
            // The end gives the whole fault's length, not the time since the work loop heard of it (the job store's
            // connection rides out a few seconds on its own first).
            if let end = ends.first, let after = end.range(of: "answers again after ") {
                let seconds = Int(end[after.upperBound...].prefix { $0.isNumber }) ?? 0
                #expect(seconds >= Int(lasted.components.seconds) - 5, "\(end) for a fault of \(lasted)")
            }
            // The reconnect attempts in between are at debug level: neither a notice each nor an error entry (its
            // level follows the line's time stamp).
            let retries = log.filter {
                $0.contains("Postgres unreachable, retrying") || $0.contains("cannot re-establish")
                    || $0.contains("Z error ")
            }
            #expect(retries.isEmpty, "\(retries.count) retry lines: \(retries.prefix(3))")
            #expect(!log.contains { $0.contains("job failed") }, "a job failed line while \(fault)")
            print("daemon log while \(fault):\n" + log.filter { !$0.contains(" info ") }.joined(separator: "\n"))
            if status != 0 || done.state != .succeeded { DaemonFixture.dump(daemon, "daemon") }
        }
    }
}
