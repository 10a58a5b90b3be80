import Bolt
import Foundation
import Testing

/// The Bolt client against the real servers that `scripts/services` starts.
@Suite struct BoltIntegrationTests {
    @Test(arguments: BoltTestServer.names)
    func runsAQueryAndReportsTheServer(server: String) async throws {
        guard let server = try BoltTestServer.named(server) else { return }
        try await server.withConnection { connection in
            #expect(connection.serverInfo.version >= BoltVersion(major: 5, minor: 0))
            let records = try await server.query(connection, "RETURN 1 AS x, 'a' AS y")
            #expect(records.count == 1)
            #expect(records.first?["x"] == 1)
            #expect(records.first?["y"] == "a")
        }
    }

    @Test(arguments: BoltTestServer.names)
    func propertyTypesRoundTrip(server: String) async throws {
        guard let server = try BoltTestServer.named(server) else { return }
        let label = BoltTestServer.uniqueLabel("Types")
        // Every property type both servers store. Strings avoid quotes: FalkorDB pastes parameters into
        // the query text unescaped.
        var properties: [String: BoltValue] = [
            "tiny": 7, "negative": -17, "int16": 32_000, "int32": 2_000_000_000, "int64": 9_000_000_000_000,
            "minimum": .integer(Int64.min + 1), "float": 1.25, "negativeFloat": -0.5, "yes": true, "no": false,
            "text": "grüße, 東京", "empty": "", "ints": [1, 2, 3], "texts": ["a", "b"],
        ]
        if server.acceptsArbitraryParameters {
            properties["quoted"] = "it's \"quoted\"\n"
            properties["long"] = .string(String(repeating: "x", count: 70_000))
            properties["floats"] = [0.1, 2.5e-300]
        }
        try await server.withConnection { connection in
            let created = try await connection.run(
                "CREATE (n:\(label)) SET n = $props RETURN n",
                parameters: ["props": .map(properties)],
                options: server.options
            )
            let createdRecords = try await created.collect()
            let summary = try await created.summary()
            #expect(summary.counters.nodesCreated == 1)
            #expect(createdRecords.first?["n"]?.nodeValue?.labels == [label])

            let read = try await server.query(connection, "MATCH (n:\(label)) RETURN n")
            let node = try #require(read.first?["n"]?.nodeValue)
            for (key, value) in properties {
                #expect(node.properties[key] == value, "property \(key) on \(server.name)")
            }
            _ = try await server.query(connection, "MATCH (n:\(label)) DELETE n")
        }
    }

    @Test(arguments: BoltTestServer.names)
    func explicitTransactionCommits(server: String) async throws {
        guard let server = try BoltTestServer.named(server) else { return }
        let label = BoltTestServer.uniqueLabel("Commit")
        try await server.withConnection { connection in
            let transaction = try await connection.beginTransaction(options: server.options)
            try await transaction.run("CREATE (:\(label) {v: 1})").consume()
            try await transaction.run("CREATE (:\(label) {v: 2})").consume()
            try await transaction.commit()
            // Seen from a second connection.
            let reader = try await server.connect()
            let count = try await server.query(reader, "MATCH (n:\(label)) RETURN count(n) AS c").first?["c"]
            await reader.close()
            #expect(count == 2)
            _ = try await server.query(connection, "MATCH (n:\(label)) DELETE n")
        }
    }

    @Test(arguments: BoltTestServer.names)
    func rollbackUndoesWritesWhereTransactionsAreReal(server: String) async throws {
        guard let server = try BoltTestServer.named(server) else { return }
        let label = BoltTestServer.uniqueLabel("Rollback")
        try await server.withConnection { connection in
            let transaction = try await connection.beginTransaction(options: server.options)
            try await transaction.run("UNWIND range(1, 1001) AS i CREATE (:\(label) {i: i})").consume()
            try await transaction.rollback()
            let count = try await server.query(connection, "MATCH (n:\(label)) RETURN count(n) AS c").first?["c"]
            if server.rollbackUndoesWrites {
                #expect(count == 0, "rollback left \(String(describing: count)) nodes on \(server.name)")
            } else {
                // FalkorDB's transactions are fake (BOLT-SERVERS.md): the writes stay. The test pins the
                // quirk so a change in the server is noticed; sluice must never rely on rollback there.
                print("KNOWN GAP on \(server.name): ROLLBACK does not undo writes")
                #expect(count == 1001)
            }
            _ = try await server.query(connection, "MATCH (n:\(label)) DELETE n")
        }
    }

    @Test(arguments: BoltTestServer.names)
    func syntaxErrorIsTypedAndTheConnectionStaysUsable(server: String) async throws {
        guard let server = try BoltTestServer.named(server) else { return }
        try await server.withConnection { connection in
            await #expect {
                _ = try await server.query(connection, "RETURN 1 +")
            } throws: { error in
                guard case BoltError.server(let serverError) = error else { return false }
                // Neo4j and ArcadeDB: Neo.ClientError.Statement.SyntaxError; FalkorDB: SyntaxError.
                return serverError.code.hasSuffix("SyntaxError") && !serverError.message.isEmpty
            }
            let records = try await server.query(connection, "RETURN 2 AS x")
            #expect(records.first?["x"] == 2)
            // A failure inside a transaction ends it; the connection still works.
            let transaction = try await connection.beginTransaction(options: server.options)
            await #expect(throws: BoltError.self) {
                _ = try await transaction.run("RETURN 1 +").collect()
            }
            try await transaction.rollback()
            #expect(try await server.query(connection, "RETURN 3 AS x").first?["x"] == 3)
        }
    }

    @Test(arguments: BoltTestServer.names)
    func abandonedResultIsDiscardedAndTheConnectionReused(server: String) async throws {
        guard let server = try BoltTestServer.named(server) else { return }
        try await server.withConnection { connection in
            let result = try await connection.run(
                "UNWIND range(1, 100000) AS i RETURN i",
                options: server.options,
                fetchSize: 100
            )
            var seen = 0
            for try await _ in result {
                seen += 1
                if seen == 10 { break }
            }
            try await result.consume()
            #expect(try await server.query(connection, "RETURN 4 AS x").first?["x"] == 4)
        }
    }

    @Test(arguments: BoltTestServer.names)
    func wrongPasswordIsAnAuthenticationError(server: String) async throws {
        guard let server = try BoltTestServer.named(server), case .basic(let user, _) = server.auth else { return }
        guard server.name != "falkordb" else {
            print("KNOWN GAP on falkordb: it accepts any credentials, so a wrong password cannot be tested")
            return
        }
        await #expect {
            _ = try await BoltConnection.connect(to: server.url, auth: .basic(user: user, password: "wrong-password"))
        } throws: { error in
            guard case BoltError.authenticationFailed(let serverError) = error else { return false }
            return serverError.code.contains("Security") && !"\(error)".contains("wrong-password")
        }
    }
}

/// The process's resident set size, from /proc.
func residentMemoryBytes() -> Int {
    guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = statm.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// Capabilities come from probing, and match what BOLT-SERVERS.md measured on each local server.
@Suite struct BoltCapabilityProbeTests {
    @Test(arguments: BoltTestServer.names)
    func probeFindsWhatTheServerReallyDoes(server: String) async throws {
        guard let server = try BoltTestServer.named(server) else { return }
        try await server.withConnection { connection in
            let capabilities = try await BoltCapabilities.probe(connection, options: server.options)
            print("capabilities of \(server.name): \(capabilities)")
            switch server.name {
            case "arcadedb", "neo4j":
                #expect(capabilities == BoltCapabilities.Dialect.neo4j.capabilities)
            default:
                #expect(capabilities == BoltCapabilities.Dialect.falkordb.capabilities)
            }
            // Whether the probe cleans up after itself cannot be counted here: other tests run
            // `sluice run` (which probes) concurrently and SIGKILL it, which can leave a probe node.
            // The server still answers after the parameter probe (FalkorDB crashes on large inlined ones).
            #expect(try await server.query(connection, "RETURN 1 AS x").first?["x"] == 1)
        }
    }
}

/// The pool and retried units of work against the real servers.
@Suite struct BoltConnectionPoolTests {
    @Test(arguments: BoltTestServer.names)
    func poolStaysWithinItsLimitUnderConcurrentUse(server: String) async throws {
        guard let server = try BoltTestServer.named(server) else { return }
        print("RAN poolStaysWithinItsLimitUnderConcurrentUse on \(server)")
        let pool = BoltConnectionPool(
            url: server.url,
            auth: server.auth,
            configuration: .init(maximumConnections: 2, sendsGoodbye: server.handlesGoodbye)
        )
        let sums = try await withThrowingTaskGroup(of: Int64.self) { group in
            for i in 1...10 {
                group.addTask {
                    try await pool.withConnection { connection in
                        let count = await pool.connectionCount
                        #expect(count <= 2)
                        let records = try await connection.run(
                            "RETURN $i AS i",
                            parameters: ["i": .integer(Int64(i))],
                            options: server.options
                        ).collect()
                        return records.first?["i"]?.intValue ?? 0
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(sums == 55)
        #expect(await pool.connectionCount <= 2)
        await pool.close()
        #expect(await pool.connectionCount == 0)
    }

    /// A body that returns with its transaction still open hands back a connection no one else may use: the pool
    /// closes it, and the next user gets a fresh one whose auto-commit query runs on its own.
    @Test func aConnectionLeftInsideATransactionIsNotReused() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        let pool = BoltConnectionPool(url: server.url, auth: server.auth, configuration: .init(maximumConnections: 1))
        try await pool.withConnection { connection in
            _ = try await connection.beginTransaction(options: server.options)
        }
        #expect(await pool.connectionCount == 0, "the connection left in a transaction was kept")
        let one = try await pool.withConnection { connection in
            try await connection.run("RETURN 1 AS one", options: server.options).collect().first?["one"]
        }
        #expect(one == 1)
        #expect(await pool.connectionCount == 1)
        await pool.close()
    }

    @Test(arguments: BoltTestServer.names)
    func executeWriteRetriesConflictsAndAppliesEachUnitOnce(server: String) async throws {
        guard let server = try BoltTestServer.named(server) else { return }
        print("RAN executeWriteRetriesConflictsAndAppliesEachUnitOnce on \(server)")
        let label = BoltTestServer.uniqueLabel("Counter")
        let pool = BoltConnectionPool(
            url: server.url,
            auth: server.auth,
            configuration: .init(maximumConnections: 4, sendsGoodbye: server.handlesGoodbye)
        )
        try await pool.withConnection { connection in
            _ = try await connection.run("CREATE (:\(label) {v: 0})", options: server.options).consume()
        }
        let attempts = Counter()
        let written = Counter()
        // Four units conflicting on one node under a loaded machine: retry long enough for all to pass.
        let retry = BoltRetryPolicy(maximumRetryTime: .seconds(120), initialDelay: .milliseconds(50), multiplier: 1.5)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 1...4 {
                group.addTask {
                    try await pool.executeWrite(options: server.options, retry: retry) { transaction in
                        await attempts.increment()
                        try await transaction.run("MATCH (n:\(label)) SET n.v = n.v + 1").consume()
                        // The first attempts overlap: none commits before all four have written (a 200 ms sleep
                        // did not always do it in CI, where opening the connections took longer), or 10 s passed.
                        await written.increment()
                        let deadline = ContinuousClock.now + .seconds(10)
                        while await written.value < 4, ContinuousClock.now < deadline {
                            try await Task.sleep(for: .milliseconds(20))
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let value = try await pool.withConnection { connection in
            try await connection.run("MATCH (n:\(label)) RETURN n.v AS v", options: server.options).collect().first?[
                "v"
            ]
        }
        #expect(value == 4, "every unit applied exactly once on \(server.name)")
        let tries = await attempts.value
        print("executeWrite on \(server.name): 4 units took \(tries) attempts")
        if server.name == "arcadedb" {
            // ArcadeDB fails the later of two conflicting transactions at COMMIT with DeadlockDetected.
            #expect(tries > 4, "no conflict was retried")
        }
        try await pool.withConnection { connection in
            _ = try await connection.run("MATCH (n:\(label)) DELETE n", options: server.options).consume()
        }
        await pool.close()
    }
}

actor Counter {
    private(set) var value = 0
    func increment() { value += 1 }
}
