import Bolt
import Foundation
import Testing

/// `sluice cypher` as an operator runs it: the built executable, its output and exit status.
@Suite struct CypherCommandTests {
    /// The `sluice` executable that `swift build --build-tests` put beside the test bundle.
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sluice")
    }

    typealias Run = ProcessRun

    static func sluice(_ arguments: [String], environment: [String: String]) async throws -> Run {
        try await ProcessRun.run(executable, arguments, environment: environment)
    }

    static func environment(for server: BoltTestServer, password: String? = nil) -> [String: String] {
        var environment = ["PATH": "/usr/bin:/bin", "SLUICE_BOLT_URL": "\(server.url)"]
        if case .basic(let user, let secret) = server.auth {
            environment["SLUICE_BOLT_USER"] = user
            environment["SLUICE_BOLT_PASSWORD"] = password ?? secret
        }
        environment["SLUICE_BOLT_DATABASE"] = server.database
        return environment
    }

    @Test(arguments: BoltTestServer.names)
    func printsATableAndJSONLines(server: String) async throws {
        guard let server = try BoltTestServer.named(server) else { return }
        print("RAN printsATableAndJSONLines on \(server)")
        let table = try await Self.sluice(["cypher", "RETURN 1 AS x"], environment: Self.environment(for: server))
        #expect(table.status == 0, "stderr: \(table.errors)")
        #expect(table.output == "+---+\n| x |\n+---+\n| 1 |\n+---+\n1 row\n")

        let json = try await Self.sluice(
            ["cypher", "--json", "--param", "n=2", "UNWIND range(1, $n) AS i RETURN i"],
            environment: Self.environment(for: server)
        )
        #expect(json.status == 0, "stderr: \(json.errors)")
        #expect(json.output == "{\"i\":1}\n{\"i\":2}\n")
    }

    @Test(arguments: BoltTestServer.names)
    func failuresAreOneLineWithANonZeroStatus(server: String) async throws {
        guard let server = try BoltTestServer.named(server) else { return }
        print("RAN failuresAreOneLineWithANonZeroStatus on \(server)")
        let syntax = try await Self.sluice(["cypher", "RETURN 1 +"], environment: Self.environment(for: server))
        #expect(syntax.status != 0)
        #expect(syntax.errors.hasPrefix("sluice: error: ") && syntax.errors.filter { $0 == "\n" }.count == 1)

        var unreachable = Self.environment(for: server)
        unreachable["SLUICE_BOLT_URL"] = "bolt://127.0.0.1:1"
        let refused = try await Self.sluice(["cypher", "RETURN 1"], environment: unreachable)
        #expect(refused.status != 0)
        #expect(refused.errors == "sluice: error: cannot connect to 127.0.0.1:1: Connection refused\n")

        if server.name != "falkordb" {  // FalkorDB accepts any password
            let wrong = try await Self.sluice(
                ["cypher", "RETURN 1"],
                environment: Self.environment(for: server, password: "not-the-password")
            )
            #expect(wrong.status != 0)
            // Which login was refused, and where its user and password come from.
            #expect(wrong.errors.hasPrefix("sluice: error: \(server.url) refused user \""), "\(wrong.errors)")
            #expect(wrong.errors.contains("the password from --password-file"), "\(wrong.errors)")
            #expect(wrong.errors.filter { $0 == "\n" }.count == 1)
            #expect(!wrong.errors.contains("not-the-password"))
        }
    }

    /// FalkorDB takes the first key of a query's metadata map as its graph's name: with a database named, the query ran
    /// in a graph called "db" and said nothing. It is refused now, before the query runs; a server that selects
    /// databases runs it there (`environment(for:)` names the test server's database, so the others pass above).
    @Test func aDatabaseTheServerCannotSelectIsRefusedBeforeTheQueryRuns() async throws {
        guard let server = try BoltTestServer.named("falkordb") else { return }
        print("RAN aDatabaseTheServerCannotSelectIsRefusedBeforeTheQueryRuns on \(server)")
        let label = BoltTestServer.uniqueLabel("CypherNamed")
        var environment = Self.environment(for: server)
        environment["SLUICE_BOLT_DATABASE"] = "elsewhere"
        let run = try await Self.sluice(["cypher", "CREATE (:\(label))"], environment: environment)
        #expect(run.status != 0)
        #expect(run.errors.hasPrefix("sluice: error: ") && run.errors.filter { $0 == "\n" }.count == 1)
        #expect(run.errors.contains("cannot select database 'elsewhere' over Bolt"), "stderr: \(run.errors)")
        // Read where the query would have gone (the same metadata map) and in the default graph.
        let connection = try await server.connect()
        let count = "MATCH (n:\(label)) RETURN count(n) AS n"
        let misread = try await connection.run(count, options: BoltTransactionOptions(database: "elsewhere")).collect()
        let plain = try await connection.run(count).collect()
        await connection.close()
        #expect(misread.first?["n"] == 0 && plain.first?["n"] == 0, "created: \(misread) \(plain)")
    }
}
