import Foundation
import JobStore
import Testing

/// The job store against a real Postgres 15.
///
/// Serialized: its tests were written to run one at a time. The one that restarts Postgres restarts the outage
/// cluster (``PostgresTestCluster/outage``), which no other test uses meanwhile.
@Suite(
    .serialized,
    .enabled(Comment(rawValue: JobStoreTestDatabase.missingReason)) { JobStoreTestDatabase.shouldRun() }
)
struct JobStoreIntegrationTests {
    @Test func schemaIsCreatedFromEmptyAndReappliedIdempotently() async throws {
        try await JobStoreTestDatabase.withStore(migrate: false) { store in
            #expect(try await store.schemaVersion() == nil)
            await #expect(throws: JobStoreError.schemaMissing(schema: store.schema.name)) {
                try await store.countsByState()
            }

            let first = try await store.migrate()
            #expect(first.from == 0 && first.to == JobStoreSchema.latestVersion)
            let second = try await store.migrate()
            #expect(second.from == JobStoreSchema.latestVersion && second.to == JobStoreSchema.latestVersion)

            let tables = try await store.connection.query(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = $1::text ORDER BY 1",
                [store.schema.name]
            ).map { try $0.decode("table_name", as: String.self) }
            #expect(
                tables == [
                    "history", "job_events", "jobs", "plan_chunks", "plan_runs", "plans", "quarantine",
                    "schema_version", "workers",
                ]
            )
            let versions = try await store.connection.query(
                "SELECT version FROM \(store.schema.quoted).schema_version ORDER BY version"
            ).map { try $0.decode("version", as: Int.self) }
            #expect(versions == Array(1...JobStoreSchema.latestVersion))
            let counts = try await store.countsByState()
            #expect(counts.values.allSatisfy { $0 == 0 } && counts.count == JobState.allCases.count)
        }
    }

    /// Daemons announce the graph server they serve, as alive for a while: listed until that lapses or they retire.
    @Test func workersAreListedWhileTheirAnnouncementLasts() async throws {
        try await JobStoreTestDatabase.withStore { store in
            let first = WorkerInstance(worker: WorkerIdentity(rawValue: "host-a/sluice.service"))
            let second = WorkerInstance(worker: WorkerIdentity(rawValue: "host-b/sluice.service"))
            func announce(_ instance: WorkerInstance, _ url: String, _ version: String, _ alive: Duration) async throws
            {
                let other = try await store.announce(
                    instance,
                    serving: url,
                    version: version,
                    aliveFor: alive,
                    takingOver: false
                )
                #expect(other == nil, "\(instance.worker) is held by \(String(describing: other))")
            }
            try await announce(first, "bolt://127.0.0.1:7687", "0.1.0", .seconds(60))
            try await announce(second, "bolt://db:7687", "0.1.0", .seconds(1))
            var live = try await store.liveWorkers()
            #expect(
                live.map(\.worker) == [first.worker, second.worker]
                    && live.map(\.url) == ["bolt://127.0.0.1:7687", "bolt://db:7687"]
            )
            #expect(live.map(\.process) == [WorkerInstance.thisProcess, WorkerInstance.thisProcess])
            let started = try #require(live.first?.startedAt)

            // Announced again: the same worker, its start kept, now serving what its reloaded configuration names.
            try await announce(first, "bolt://localhost:7687", "0.1.1", .seconds(60))
            try await Task.sleep(for: .milliseconds(1_200))
            live = try await store.liveWorkers()
            #expect(live.map(\.worker) == [first.worker], "the second's second lapsed: \(live)")
            #expect(live.first?.url == "bolt://localhost:7687" && live.first?.version == "0.1.1")
            #expect(live.first?.startedAt == started && live.first.map { $0.seenAt > started } == true)

            // A lapsed worker that announces itself again starts again.
            try await announce(second, "bolt://db:7687", "0.1.0", .seconds(60))
            live = try await store.liveWorkers()
            #expect(live.count == 2 && live[1].startedAt > started)

            try await store.retire(first)
            try await store.retire(second)
            #expect(try await store.liveWorkers().isEmpty)
        }
    }

    @Test func concurrentMigratorsSerializeOnTheAdvisoryLock() async throws {
        try JobStoreTestDatabase.requireConfigured()
        let schema = JobStoreTestDatabase.uniqueSchema()
        defer { Task { await JobStoreTestDatabase.dropSchema(schema) } }
        // Six daemons starting at once, each with its own session.
        let results = try await withThrowingTaskGroup(of: (from: Int, to: Int).self) { group in
            for _ in 0..<6 {
                group.addTask {
                    let store = try JobStore(JobStoreTestDatabase.configuration(schema: schema))
                    let result = try await store.migrate()
                    await store.close()
                    return result
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.filter { $0.from == 0 }.count == 1, "exactly one migrator created the schema: \(results)")
        #expect(results.allSatisfy { $0.to == JobStoreSchema.latestVersion })
        await JobStoreTestDatabase.dropSchema(schema)
    }

    @Test func jobsRoundTripWithEveryColumn() async throws {
        try await JobStoreTestDatabase.withStore { store in
            var request = JobStoreTestDatabase.request(target: "roundtrip", priority: 3)
            request.target = JobTarget(url: "neo4j://neo:s3cret@Graph.Example:7687", database: "movies")
            request.options = PostgresJSON(text: #"{"asOf": "2024-05-01", "max_items": 2000000}"#)
            request.notBefore = Date(timeIntervalSince1970: 1_700_000_000.25)
            let job = try await store.enqueue(request)
            #expect(job.state == .queued)
            #expect(job.target.url == "neo4j://graph.example:7687")
            #expect(job.target.database == "movies")
            #expect(job.priority == 3)
            #expect(job.notBefore == Date(timeIntervalSince1970: 1_700_000_000.25))
            struct Options: Decodable, Equatable {
                var asOf: String
                var max_items: Int
            }
            #expect(try job.options.decode(Options.self) == Options(asOf: "2024-05-01", max_items: 2_000_000))
            #expect(abs(job.createdAt.timeIntervalSinceNow) < 60)
            let read = try await store.job(job.id)
            #expect(read == job)
            #expect(try await store.jobs(states: [.queued]).map(\.id) == [job.id])
            #expect(try await store.jobs(states: [.running]).isEmpty)
            #expect(try await store.job(JobID(rawValue: 999_999)) == nil)
            // The database refuses credentials in a target URL even if a caller got around JobTarget.
            let refused = await #expect(throws: PostgresError.self) {
                try await store.connection.query(
                    "UPDATE \(store.schema.quoted).jobs SET target_url = $1::text WHERE id = $2::bigint",
                    ["bolt://u:p@h:7687", job.id]
                )
            }
            #expect(refused?.sqlState == "23514")  // check_violation
        }
    }
}
