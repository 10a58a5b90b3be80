import Bolt
import Foundation
import Testing

/// A Bolt server the integration tests run against, from the environment `scripts/services` writes.
///
/// Each test takes a server name as its argument and asks for it here. A server that is not
/// configured is skipped with a printed line, except under `CI=true`, where a missing local server
/// fails the test: CI must never pass by skipping. A user's Neo4j (`SLUICE_TEST_BOLT_URL`) is optional
/// everywhere.
struct BoltTestServer: Sendable, CustomStringConvertible {
    /// The servers every test names; Neo4j runs only when configured.
    static let names = ["arcadedb", "falkordb", "neo4j"]

    let name: String
    let url: BoltURL
    let auth: BoltAuth
    let database: String?
    /// Known behaviour of the server, as measured (BOLT-SERVERS.md): tests check it rather than assume.
    let rollbackUndoesWrites: Bool
    /// FalkorDB pastes parameters into the query text: quotes break it, large values crash it.
    let acceptsArbitraryParameters: Bool
    /// FalkorDB hangs the next new connection after a GOODBYE: connections to it close without one.
    let handlesGoodbye: Bool

    var description: String { "\(name) at \(url)" }

    var options: BoltTransactionOptions { BoltTransactionOptions(database: database) }

    /// The server, or nil (test skipped, said so) when it is not configured outside CI.
    /// The user and password of basic auth; empty when the server takes none.
    var credentials: (user: String, password: String) {
        if case .basic(let user, let password) = auth { return (user, password) }
        return ("", "")
    }

    static func named(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> BoltTestServer? {
        let environment = ProcessInfo.processInfo.environment
        let prefix = name == "neo4j" ? "SLUICE_TEST_BOLT" : "SLUICE_TEST_\(name.uppercased())"
        guard let urlText = environment["\(prefix)_URL"], !urlText.isEmpty else {
            let reason = "\(name): \(prefix)_URL is not set (run the tests through scripts/test)"
            if name != "neo4j" && environment["CI"] == "true" {
                Issue.record("CI=true but \(reason)", sourceLocation: sourceLocation)
                return nil
            }
            print("SKIPPED on \(reason)")
            return nil
        }
        let user = environment["\(prefix)_USER"]
        let password = environment["\(prefix)_PASSWORD"] ?? ""
        let database = environment["\(prefix)_DATABASE"].flatMap { $0.isEmpty ? nil : $0 }
        return BoltTestServer(
            name: name,
            url: try BoltURL(parsing: urlText),
            auth: user.map { .basic(user: $0, password: password) } ?? .none,
            database: database,
            rollbackUndoesWrites: name != "falkordb",
            acceptsArbitraryParameters: name != "falkordb",
            handlesGoodbye: name != "falkordb"
        )
    }

    func connect() async throws -> BoltConnection {
        try await BoltConnection.connect(to: url, auth: auth, sendsGoodbye: handlesGoodbye)
    }

    /// Runs `body` with a fresh connection, closed afterwards, and prints which server it ran on.
    func withConnection<T>(_ test: String = #function, _ body: (BoltConnection) async throws -> T) async throws -> T {
        print("RAN \(test) on \(self)")
        let connection = try await connect()
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Runs a query to completion and returns its records.
    func query(
        _ connection: BoltConnection,
        _ text: String,
        _ parameters: [String: BoltValue] = [:]
    ) async throws -> [BoltRecord] {
        try await connection.run(text, parameters: parameters, options: options).collect()
    }

    /// Runs a write in a transaction of its own, retried as a driver retries one (deadlocks, conflicts):
    /// for writes beside a daemon that touches the same records, where ArcadeDB fails the later writer
    /// with `DeadlockDetected` ("concurrent change to the same record").
    func write(_ text: String, _ parameters: [String: BoltValue] = [:]) async throws {
        let pool = BoltConnectionPool(
            url: url,
            auth: auth,
            configuration: .init(maximumConnections: 1, sendsGoodbye: handlesGoodbye)
        )
        do {
            try await pool.executeWrite(options: options) { transaction in
                _ = try await transaction.run(text, parameters: parameters).collect()
            }
            await pool.close()
        } catch {
            await pool.close()
            throw error
        }
    }

    /// A label no other test uses, so tests can run in parallel on one graph.
    static func uniqueLabel(_ stem: String) -> String {
        "\(stem)_\(UInt32.random(in: 0...UInt32.max))"
    }
}
