import Bolt
import Foundation
import JobStore
import Testing

/// Hostile text (quotes, a statement's worth of Cypher or SQL, a NUL, unicode) reaches the graph only as Bolt
/// parameters and Postgres only as query parameters: it is stored and read back as it was, or refused, and never runs.
@Suite struct InjectionTests {
    static let hostile: [String] = [
        "it's",
        "say \"hi\"",
        "x'}) CREATE (:Pwned) //",
        "x\"}) CREATE (:Pwned) //",
        "'); DROP TABLE jobs; --",
        "back\\slash",
        "ünïcødé ✓ 𝄞",
        "nul\u{0}byte",
    ]

    /// On ArcadeDB every value goes in and comes back exactly. FalkorDB pastes parameters into the query text itself
    /// (see the README): this documents its weakness rather than passing through it: a single quote makes it fail the
    /// query, a NUL cuts the value short. Neither server ever runs the text as Cypher.
    @Test(arguments: BoltTestServer.names)
    func parameterValuesAreStoredAsTheyAreAndNeverRun(server: String) async throws {
        guard let server = try BoltTestServer.named(server) else { return }
        let label = BoltTestServer.uniqueLabel("Injected")
        let pwned = BoltTestServer.uniqueLabel("Pwned")
        try await server.withConnection { connection in
            for value in Self.hostile {
                let text = value.replacingOccurrences(of: "Pwned", with: pwned)
                let outcome: Result<[BoltRecord], any Error>
                do {
                    outcome = .success(
                        try await server.query(
                            connection,
                            "CREATE (n:\(label) {v: $v}) RETURN n.v AS v",
                            ["v": .string(text)]
                        )
                    )
                } catch {
                    outcome = .failure(error)
                }
                switch (server.name, outcome) {
                case ("falkordb", .failure) where text.contains("'"):
                    break  // FalkorDB's own quoting fails on the quote: refused, not run.
                case ("falkordb", .success(let rows)) where text.contains("\u{0}"):
                    #expect(rows.first?["v"] == .string(String(text.prefix { $0 != "\u{0}" })), "\(rows)")
                case (_, .success(let rows)):
                    #expect(rows.first?["v"] == .string(text), "\(server.name) changed \(text.debugDescription)")
                case (_, .failure(let error)):
                    Issue.record("\(server.name) refused \(text.debugDescription): \(error)")
                }
            }
            let pwnedNodes = try await server.query(connection, "MATCH (n:\(pwned)) RETURN count(n) AS n")
            #expect(pwnedNodes.first?["n"] == .integer(0), "a parameter ran as Cypher")
            _ = try await server.query(connection, "MATCH (n:\(label)) DELETE n")
        }
    }

    /// Job fields an operator or a file supplies (the migration's name, who enqueued it, the target database) are
    /// stored and read back exactly; a NUL, which Postgres text cannot hold, is refused with a clear error and nothing
    /// is enqueued. The job table is intact after each.
    @Test func jobFieldsReachPostgresOnlyAsParameters() async throws {
        try await JobStoreTestDatabase.withStore { store in
            var enqueued: [JobID] = []
            for (index, value) in Self.hostile.enumerated() {
                let request = JobRequest(
                    migrationVersion: "00\(index % 10)",
                    migrationName: value,
                    migrationChecksum: "sha256:test",
                    target: JobTarget(url: "bolt://injection-\(index):7687", database: value),
                    batchSize: 10_000,
                    enqueuedBy: value
                )
                do {
                    let job = try await store.enqueue(request)
                    #expect(!value.contains("\u{0}"), "a NUL was stored: \(job)")
                    let stored = try #require(try await store.job(job.id))
                    #expect(stored.migrationName == value)
                    #expect(stored.enqueuedBy == value)
                    #expect(stored.target.database == value)
                    enqueued.append(job.id)
                } catch {
                    #expect(value.contains("\u{0}"), "\(value.debugDescription) refused: \(error)")
                    let message = "\(error)"
                    #expect(message.contains("0x00") || message.localizedCaseInsensitiveContains("nul"), "\(message)")
                    #expect(!message.contains("\n"), "not one line: \(message)")
                }
            }
            let stored = try await store.jobs().map(\.id)
            #expect(stored.sorted() == enqueued.sorted())
        }
    }
}
