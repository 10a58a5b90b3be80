import Bolt
import Engine
import Foundation
import Testing

/// `list` states, `run --all`, `baseline` and `finalize`, on the guide-shaped graph.
extension GuideMigrationsTests {
    /// The STATE column of `sluice list`, by version.
    static func states(_ output: String) -> [String: String] {
        var states: [String: String] = [:]
        for line in output.split(separator: "\n").dropFirst() {
            let cells = line.split(separator: "  ", omittingEmptySubsequences: true).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            if cells.count >= 2 { states[cells[0]] = cells[1] }
        }
        return states
    }

    @Test func listShowsStatesAndRunAllStopsAtTheFirstFailure() async throws {
        guard let graph = try await prepared("arcadedb") else { return }
        let failing = Self.touchProjects(verify: "count(p) < 0").replacingOccurrences(
            of: "p.touched",
            with: "p.flagged"
        )
        let folder = try Folder([
            "001_touch.cypher": Self.touchProjects(),
            "002_flag_but_fail_verify.cypher": failing,
            "003_mark.cypher": Self.touchProjects().replacingOccurrences(of: "p.touched", with: "p.marked"),
        ])
        defer { folder.remove() }
        let schema = Self.schema()
        func run(_ arguments: [String]) async throws -> CypherCommandTests.Run {
            try await graph.sluice(arguments, schema: schema, migrations: folder.url.path)
        }
        // A listing runs no DDL: a job store not created yet is named with the command that creates it.
        let uncreated = try await run(["list"])
        #expect(
            uncreated.status == 1 && uncreated.errors.contains("run `sluice db migrate --schema \(schema)`"),
            "\(uncreated.errors)"
        )

        let all = try await run(["run", "--all"])
        #expect(all.status == 1)
        #expect(all.output.contains("001 up: succeeded, 5 items planned, 5 changed"), "\(all.output)")
        #expect(all.errors.contains("002 up: failed: verify (line"), "\(all.errors)")
        #expect(all.errors.contains("did not pass: ok=FALSE"), "\(all.errors)")
        #expect(!all.output.contains("003"), "--all went on after a failure")

        // verify --json: one object with the query's answer by column, passed or not; exit 1 when not.
        for (version, passed) in [("1", true), ("2", false)] {
            let verify = try await graph.sluice(
                ["verify", version, "--json"],
                schema: nil,
                migrations: folder.url.path
            )
            #expect(verify.status == (passed ? 0 : 1), "\(verify.errors)")
            let document = try #require(
                try JSONSerialization.jsonObject(with: Data(verify.output.utf8)) as? [String: Any],
                "\(verify.output)"
            )
            #expect(document["version"] as? String == "00\(version)" && document["direction"] as? String == "up")
            #expect(document["passed"] as? Bool == passed, "\(verify.output)")
            #expect((document["answer"] as? [String: Any])?["ok"] as? Bool == passed, "\(verify.output)")
        }
        try await graph.server.withConnection { connection in
            let marked = try await graph.server.query(
                connection,
                "MATCH (p:Project) WHERE p.marked IS NOT NULL RETURN count(p) AS n"
            )
            #expect(marked.first?["n"] == 0, "003 ran")
            let history = try await graph.server.query(
                connection,
                "MATCH (m:Migration) RETURN m.version AS version, m.status AS status ORDER BY version"
            )
            #expect(history.map { [$0["version"], $0["status"]] } == [["001", "applied"], ["002", "failed"]])
        }
        #expect(
            Self.states(try await run(["list"]).output) == [
                "001": "applied", "002": "partially applied", "003": "pending",
            ]
        )

        // An applied file edited afterwards, even in a comment.
        let first = folder.url.appendingPathComponent("001_touch.cypher")
        try (try String(contentsOf: first, encoding: .utf8) + "// edited\n").write(
            to: first,
            atomically: true,
            encoding: .utf8
        )
        #expect(Self.states(try await run(["list"]).output)["001"] == "changed after apply")
        // Its down, from the edited file, may not undo what was applied: refused by run as by enqueue.
        for command in [["run", "1", "--down"], ["enqueue", "1", "--down"]] {
            let refused = try await run(command)
            #expect(refused.status == 1, "\(command): \(refused.output)")
            #expect(refused.errors.contains("001_touch.cypher changed after 001 was applied"), "\(refused.errors)")
        }
        #expect(Self.states(try await run(["list"]).output)["001"] == "changed after apply")

        // The partially applied 002 is undone by its down.
        let down = try await run(["run", "2", "--down"])
        #expect(down.status == 0, "\(down.errors)")
        #expect(Self.states(try await run(["list"]).output)["002"] == "pending")
    }

    @Test func baselineAdoptsTheGuidesHistory() async throws {
        guard let graph = try await prepared("arcadedb") else { return }
        try await graph.server.withConnection { connection in
            _ = try await graph.server.query(
                connection,
                """
                CREATE (:Migration {version: 1, name: 'add_project_priority', appliedAt: datetime(), appliedBy: 'guide', status: 'applied'}),
                       (:Migration {version: 2, name: 'add_customer_status', appliedAt: datetime(), appliedBy: 'guide', status: 'applied'}),
                       (:Metadata {key: 'schema_version', value: 2})
                """
            )
        }
        let schema = Self.schema()
        let refused = try await graph.sluice(["baseline", "003"], schema: schema)
        #expect(refused.status == 1)
        #expect(refused.errors.contains("no (:Migration) node for 003 rename_customer_guid"), "\(refused.errors)")
        // A node under 003 for another migration (a version typo in the guide's history) is not adopted as 003.
        try await graph.server.withConnection { connection in
            _ = try await graph.server.query(
                connection,
                "CREATE (:Migration {version: 3, name: 'add_customer_tier', appliedBy: 'guide', status: 'applied'})"
            )
        }
        let misnamed = try await graph.sluice(["baseline", "003"], schema: schema)
        #expect(misnamed.status == 1)
        #expect(
            misnamed.errors.contains("node for 003 is named 'add_customer_tier'")
                && misnamed.errors.filter { $0 == "\n" }.count == 1,
            "\(misnamed.errors)"
        )
        try await graph.server.withConnection { connection in
            _ = try await graph.server.query(connection, "MATCH (m:Migration {version: 3}) DELETE m")
        }

        let adopted = try await graph.sluice(["baseline", "002"], schema: schema)
        #expect(adopted.status == 0, "\(adopted.errors)")
        #expect(adopted.output.contains("001 add_project_priority: adopted as applied"), "\(adopted.output)")
        let states = Self.states(try await graph.sluice(["list"], schema: schema).output)
        #expect(states["001"] == "applied" && states["002"] == "applied" && states["003"] == "pending", "\(states)")
        let again = try await graph.sluice(["run", "1"], schema: schema)
        #expect(again.output.contains("001 is already applied"), "\(again.output)")

        // The adopted node, the guide's integer version, is the one a later run records on: no second node.
        let undone = try await graph.sluice(["run", "2", "--down"], schema: schema)
        #expect(undone.status == 0, "\(undone.errors)")
        try await graph.server.withConnection { connection in
            let nodes = try await graph.server.query(
                connection,
                "MATCH (m:Migration) WHERE m.version = 2 OR m.version = '002' RETURN m.version AS version, m.status AS status"
            )
            #expect(
                nodes.map { [$0["version"], $0["status"]] } == [[.integer(2), .string("rolled_back")]],
                "\(nodes)"
            )
            let meta = try await graph.server.query(
                connection,
                "MATCH (m:Metadata {key: 'schema_version'}) RETURN m.value AS value"
            )
            #expect(meta.first?["value"] == .string("001"), "\(meta)")
        }
    }

    @Test(arguments: ["arcadedb", "falkordb"])
    func finalizeStripsTheBookkeepingAndRefusesDownAfterwards(server: String) async throws {
        guard let graph = try await prepared(server) else { return }
        let schema = Self.schema()
        let refused = try await graph.sluice(["finalize", "001"], schema: schema)
        #expect(refused.status == 1)
        #expect(refused.errors.contains("001 is pending"), "\(refused.errors)")

        let up = try await graph.sluice(["run", "001"], schema: schema)
        #expect(up.status == 0, "\(up.errors)")
        let applied = try await graph.snapshot()
        #expect(applied.property("p1", "_sluice_m001") != nil, "up keeps its marker for down")

        // Another job holds the items (taken here as a job of another store would): the finalize is refused, naming
        // it, and changes nothing; once the hold is given up it runs, paced (4 items, 2 a batch, 4 items/s: at
        // least half a second after the first batch), and gives the hold up when it ends.
        func hold(_ statement: String, _ parameters: [String: BoltValue]) async throws -> [BoltRecord] {
            try await graph.server.withConnection { connection in
                try await graph.server.query(connection, statement, parameters)
            }
        }
        let other: [String: BoltValue] = [
            "sluice_graph": "node:Project", "sluice_job": "another/1", "sluice_holder": "job 1 of another store",
            "sluice_hold": 600_000,
        ]
        #expect(try await hold(GraphHold.acquire, other).first?["free"] == .boolean(true))
        let held = try await graph.sluice(["finalize", "001"], schema: schema)
        #expect(
            held.status == 1 && held.errors.contains("the items are held by job 1 of another store"),
            "\(held.errors)"
        )
        #expect(try await graph.snapshot() == applied, "a refused finalize wrote")
        _ = try await hold(GraphHold.releaseHeld, ["sluice_graph": "node:Project", "sluice_job": "another/1"])

        let finalizing = ContinuousClock.now
        let finalized = try await graph.sluice(
            ["finalize", "001", "--batch-size", "2", "--max-rate", "4"],
            schema: schema
        )
        #expect(
            ContinuousClock.now - finalizing >= .milliseconds(500),
            "not paced: \(ContinuousClock.now - finalizing)"
        )
        #expect(finalized.status == 0, "\(finalized.errors)")
        #expect(finalized.output.contains("4 items stripped of their bookkeeping"), "\(finalized.output)")
        let released = try await hold(
            "MATCH (g:SluiceGraph {key: 'node:Project'}) RETURN g.until AS until, g.holder AS holder",
            [:]
        )
        #expect(released.allSatisfy { $0["until"] == .integer(0) }, "the finalize kept its hold: \(released)")
        let stripped = try await graph.snapshot()
        #expect(stripped == applied.withoutBookkeeping, "finalize changed more than the bookkeeping")

        // The job store records the finalize (the refused one not), so that `list`, which reads it alone, shows it.
        #expect(
            try await Self.history(graph, schema: schema) == [
                HistoryEntry(version: "001", status: "finalized", items: 4),
                HistoryEntry(version: "001", status: "applied", items: 4),
            ]
        )
        let states = Self.states(try await graph.sluice(["list"], schema: schema).output)
        #expect(states["001"]?.hasPrefix("applied, finalized 20") == true, "\(states)")
        #expect(states["002"] == "pending", "\(states)")
        let listed = try await graph.sluice(["list", "--json"], schema: schema)
        let migrations = try JSONDecoder().decode(MigrationList.self, from: Data(listed.output.utf8)).migrations
        #expect(migrations.first { $0.version == "001" }?.state == "applied", "\(listed.output)")
        #expect(migrations.first { $0.version == "001" }?.finalizedAt?.hasPrefix("20") == true, "\(listed.output)")
        #expect(migrations.first { $0.version == "002" }?.finalizedAt == nil, "\(listed.output)")

        // Run again (it is idempotent), with --json: one object, nothing left to strip, no finalize verify query.
        let again = try await graph.sluice(["finalize", "001", "--json"], schema: schema)
        #expect(again.status == 0, "\(again.errors)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(again.output.utf8)) as? [String: Any])
        #expect(document["version"] as? String == "001" && document["name"] as? String == "add_project_priority")
        #expect(document["changed"] as? Int == 0 && document["verify"] is NSNull, "\(again.output)")

        // Refused before a job is made: no job row is left behind (enqueue used to queue one the daemon then failed,
        // run left a failed one), and the dry run says why instead of planning nothing.
        func jobs() async throws -> [ListedJob] {
            let listed = try await CypherCommandTests.sluice(
                ["jobs", "--json", "--schema", schema],
                environment: graph.environment
            )
            #expect(listed.status == 0, "\(listed.errors)")
            return try JSONDecoder().decode(JobList.self, from: Data(listed.output.utf8)).jobs
        }
        let before = try await jobs()
        let down = try await graph.sluice(["run", "001", "--down"], schema: schema)
        #expect(down.status == 1)
        #expect(down.errors.contains("001 was finalized at"), "\(down.errors)")
        #expect(down.errors.filter { $0 == "\n" }.count == 1, "\(down.errors)")
        let queued = try await graph.sluice(["enqueue", "001", "--down"], schema: schema)
        #expect(queued.status == 1, "\(queued.output)")
        #expect(queued.errors.contains("001 was finalized at"), "\(queued.errors)")
        #expect(queued.errors.contains("nothing queued"), "\(queued.errors)")
        #expect(queued.errors.filter { $0 == "\n" }.count == 1, "\(queued.errors)")
        let preview = try await graph.sluice(["run", "001", "--down", "--dry-run"], schema: schema)
        #expect(preview.status == 1, "\(preview.output)")
        #expect(preview.errors.contains("001 was finalized at"), "\(preview.errors)")
        #expect(try await jobs() == before, "a refused down left a job row")
        await #expect(try graph.snapshot() == stripped, "a refused down wrote")
    }

    /// `sluice list --json`, as far as these tests read it.
    struct MigrationList: Decodable {
        var migrations: [ListedMigration]
    }

    struct ListedMigration: Decodable {
        var version: String
        var state: String?
        var finalizedAt: String?
    }

    /// `sluice jobs --json`, as far as these tests read it.
    struct JobList: Decodable {
        var jobs: [ListedJob]
    }

    struct ListedJob: Decodable, Equatable {
        var id: Int64
        var state: String
    }
}
