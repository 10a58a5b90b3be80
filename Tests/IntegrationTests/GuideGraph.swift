import Bolt
import Foundation
import Testing

/// A small graph in the guide's shapes, on a graph of its own: Customers with and without active
/// Projects, Projects with every property the eight migrations read (deadlines spelled four ways,
/// integer hours, a name with spaces and capitals), Users who logged hours several times on the same
/// Project, and a LOGGED_HOURS with properties beyond the guide's three.
///
/// Read back through the Python `neo4j` driver, an independent client, as a ``Snapshot``.
struct GuideGraph {
    let server: BoltTestServer
    /// The test environment for `sluice` commands aimed at this graph.
    let environment: [String: String]

    /// The guide's labels and sluice's history labels: wiped before each seeding. Job nodes
    /// (`SluiceJob`) too, but only on a database of the tests' own: on FalkorDB's one graph they
    /// belong to other tests' running jobs.
    static let labels = ["Customer", "Project", "User", "WorkHour", "Migration", "Metadata"]

    /// On ArcadeDB, the database `scripts/services` creates for these tests, so that no other test meets
    /// their Project or Migration nodes; FalkorDB has one graph per connection, kept apart by labels.
    static func server(_ name: String) throws -> BoltTestServer? {
        guard let server = try BoltTestServer.named(name) else { return nil }
        guard server.name == "arcadedb" else { return server }
        guard let guide = ProcessInfo.processInfo.environment["SLUICE_TEST_ARCADEDB_GUIDE_DATABASE"] else {
            Issue.record("SLUICE_TEST_ARCADEDB_GUIDE_DATABASE is not set: restart the services (scripts/services)")
            return nil
        }
        return BoltTestServer(
            name: server.name,
            url: server.url,
            auth: server.auth,
            database: guide,
            rollbackUndoesWrites: server.rollbackUndoesWrites,
            acceptsArbitraryParameters: server.acceptsArbitraryParameters,
            handlesGoodbye: server.handlesGoodbye
        )
    }

    init(server: BoltTestServer) {
        self.server = server
        var environment = CypherCommandTests.environment(for: server)
        for key in ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE"] {
            environment[key] = ProcessInfo.processInfo.environment[key]
        }
        self.environment = environment
    }

    static let seed = """
        CREATE (c1:Customer {guid: 'c1', name: 'Acme'}),
               (c2:Customer {guid: 'c2', name: 'Globex'}),
               (c3:Customer {guid: 'c3', name: 'Initech', status: 'vip'}),
               (c4:Customer {guid: 'c4', name: 'Hooli'}),
               (p1:Project {guid: 'p1', name: '  Apollo Launch ', status: 'active', customerGuid: 'c1',
                            deadline: '2024-05-01', hourEstimate: 100, hoursWorked: 95, totalCost: 950,
                            expectedValue: 1000}),
               (p2:Project {guid: 'p2', name: 'Borealis', status: 'completed', priority: 'high',
                            customerGuid: 'c1', customerId: 'legacy-c1', deadline: '2024/5/7', hourEstimate: 0,
                            hoursWorked: 3, riskScoreCalculatedAt: '2023-01-01T00:00:00Z'}),
               (p3:Project {guid: 'p3', name: 'CASCADE', status: 'active', customerGuid: 'c2',
                            deadline: '2030-01-15T09:30:00Z', hourEstimate: 40, hoursWorked: 10, totalCost: 10,
                            expectedValue: 100}),
               (p4:Project {guid: 'p4', status: 'paused', deadline: '2099.12.31'}),
               (p5:Project {guid: 'p5', name: 'Echo', status: 'inactive', normalizedName: 'kept'}),
               (u1:User {guid: 'u1', name: 'Ada'}),
               (u2:User {guid: 'u2', name: 'Brian'}),
               (c1)-[:HAS_PROJECT]->(p1), (c1)-[:HAS_PROJECT]->(p2), (c2)-[:HAS_PROJECT]->(p3),
               (c3)-[:HAS_PROJECT]->(p5),
               (u1)-[:LOGGED_HOURS {hours: 40, date: '2024-04-01', billable: true}]->(p1),
               (u1)-[:LOGGED_HOURS {hours: 30, date: '2024/04/02', billable: false, note: 'overtime'}]->(p1),
               (u1)-[:LOGGED_HOURS {hours: 25.5, date: '2024-04-03T18:00:00Z', billable: true, guid: 'wh-kept'}]->(p1),
               (u2)-[:LOGGED_HOURS {hours: 10, date: '2024-04-01', billable: true}]->(p3)
        """

    /// Empties the guide's labels and plants the seed.
    func reset() async throws {
        try await server.withConnection { connection in
            for label in Self.labels + (server.name == "arcadedb" ? ["SluiceJob"] : []) {
                _ = try await server.query(connection, "MATCH (n:\(label)) DETACH DELETE n")
            }
            _ = try await server.query(connection, Self.seed)
        }
    }

    /// Runs `sluice ARGUMENTS` on `migrations` (the repository's by default) against this graph, with
    /// the job store in `schema` (nil for commands that do not read it).
    ///
    /// Other suites restart Postgres (outage tests): a command that could not reach it is run again once
    /// it is back, as an operator would (`sluice run` resumes its job).
    func sluice(
        _ arguments: [String],
        schema: String?,
        migrations: String = Self.repositoryMigrations
    ) async throws -> CypherCommandTests.Run {
        let arguments = arguments + ["--migrations", migrations] + (schema.map { ["--schema", $0] } ?? [])
        var attempt = 0
        while true {
            let run = try await CypherCommandTests.sluice(arguments, environment: environment)
            attempt += 1
            guard run.status != 0, Self.postgresOutage.contains(where: run.errors.contains), attempt < 60 else {
                return run
            }
            print("sluice \(arguments.joined(separator: " ")): Postgres unavailable, again in 1 s")
            try await Task.sleep(for: .seconds(1))
        }
    }

    /// What a command says when Postgres is down or restarting.
    static let postgresOutage = [
        "cannot connect to Postgres", "the database system is shutting down", "the database system is starting up",
        "terminating connection", "server closed the connection", "no connection to the server",
    ]

    /// The repository's migrations/ folder.
    static var repositoryMigrations: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("migrations").path
    }

    /// Reads the whole guide-shaped graph with the Python driver: every Customer, Project, User and
    /// WorkHour with each property as `[python type, value]` (dates as ISO text), and every relationship
    /// between them by its end nodes' guids. Exits without closing the driver (GOODBYE hangs FalkorDB).
    static let script = #"""
        import json, os, sys
        from neo4j import GraphDatabase
        url, user, database = sys.argv[1:4]
        password = os.environ.get("SLUICE_TEST_DRIVER_PASSWORD", "")
        driver = GraphDatabase.driver(url, auth=(user, password) if user else None)
        def cell(v):
            name = type(v).__name__
            if isinstance(v, list):
                return [name, [cell(x) for x in v]]
            if hasattr(v, "iso_format"):
                return [name, v.iso_format()]
            return [name, v]
        nodes, rels = {}, []
        with driver.session(**({"database": database} if database else {})) as session:
            for label in ["Customer", "Project", "User", "WorkHour"]:
                for record in session.run(f"MATCH (n:{label}) RETURN n"):
                    node = record["n"]
                    key = node.get("guid") or f"{label}:{node.element_id}"
                    nodes[key] = {"labels": sorted(node.labels), "props": {k: cell(v) for k, v in dict(node).items()}}
            for record in session.run(
                "MATCH (a)-[r]->(b) WHERE (a:Customer OR a:Project OR a:User OR a:WorkHour) "
                "RETURN a.guid AS a, type(r) AS t, b.guid AS b, r"
            ):
                rels.append({"from": record["a"], "type": record["t"], "to": record["b"],
                             "props": {k: cell(v) for k, v in dict(record["r"]).items()}})
        rels.sort(key=lambda r: json.dumps(r, sort_keys=True))
        print(json.dumps({"nodes": nodes, "rels": rels}, sort_keys=True))
        sys.stdout.flush()
        os._exit(0)
        """#

    func snapshot() async throws -> Snapshot {
        guard let python = ProcessInfo.processInfo.environment["SLUICE_TEST_PYTHON"] else {
            throw PythonDriverCrossCheckTests.CrossCheckError(
                "SLUICE_TEST_PYTHON is not set (run the tests through scripts/test)"
            )
        }
        let (user, password) = server.credentials
        let run = try await ProcessRun.run(
            URL(fileURLWithPath: python),
            ["-c", Self.script, "bolt://\(server.url.host):\(server.url.port)", user, server.database ?? ""],
            // The password through the environment: a command line is visible to every user.
            environment: ProcessInfo.processInfo.environment.merging(["SLUICE_TEST_DRIVER_PASSWORD": password]) { $1 }
        )
        guard run.status == 0 else {
            throw PythonDriverCrossCheckTests.CrossCheckError("python driver snapshot failed: \(run.errors)")
        }
        return try Snapshot(json: run.output)
    }
}

/// The guide-shaped graph as the Python driver read it.
struct Snapshot: Equatable, CustomStringConvertible {
    struct Node: Equatable {
        var labels: [String]
        /// Each property as `[python type, value]`.
        var properties: [String: BoltValue]
    }

    struct Relationship: Equatable {
        var from: String
        var type: String
        var to: String
        var properties: [String: BoltValue]
    }

    var nodes: [String: Node]
    var relationships: [Relationship]
    let json: String

    init(json: String) throws {
        self.json = json
        let value = try BoltValue(jsonText: json)
        var nodes: [String: Node] = [:]
        for (key, node) in value["nodes"]?.mapValue ?? [:] {
            nodes[key] = Node(
                labels: node["labels"]?.listValue?.compactMap(\.stringValue) ?? [],
                properties: node["props"]?.mapValue ?? [:]
            )
        }
        self.nodes = nodes
        relationships = (value["rels"]?.listValue ?? []).map { rel in
            Relationship(
                from: rel["from"]?.stringValue ?? "?",
                type: rel["type"]?.stringValue ?? "?",
                to: rel["to"]?.stringValue ?? "?",
                properties: rel["props"]?.mapValue ?? [:]
            )
        }
    }

    static func == (lhs: Snapshot, rhs: Snapshot) -> Bool {
        lhs.nodes == rhs.nodes && lhs.relationships == rhs.relationships
    }

    var description: String { json }

    /// A property of the node with `guid`, as `[type, value]`.
    func property(_ guid: String, _ key: String) -> BoltValue? {
        nodes[guid]?.properties[key]
    }

    /// The same graph without the properties a migration keeps for its down (`_sluice_m...`).
    var withoutBookkeeping: Snapshot {
        var copy = self
        copy.nodes = nodes.mapValues { node in
            var node = node
            node.properties = node.properties.filter { !$0.key.hasPrefix("_sluice_m") }
            return node
        }
        copy.relationships = copy.relationships.map { rel in
            var rel = rel
            rel.properties = rel.properties.filter { !$0.key.hasPrefix("_sluice_m") }
            return rel
        }
        return copy
    }
}
