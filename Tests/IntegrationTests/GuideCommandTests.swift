import Bolt
import Foundation
import Testing

/// Dry run, pre-flight, bad input, `list`, `run --all`, `baseline` and `finalize` on the guide-shaped
/// graph. In the same serialized suite as the eight migrations: they share its labels.
extension GuideMigrationsTests {
    /// A folder of migration files for one test, removed afterwards.
    struct Folder {
        let url: URL

        init(_ files: [String: String]) throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent(
                "sluice-guide-\(UInt32.random(in: 0...UInt32.max))"
            )
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            for (name, text) in files {
                try text.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8)
            }
        }

        func remove() { try? FileManager.default.removeItem(at: url) }
    }

    /// A migration marking every Project, with `extra` directives.
    static func touchProjects(
        extra: String = "",
        change: String = "SET p.touched = true",
        verify: String = "count(p) = 0"
    ) -> String {
        """
        // sluice:description Marks every Project.
        \(extra)

        // sluice:up data
        MATCH (p:Project)
        WHERE p.touched IS NULL
        \(change)

        // sluice:up verify
        MATCH (p:Project) WHERE p.touched IS NULL RETURN \(verify) AS ok

        // sluice:down data
        MATCH (p:Project)
        WHERE p.touched IS NOT NULL
        REMOVE p.touched

        // sluice:down verify
        MATCH (p:Project) WHERE p.touched IS NOT NULL RETURN count(p) = 0 AS ok

        """
    }

    func prepared(_ name: String) async throws -> GuideGraph? {
        guard let server = try GuideGraph.server(name) else { return nil }
        guard ProcessInfo.processInfo.environment["PGHOST"] != nil else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("CI=true but PGHOST is not set") }
            print("SKIPPED on \(name): PGHOST is not set (run through scripts/test)")
            return nil
        }
        print("RAN on \(server)")
        let graph = GuideGraph(server: server)
        try await graph.reset()
        return graph
    }

    @Test(arguments: ["arcadedb", "falkordb"])
    func dryRunWritesNothingAndCountsWhatTheRunDoes(server: String) async throws {
        guard let graph = try await prepared(server) else { return }
        let original = try await graph.snapshot()
        let schema = Self.schema()
        if graph.server.name == "arcadedb" {
            let dry = try await graph.sluice(["run", "007", "--dry-run", "--sample", "100"], schema: schema)
            #expect(dry.status == 0, "\(dry.errors)")
            #expect(dry.output.contains("items planned: 3\n"), "\(dry.output)")
            #expect(dry.output.contains("UNWIND $sluice_ids AS sluice_item"), "the batch statement is shown")
            #expect(dry.output.contains("EXPLAIN:\n    OpenCypher Native Execution Plan"), "\(dry.output)")
            #expect(dry.output.contains("sample: 3 items run, 3 changed, rolled back"), "\(dry.output)")
            await #expect(try graph.snapshot() == original, "the dry run wrote")
            let real = try await graph.sluice(["run", "007"], schema: schema)
            #expect(real.output.contains("succeeded, 3 items planned, 3 changed"), "\(real.output) \(real.errors)")
            // A declared parameter is shown as the server evaluates it now.
            let dated = try await graph.sluice(["run", "008", "--dry-run"], schema: schema)
            #expect(dated.output.contains("parameter $asOf = "), "\(dated.output)\(dated.errors)")
        } else {
            let sample = try await graph.sluice(["run", "007", "--dry-run", "--sample", "2"], schema: schema)
            #expect(sample.status == 1)
            #expect(sample.errors.contains("--sample needs a server whose ROLLBACK undoes writes"), "\(sample.errors)")
            let dry = try await graph.sluice(["run", "007", "--dry-run"], schema: schema)
            #expect(dry.status == 0, "\(dry.errors)")
            #expect(dry.output.contains("items planned: 3\n"), "\(dry.output)")
            #expect(dry.output.contains("unavailable: the server returns no plan over Bolt"), "\(dry.output)")
            await #expect(try graph.snapshot() == original, "the dry run wrote")
        }
    }

    @Test(arguments: ["arcadedb", "falkordb"])
    func preflightRefusesTooManyItemsAndMissingIndexesBeforeAnyWrite(server: String) async throws {
        guard let graph = try await prepared(server) else { return }
        let original = try await graph.snapshot()
        let folder = try Folder([
            "001_touch_few.cypher": Self.touchProjects(extra: "// sluice:max_items 3"),
            "002_touch_indexed.cypher": Self.touchProjects(extra: "// sluice:uses_index :Project(sluiceMissing)"),
        ])
        defer { folder.remove() }
        let schema = Self.schema()
        func run(_ arguments: [String]) async throws -> CypherCommandTests.Run {
            try await graph.sluice(arguments, schema: schema, migrations: folder.url.path)
        }
        // The dry run says what pre-flight would refuse and exits 1, so that it can gate a deploy; it skips what the
        // run would skip.
        let preview = try await run(["run", "1", "--dry-run"])
        #expect(
            preview.status == 1 && preview.output.contains("pre-flight would refuse: max_items:"),
            "\(preview.output)"
        )
        let previewSkipping = try await run(["run", "1", "--dry-run", "--skip-preflight", "max_items"])
        #expect(
            previewSkipping.status == 0 && !previewSkipping.output.contains("would refuse"),
            "\(previewSkipping.output)"
        )

        let tooMany = try await run(["run", "1"])
        #expect(tooMany.status == 1)
        #expect(
            tooMany.errors.contains("pre-flight: max_items: the predicate selects 5 items, more than max_items 3"),
            "\(tooMany.errors)"
        )
        #expect(tooMany.errorMessages.count == 1, "one line: \(tooMany.errors)")
        await #expect(try graph.snapshot() == original, "a refused job wrote")

        let unindexed = try await run(["run", "2"])
        #expect(unindexed.status == 1)
        #expect(unindexed.errors.contains("indexes: index :Project(sluiceMissing)"), "\(unindexed.errors)")
        #expect(unindexed.errors.contains("--skip-preflight indexes"), "\(unindexed.errors)")
        await #expect(try graph.snapshot() == original, "a refused job wrote")

        // An index the direction's own schema step creates before its data step is not refused by the dry run, which
        // runs no schema step: it says the check is left to the run.
        let created =
            Self.touchProjects(extra: "// sluice:uses_index :Project(sluiceMissing)").replacingOccurrences(
                of: "// sluice:up data",
                with:
                    "// sluice:up schema\nCREATE INDEX sluice_missing IF NOT EXISTS FOR (p:Project) ON (p.sluiceMissing)\n\n"
                    + "// sluice:up data"
            ) + "\n// sluice:down schema\nDROP INDEX sluice_missing IF EXISTS\n"
        let withSchema = try Folder(["003_indexed_by_its_schema_step.cypher": created])
        defer { withSchema.remove() }
        let schemaFirst = try await graph.sluice(
            ["run", "3", "--dry-run"],
            schema: schema,
            migrations: withSchema.url.path
        )
        #expect(
            schemaFirst.status == 0
                && schemaFirst.output.contains("pre-flight not checked: indexes: checked after the schema steps"),
            "\(schemaFirst.output)\(schemaFirst.errors)"
        )

        // Skipping one named check skips only that one.
        let skipped = try await run(["run", "1", "--skip-preflight", "indexes"])
        #expect(skipped.status == 1, "max_items must still refuse: \(skipped.output)")

        // The refusals wrote nothing, so the history has no entry for them, however often they were tried; each job
        // ends failed with its reason, which `status` shows.
        #expect(try await Self.history(graph, schema: schema) == [], "a refusal was recorded in the history")
        let refusedJob = try #require(tooMany.errors.firstMatch(of: /\(job (\d+)\)/)?.1)
        let status = try await CypherCommandTests.sluice(
            ["status", String(refusedJob), "--json", "--schema", schema],
            environment: graph.environment
        )
        let refusal = try JSONDecoder().decode(RefusedJob.self, from: Data(status.output.utf8))
        #expect(refusal.state == "failed", "\(status.output)\(status.errors)")
        #expect(refusal.lastError?.contains("pre-flight: max_items:") == true, "\(status.output)")

        let forced = try await run(["run", "1", "--skip-preflight", "max_items"])
        #expect(forced.status == 0, "\(forced.errors)")
        #expect(forced.output.contains("5 items planned, 5 changed"), "\(forced.output)")
        #expect(
            try await Self.history(graph, schema: schema) == [HistoryEntry(version: "001", status: "applied", items: 5)]
        )
    }

    /// `sluice history --json` of the job store in `schema`, newest first.
    static func history(_ graph: GuideGraph, schema: String) async throws -> [HistoryEntry] {
        let listed = try await CypherCommandTests.sluice(
            ["history", "--json", "--schema", schema],
            environment: graph.environment
        )
        #expect(listed.status == 0, "\(listed.errors)")
        return try JSONDecoder().decode(History.self, from: Data(listed.output.utf8)).history
    }

    /// `sluice history --json`, as far as these tests read it.
    struct History: Decodable {
        var history: [HistoryEntry]
    }

    struct HistoryEntry: Decodable, Equatable {
        var version: String
        var status: String
        var items: Int64
    }

    /// `sluice status JOB --json`, as far as a refused job's is read.
    struct RefusedJob: Decodable {
        var state: String
        var lastError: String?
    }

    @Test(arguments: ["arcadedb", "falkordb"])
    func badInputIsOneLineAndWritesNothing(server: String) async throws {
        guard let graph = try await prepared(server) else { return }
        let original = try await graph.snapshot()
        let schema = Self.schema()
        func run(_ files: [String: String], _ arguments: [String]) async throws -> CypherCommandTests.Run {
            let folder = try Folder(files)
            defer { folder.remove() }
            return try await graph.sluice(arguments, schema: schema, migrations: folder.url.path)
        }
        let good = Self.touchProjects()
        let cases: [(String, [String: String], [String], String)] = [
            (
                "syntax error",
                ["001_bad.cypher": good.replacingOccurrences(of: "// sluice:up data", with: "// sluice:upp data")],
                ["run", "1"], "001_bad.cypher:"
            ),
            (
                "missing down",
                ["001_no_down.cypher": String(good[..<good.range(of: "// sluice:down data")!.lowerBound])],
                ["run", "1"], "no '// sluice:down ...' section"
            ),
            (
                "duplicate version", ["001_one.cypher": good, "1_other.cypher": good], ["run", "1"],
                "version 001 is also used by"
            ),
            ("unknown version", ["001_one.cypher": good], ["run", "42"], "sluice: error: no migration 042 in"),
        ]
        for (what, files, arguments, message) in cases {
            let result = try await run(files, arguments)
            #expect(result.status == 1, "\(what)")
            #expect(result.errors.contains(message), "\(what): \(result.errors)")
            #expect(result.errors.split(separator: "\n").allSatisfy { !$0.isEmpty }, "\(what)")
            #expect(result.output.isEmpty, "\(what): \(result.output)")
        }
        await #expect(try graph.snapshot() == original, "bad input wrote")

        // The job store does not answer while the server is being probed (the two start together): one line, no
        // password, nothing written. Not through `graph.sluice`, which waits out Postgres outages.
        let noStore = try await CypherCommandTests.sluice(
            [
                "run", "007", "--migrations", GuideGraph.repositoryMigrations, "--schema", schema, "--postgres",
                "host=/nonexistent port=1 password=NeverShowMe123",
            ],
            environment: graph.environment
        )
        #expect(noStore.status == 1)
        #expect(noStore.errors.hasPrefix("sluice: error: cannot connect to Postgres"), "\(noStore.errors)")
        #expect(noStore.errorMessages.count == 1 && !noStore.errors.contains("NeverShowMe123"), "\(noStore.errors)")
        await #expect(try graph.snapshot() == original, "a run without its job store wrote")

        if graph.server.name == "arcadedb" {
            // A Cypher error in the batch statement: the job fails at its first batch, which rolls back.
            let broken = try await run(
                ["001_broken.cypher": Self.touchProjects(change: "SET p.touched = sluiceNoSuchFunction(p.name)")],
                ["run", "1"]
            )
            #expect(broken.status == 1)
            #expect(broken.errors.contains("sluice: error: 001 up: graph:"), "\(broken.errors)")
            #expect(broken.errors.contains("sluiceNoSuchFunction"), "\(broken.errors)")
            #expect(broken.errorMessages.count == 1, "one line: \(broken.errors)")
            await #expect(try graph.snapshot() == original, "a failed batch left writes")
            try await graph.server.withConnection { connection in
                let jobs = try await graph.server.query(
                    connection,
                    "MATCH (j:SluiceJob) WHERE coalesce(j.finished, false) = false RETURN count(j) AS n"
                )
                #expect(jobs.first?["n"] == 0, "the failed job's node was left unfinished")
            }
        }
    }
}
