import Bolt
import Engine
import Foundation
import JobStore
import Logging
import Migrations
import Synchronization
import Throttle

/// A paced job on a real Bolt server, run in-process by the engine: `nodes` nodes of a label of its own, a migration
/// that sets a property on each, and its job claimed from a store. The progress the runner reports is kept, with the
/// time it arrived, so tests can wait for a condition instead of sleeping.
final class ThrottleTestJob: Sendable {
    struct Report: Sendable {
        var at: ContinuousClock.Instant
        var progress: JobRunner.Progress
    }

    let server: BoltTestServer
    let label: String
    let nodes: Int
    let migration: MigrationFile
    let reports = Mutex<[Report]>([])
    /// How the run ended, once it has: waiting for progress after that fails at once.
    let ending = Mutex<String?>(nil)

    /// Seeds the nodes (a property `i` from 1) and parses the migration; its probe is `probe` when given. `cost` > 0
    /// gives each item that much arithmetic besides its mark (a sum over `1...cost`, stored in `n.cost`): a batch
    /// then takes long enough for few nodes to keep a job busy for a minute.
    init(server: BoltTestServer, nodes: Int, probe: String? = nil, cost: Int = 0) async throws {
        self.server = server
        self.nodes = nodes
        let label = BoltTestServer.uniqueLabel("Paced")
        self.label = label
        let probeSection = probe.map { "// sluice:probe\n\($0)\n\n" } ?? ""
        let work = cost > 0 ? ", n.cost = reduce(s = 0, x IN range(1, \(cost)) | s + x)" : ""
        let text = """
            // sluice:description Marks every \(label): a job for the throttle's tests.

            \(probeSection)// sluice:up data
            MATCH (n:\(label))
            WHERE n.marked IS NULL
            SET n.marked = true\(work)

            // sluice:up verify
            MATCH (n:\(label)) WHERE n.marked IS NULL RETURN count(n) = 0 AS ok

            // sluice:down data
            MATCH (n:\(label))
            WHERE n.marked IS NOT NULL
            REMOVE n.marked

            // sluice:down verify
            MATCH (n:\(label)) WHERE n.marked IS NOT NULL RETURN count(n) = 0 AS ok

            """
        migration = try MigrationParser.parse(
            Array(text.utf8),
            path: "migrations/001_mark_\(label.lowercased()).cypher"
        )
        try await server.withConnection { connection in
            var created = 0
            while created < nodes {
                let upTo = min(nodes, created + 100_000)
                _ = try await server.query(
                    connection,
                    "UNWIND range(\(created + 1), \(upTo)) AS i CREATE (:\(label) {i: i})"
                )
                created = upTo
            }
        }
    }

    /// Enqueues the job in `store` and claims it. Job ids start at a random number: the graph's job node is keyed by
    /// the id, and other tests' stores (schemas of their own) on the same graph start at 1 too.
    func claim(in store: JobStore, batchSize: Int) async throws -> JobLease {
        try await JobStoreTestDatabase.randomizeJobIDs(of: store)
        let job = try await store.enqueue(.test(migration, on: server, batchSize: batchSize))
        return try await JobStoreTestDatabase.claim(job, from: store, as: "throttle-test-\(label)", for: .seconds(60))
    }

    /// The runner for `lease` on `connection`, paced by `pacer`. The server's capabilities are its dialect's (FalkorDB's
    /// for the shared one and a private one alike): the probe writes nodes that processes killed by other tests may
    /// hold locked for a while.
    func runner(
        store: JobStore,
        connection: BoltConnection,
        pacer: BatchPacer<ContinuousClock>,
        logger: Logger
    ) -> JobRunner {
        JobRunner(
            store: store,
            connection: connection,
            capabilities: (server.name.hasSuffix("falkordb") ? BoltCapabilities.Dialect.falkordb : .neo4j).capabilities,
            migration: migration,
            pacer: pacer,
            logger: logger
        )
    }

    /// A probe on its own connection to the server, timing the migration's probe, else `configured` (as the daemon's
    /// `[throttle] probe`), else `RETURN 1`.
    func probe(
        interval: Duration,
        timeout: Duration = .seconds(2),
        configured: String? = nil,
        logger: Logger
    ) -> LatencyProbe {
        let server = server
        return LatencyProbe(
            migration: migration,
            configured: configured,
            configuration: LatencyProbe.Configuration(interval: interval, timeout: timeout),
            options: server.options,
            logger: logger
        ) { () async throws(BoltError) in
            try await BoltConnection.connect(to: server.url, auth: server.auth)
        }
    }

    /// Runs the job to its end, noting how it ended.
    func run(_ runner: JobRunner, _ lease: JobLease, probe: LatencyProbe) async throws -> JobRunner.Ending {
        do {
            let ending = try await runner.run(lease, probe: probe) { self.record($0) }
            self.ending.withLock { $0 = "\(ending)" }
            return ending
        } catch {
            self.ending.withLock { $0 = "\(error)" }
            throw error
        }
    }

    func record(_ progress: JobRunner.Progress) {
        reports.withLock { $0.append(Report(at: .now, progress: progress)) }
    }

    var latest: Report? { reports.withLock { $0.last } }

    /// The last report of a committed batch: what the journal's last "batch committed" and STATUS= say.
    var latestCommitted: Report? { reports.withLock { $0.last { $0.progress.committedBatch } } }

    /// Polls the reports until one satisfies `condition`, for at most `timeout`.
    func waitFor(
        _ what: String,
        timeout: Duration = .seconds(60),
        _ condition: (Report) -> Bool
    ) async throws -> Report {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let report = reports.withLock({ $0.last(where: condition) }) { return report }
            if let ending = ending.withLock({ $0 }) {
                throw TestFailure("the run ended (\(ending)) while waiting for \(what)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("timed out after \(timeout) waiting for \(what); last report: \(String(describing: latest))")
    }

    /// The job's rate in items per second from `start` to the first batch committed at least `span` later: waits for it.
    func rate(over span: Duration, after start: Report) async throws -> Double {
        let end = try await waitFor("\(span) of batches", timeout: span + .seconds(120)) {
            $0.progress.committedBatch && $0.at >= start.at + span
        }
        return Double(end.progress.done - start.progress.done) / ((end.at - start.at) / .seconds(1))
    }

    /// How many nodes carry the mark, and removes them all.
    func markedAndCleanUp() async throws -> Int {
        try await server.withConnection { connection in
            let records = try await server.query(
                connection,
                "MATCH (n:\(label)) WHERE n.marked = true RETURN count(n) AS marked"
            )
            _ = try await server.query(connection, "MATCH (n:\(label)) DETACH DELETE n")
            return Int(records.first?["marked"]?.intValue ?? -1)
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
