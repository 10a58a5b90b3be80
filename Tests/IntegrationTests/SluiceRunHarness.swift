import Bolt
import Foundation
import JobStore
import Testing

/// The real `sluice run` executable against one test server and the test Postgres: a migration folder
/// of its own, a job-store schema of its own, and the environment the command reads. Tests start,
/// kill, stop and race its processes, and read the job's progress from the same schema.
struct SluiceRunHarness {
    let server: BoltTestServer
    let folder: URL
    let schema: String
    let environment: [String: String]
    /// The job store the processes write, opened by the test to watch progress.
    let store: JobStore
    /// How every run is paced: `--no-throttle` unless the test needs a rate cap to keep a job running long
    /// enough (the throttle's own tests are elsewhere).
    let throttle: [String]

    /// Nil (skipped, said so) when Postgres is not configured outside CI; under CI a missing Postgres
    /// fails the test.
    static func make(
        server: BoltTestServer,
        migration: String,
        file: String = "001_test.cypher",
        throttle: [String] = ["--no-throttle"],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> SluiceRunHarness? {
        guard JobStoreTestDatabase.isConfigured else {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                Issue.record("CI=true but PGHOST is not set", sourceLocation: sourceLocation)
            } else {
                print("SKIPPED on \(server.name): PGHOST is not set (run through scripts/test)")
            }
            return nil
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try migration.write(to: folder.appendingPathComponent(file), atomically: true, encoding: .utf8)
        let schema = JobStoreTestDatabase.uniqueSchema()
        var environment = CypherCommandTests.environment(for: server)
        for key in ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD"] {
            environment[key] = ProcessInfo.processInfo.environment[key]
        }
        let store = try await JobStore.open(JobStoreTestDatabase.configuration(schema: schema), migrate: true)
        return SluiceRunHarness(
            server: server,
            folder: folder,
            schema: schema,
            environment: environment,
            store: store,
            throttle: throttle
        )
    }

    /// `sluice run VERSION --migrations <folder> --schema <schema>`, the harness's throttle arguments, then
    /// `extra`. Unthrottled by default: these tests are about exactly-once and fencing, and a pause for latency on
    /// a loaded machine would only slow them.
    func arguments(_ version: String, _ extra: [String]) -> [String] {
        ["run", version, "--migrations", folder.path, "--schema", schema] + throttle + extra
    }

    /// Starts `sluice run`; output goes to files, read once it exits.
    func start(_ version: String = "1", _ extra: [String] = []) throws -> JobStoreTestDatabase.Child {
        try JobStoreTestDatabase.Child(
            CypherCommandTests.executable.path,
            arguments(version, extra),
            environment: environment
        )
    }

    /// Starts `sluice run` and waits until its job has checkpointed a batch, so that the test can stop or kill it
    /// mid-job; records an issue when the run ended before that (the job was too small, or it failed).
    func startMidJob(
        _ version: String = "1",
        _ extra: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> JobStoreTestDatabase.Child {
        let running = try start(version, extra)
        let started = try await eventually(timeout: .seconds(300)) {
            guard running.process.isRunning else { return true }
            return (try await job()?.planDone ?? 0) > 0
        }
        #expect(
            started && running.process.isRunning,
            "the run ended before it could be stopped mid-job: \(running.standardError)",
            sourceLocation: sourceLocation
        )
        return running
    }

    /// The one job of this harness's schema, as the job store has it now.
    func job() async throws -> Job? {
        try await store.jobs().first
    }

    /// Counts a property's values over `label`: `[value: nodes]`.
    func histogram(of property: String, label: String) async throws -> [BoltValue: Int64] {
        try await server.withConnection { connection in
            let rows = try await server.query(
                connection,
                "MATCH (n:\(label)) RETURN n.\(property) AS value, count(*) AS nodes"
            )
            var histogram: [BoltValue: Int64] = [:]
            for row in rows { histogram[row["value"] ?? .null] = row["nodes"]?.intValue ?? 0 }
            return histogram
        }
    }

    /// ``histogram(of:label:)`` once it holds still for a second (up to 30 s): a batch a stopped run sent just
    /// before its SIGSTOP may still commit on the server.
    func settledHistogram(of property: String, label: String) async throws -> [BoltValue: Int64] {
        var last = try await histogram(of: property, label: label)
        for _ in 0..<30 {
            try await Task.sleep(for: .seconds(1))
            let now = try await histogram(of: property, label: label)
            if now == last { break }
            last = now
        }
        return last
    }

    /// Deletes the nodes, the folder and the schema.
    func cleanUp(label: String) async {
        try? await server.withConnection { connection in
            _ = try await server.query(connection, "MATCH (n:\(label)) DELETE n")
        }
        await store.close()
        await JobStoreTestDatabase.dropSchema(schema)
        try? FileManager.default.removeItem(at: folder)
    }
}
