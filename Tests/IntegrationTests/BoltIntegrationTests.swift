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
    func aMillionRowsStreamInBoundedMemory(server: String) async throws {
        guard let server = try BoltTestServer.named(server) else { return }
        try await server.withConnection { connection in
            let before = residentMemoryBytes()
            let result = try await connection.run(
                "UNWIND range(1, 1000000) AS i RETURN i",
                options: server.options,
                fetchSize: 10_000
            )
            var count = 0
            var sum: Int64 = 0
            var peak = before
            for try await record in result {
                count += 1
                sum += record[0].intValue ?? 0
                if count % 50_000 == 0 {
                    peak = max(peak, residentMemoryBytes())
                }
            }
            #expect(count == 1_000_000)
            #expect(sum == 500_000_500_000)
            let growth = peak - before
            print("1M rows on \(server.name): resident memory grew by \(growth / 1_048_576) MiB")
            // A million records held at once take well over 100 MiB; streaming keeps it to a few batches.
            #expect(growth < 64 * 1_048_576, "resident memory grew by \(growth / 1_048_576) MiB")
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
