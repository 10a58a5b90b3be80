import Bolt
import Engine
import Foundation
import JobStore
import Migrations
import TestSupport
import Testing

/// `sluice daemon` as a child process of the built binary, against the real Postgres and Bolt server: a schema, a
/// migrations folder and nodes of its own, a configuration file per daemon, and the job store to enqueue and watch
/// jobs through.
struct DaemonFixture {
    let server: BoltTestServer
    let store: JobStore
    /// The Postgres the store and the daemons use.
    let cluster: PostgresTestCluster
    let schema: String
    let folder: URL
    let label: String
    let catalog: MigrationCatalog

    /// Runs `body` with a fresh schema, a folder holding `migrations` (file name: text, `LABEL` replaced by the
    /// fixture's own label) and `nodes` nodes `(:LABEL {i, count: 0})`; cleans up afterwards. The job store and the
    /// daemons use `cluster`.
    static func with<T: Sendable>(
        server: BoltTestServer,
        cluster: PostgresTestCluster = .shared,
        migrations: [String: String],
        nodes: Int,
        databases: [String?] = [nil],
        _ body: (DaemonFixture) async throws -> T
    ) async throws -> T {
        let label = BoltTestServer.uniqueLabel("Daemon")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-\(label)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, text) in migrations {
            try text.replacingOccurrences(of: "LABEL", with: label).write(
                to: folder.appendingPathComponent(name),
                atomically: true,
                encoding: .utf8
            )
        }
        let catalog = try MigrationCatalog.load(folder: folder.path)
        for database in databases {
            try await server.withDatabase(database) { connection, options in
                _ = try await connection.run(
                    "UNWIND range(1, \(nodes)) AS i CREATE (:\(label) {i: i, count: 0, steps: ''})",
                    options: options
                ).collect()
            }
        }
        let result: Result<T, any Error>
        do {
            result = .success(
                try await JobStoreTestDatabase.withStore(cluster: cluster) { store in
                    try await JobStoreTestDatabase.randomizeJobIDs(of: store)
                    return try await body(
                        DaemonFixture(
                            server: server,
                            store: store,
                            cluster: cluster,
                            schema: store.configuration.schema,
                            folder: folder,
                            label: label,
                            catalog: catalog
                        )
                    )
                }
            )
        } catch {
            result = .failure(error)
        }
        for database in databases {
            _ = try? await server.withDatabase(database) { connection, options in
                try await connection.run("MATCH (n:\(label)) DELETE n", options: options).collect()
            }
        }
        return try result.get()
    }

    /// The latency targets of daemons under test, in place of 50 ms and 250 ms. The tests share two cores with the
    /// servers and with each other, so a probe's latency there says little of the graph (a third of a second is
    /// common while another suite builds or loads data), and with the defaults a job could stay paused for minutes.
    /// The throttle's own tests steer by latency.
    static let testThrottle = ["target_p99": "2s", "critical_p99": "10s"]

    /// The configuration file of one daemon: fast polls and retries, short leases, so tests take seconds.
    /// `daemon` overrides `[daemon]` settings; `sections` is appended (whole sections).
    func configuration(worker: String, daemon overrides: [String: String] = [:], sections: String = "") throws -> URL {
        let user: String
        if case .basic(let name, _) = server.auth { user = name } else { user = "" }
        var daemon = [
            "worker": "\"\(worker)\"", "lease": "\"6s\"", "poll_interval": "\"1s\"", "retry_initial": "\"200ms\"",
            "retry_maximum": "\"2s\"", "log_level": "\"info\"",
        ]
        daemon.merge(overrides) { _, new in new }
        let text = """
            [postgres]
            schema = "\(schema)"

            [graph]
            url = "\(server.url)"
            user = "\(user)"
            database = "\(server.database ?? "")"

            [migrations]
            folder = "\(folder.path)"

            [daemon]
            \(daemon.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)" }.joined(separator: "\n"))

            \(sections)
            """
        let file = folder.appendingPathComponent("\(worker).toml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    /// Starts a daemon; its output goes to temporary files (printed by ``dump(_:)`` when a test fails).
    /// `passwordInEnvironment` false leaves `SLUICE_BOLT_PASSWORD` out (a test passing the password otherwise);
    /// `logsToJournal` makes it log to the journal as under systemd.
    func start(
        worker: String,
        notifySocket: String? = nil,
        environment extra: [String: String] = [:],
        daemon: [String: String] = [:],
        sections: String = "",
        passwordInEnvironment: Bool = true,
        logsToJournal: Bool = false
    ) throws -> JobStoreTestDatabase.Child {
        var environment = cluster.libpqEnvironment
        environment["PATH"] = "/usr/bin:/bin"
        if case .basic(_, let password) = server.auth, passwordInEnvironment {
            environment["SLUICE_BOLT_PASSWORD"] = password
        }
        environment["NOTIFY_SOCKET"] = notifySocket
        for (key, value) in Self.testThrottle {
            environment["SLUICE_THROTTLE_\(key.uppercased())"] = value
        }
        environment.merge(extra) { _, new in new }
        let file = try configuration(worker: worker, daemon: daemon, sections: sections)
        return try JobStoreTestDatabase.Child(
            CypherCommandTests.executable.path,
            ["daemon", "--config", file.path],
            environment: environment,
            stderrIsJournal: logsToJournal
        )
    }

    /// Enqueues migration `version` (up) on the server, in `database` (the server's configured one by default).
    func enqueue(_ version: Int, database: String? = nil, batchSize: Int, dryRun: Bool = false) async throws -> Job {
        let number = try #require(MigrationVersion("\(version)"))
        let migration = try #require(catalog.migration(number))
        var request = JobRequest.test(migration, on: server, database: database, batchSize: batchSize)
        request.dryRun = dryRun
        return try await store.enqueue(request)
    }

    /// `sluice ARGUMENTS` started as a child, once its job (this store's first) is past `items`: a run to interrupt
    /// part-way. Killed when it does not get there within `timeout`; the caller kills it when done with it.
    func startedRun(
        _ arguments: [String],
        environment: [String: String],
        pastItems items: Int64,
        timeout: Duration = .seconds(120)
    ) async throws -> JobStoreTestDatabase.Child {
        let run = try JobStoreTestDatabase.Child(
            CypherCommandTests.executable.path,
            arguments,
            environment: environment
        )
        let going = try await eventually(timeout: timeout) {
            (try await store.jobs().first?.planDone ?? 0) >= items
        }
        if !going {
            run.kill(SIGKILL)
            _ = await run.wait()
        }
        try #require(going, "sluice run did not get past \(items) items: \(run.standardError)")
        return run
    }

    /// Polls the job every 10 ms until `condition` holds; returns it and how long that took.
    func waitFor(
        _ id: JobID,
        timeout: Duration,
        _ what: String,
        _ condition: (Job) -> Bool
    ) async throws -> (job: Job, after: Duration) {
        let started = ContinuousClock.now
        while true {
            let job = try #require(try await store.job(id))
            if condition(job) { return (job, ContinuousClock.now - started) }
            if ContinuousClock.now - started > timeout {
                Issue.record(
                    "job \(id) not \(what) within \(timeout): \(job.state), \(job.planDone)/\(job.planTotal ?? -1), error \(job.lastError ?? "none")"
                )
                return (job, ContinuousClock.now - started)
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The counts the up migrations left: each node's `count` and the order of steps applied.
    func counts(database: String? = nil) async throws -> [BoltRecord] {
        try await server.withDatabase(database) { connection, options in
            try await connection.run(
                "MATCH (n:\(label)) RETURN n.count AS count, n.steps AS steps, count(*) AS nodes ORDER BY count",
                options: options
            ).collect()
        }
    }

    /// Every node's count is exactly 1: each of the `nodes` was changed once, none skipped, none twice.
    func expectEveryNodeChangedOnce(_ nodes: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let counts = try await counts()
        #expect(counts.count == 1, "counts differ: \(counts.map(\.values))", sourceLocation: sourceLocation)
        #expect(counts.first?["count"] == 1, sourceLocation: sourceLocation)
        #expect(counts.first?["nodes"] == .integer(Int64(nodes)), sourceLocation: sourceLocation)
    }

    /// `sluice status JOB` (with `--json` if `json`) on this fixture's job store, as an operator runs it.
    func status(_ job: JobID, json: Bool = false) async throws -> ProcessRun {
        var environment = cluster.libpqEnvironment
        environment["PATH"] = "/usr/bin:/bin"
        return try await ProcessRun.run(
            CypherCommandTests.executable,
            ["status", "\(job)", "--schema", schema] + (json ? ["--json"] : []),
            environment: environment
        )
    }

    /// Migration 001 enqueued and run by a daemon (worker `dies`, with `environment`) that is SIGKILLed once `done`
    /// items are done: a running job whose lease is left to run out (6 s).
    func jobWhoseDaemonDied(after done: Int64, batchSize: Int, environment: [String: String]) async throws -> Job {
        let dying = try start(worker: "dies", environment: environment)
        defer { dying.kill(SIGKILL) }
        let job = try await enqueue(1, batchSize: batchSize)
        _ = try await waitFor(job.id, timeout: .seconds(120), "running") { $0.planDone >= done }
        dying.kill(SIGKILL)
        _ = await Self.stop(dying)
        return job
    }

    /// Stops a daemon with SIGTERM and waits for it (at most `timeout`); returns its exit status and how long.
    static func stop(
        _ daemon: JobStoreTestDatabase.Child,
        timeout: Duration = .seconds(30)
    ) async -> (
        status: Int32?, after: Duration
    ) {
        let started = ContinuousClock.now
        daemon.kill(SIGTERM)
        let status = await withTaskGroup(of: Int32?.self) { group in
            group.addTask { await daemon.wait() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        if status == nil { daemon.kill(SIGKILL) }
        return (status, ContinuousClock.now - started)
    }

    /// A line of a daemon's stderr carries `job`'s fields (SLUICE_JOB, MIGRATION, DIRECTION in the journal).
    static func namesJob(_ line: some StringProtocol, _ job: Job) -> Bool {
        line.contains(" sluice_job=\(job.id)") && line.contains(" migration=\(job.migrationVersion)")
            && line.contains(" direction=\(job.direction.rawValue)")
    }

    /// The daemon's stderr, for a failing test's record.
    static func dump(_ daemon: JobStoreTestDatabase.Child, _ name: String) {
        print("---- \(name) stderr ----\n\(daemon.standardError.suffix(6_000))\n---- end \(name) ----")
    }

    /// A migration that adds one to `count` and appends `STEP` to `steps`: wrong if applied twice or out of
    /// order, so every node shows which jobs reached it and how often.
    static func countingMigration(step: Int) -> String {
        """
        // sluice:description Step \(step): adds one to every LABEL's count and records the step.

        // sluice:up data
        MATCH (n:LABEL)
        WHERE n.count IS NOT NULL
        SET n.count = n.count + 1, n.steps = n.steps + '\(step);'

        // sluice:up verify
        MATCH (n:LABEL) WHERE n.count < \(step) RETURN count(n) = 0 AS ok

        // sluice:down data
        MATCH (n:LABEL)
        WHERE n.count IS NOT NULL
        SET n.count = n.count - 1

        // sluice:down verify
        MATCH (n:LABEL) WHERE n.count >= \(step) RETURN count(n) = 0 AS ok

        """
    }

    static func migrationFile(step: Int) -> String {
        String(format: "%03d_step_%d.cypher", step, step)
    }

    /// The folder most daemon tests run: step 1's counting migration alone.
    static let firstStep = [migrationFile(step: 1): countingMigration(step: 1)]

    /// ``firstStep`` made slow: about a millisecond an item on ArcadeDB, so that something can happen while a batch
    /// runs (a batch of 1,000 takes about a second).
    static let slowFirstStep = [
        migrationFile(step: 1): countingMigration(step: 1).replacingOccurrences(
            of: "WHERE n.count IS NOT NULL\nSET n.count = n.count + 1",
            with: "WHERE n.count IS NOT NULL AND reduce(t = 0, i IN range(1, 3000) | t + i) > 0\n"
                + "SET n.count = n.count + 1"
        )
    ]
}

/// What a daemon sent to its NOTIFY_SOCKET, stamped with when it arrived; read on a thread of its own.
final class NotifyRecorder: @unchecked Sendable {
    let socket: NotifySocket
    private let lock = NSLock()
    private var received: [(at: ContinuousClock.Instant, text: String)] = []
    private var stopped = false

    init() throws {
        socket = try NotifySocket()
        let thread = Thread { [self] in
            while !isStopped {
                guard let text = try? socket.receive() else { continue }
                lock.lock()
                received.append((ContinuousClock.now, text))
                lock.unlock()
            }
        }
        thread.start()
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
    }

    var messages: [(at: ContinuousClock.Instant, text: String)] {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    /// Waits until a message containing `needle` arrived; returns when, or nil after `timeout`.
    func waitFor(_ needle: String, timeout: Duration) async throws -> ContinuousClock.Instant? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let found = messages.first(where: { $0.text.contains(needle) }) { return found.at }
            try await Task.sleep(for: .milliseconds(5))
        }
        return nil
    }
}

extension BoltTestServer {
    /// What `job`'s graph-side node says of its end (`finished`, false when unset); nil when there is no node.
    func jobNodeFinished(_ job: Job) async throws -> BoltValue? {
        try await withDatabase(nil) { connection, options in
            try await connection.run(
                "MATCH (j:SluiceJob {id: $id}) RETURN coalesce(j.finished, false) AS finished",
                parameters: ["id": GraphJobNode.key(job)],
                options: options
            ).collect().first?["finished"]
        }
    }

    /// Runs `body` on a connection with options for `database` (the configured one when nil).
    func withDatabase<T>(
        _ database: String?,
        _ body: (BoltConnection, BoltTransactionOptions) async throws -> T
    ) async throws -> T {
        let connection = try await connect()
        do {
            let result = try await body(connection, BoltTransactionOptions(database: database ?? self.database))
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }
}
