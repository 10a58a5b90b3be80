import Bolt
import Foundation
import Testing

/// An independent client, the official Python `neo4j` driver, reads what sluice wrote and writes
/// what sluice reads: both sides must agree on every property's type and value.
@Suite struct PythonDriverCrossCheckTests {
    /// Property values whose Python type is known: int, float, str, bool, list.
    static let properties: [String: BoltValue] = [
        "tiny": 7, "negative": -17, "big": 9_000_000_000_000, "float": 1.25, "text": "grüße, 東京", "yes": true,
        "no": false, "ints": [1, 2, 3], "texts": ["a", "b"],
    ]

    /// Reads or writes one node with the Python driver. It exits without closing the driver: a
    /// driver's close sends GOODBYE, after which FalkorDB hangs the next connection (BOLT-SERVERS.md).
    static let script = #"""
        import json, os, sys
        from neo4j import GraphDatabase
        url, user, database, label, mode = sys.argv[1:6]
        password = os.environ.get("SLUICE_TEST_DRIVER_PASSWORD", "")
        driver = GraphDatabase.driver(url, auth=(user, password) if user else None)
        with driver.session(**({"database": database} if database else {})) as session:
            if mode == "read":
                node = session.run(f"MATCH (n:{label}) RETURN n").single()["n"]
                print(json.dumps({k: [type(v).__name__, v] for k, v in dict(node).items()}))
            else:
                props = json.loads(sys.stdin.read())
                session.run(f"CREATE (n:{label}) SET n = $props", props=props).consume()
        sys.stdout.flush()
        os._exit(0)
        """#

    static func python(
        _ server: BoltTestServer,
        mode: String,
        label: String,
        input: String = ""
    ) async throws -> String {
        guard let python = ProcessInfo.processInfo.environment["SLUICE_TEST_PYTHON"] else {
            throw CrossCheckError("SLUICE_TEST_PYTHON is not set (run the tests through scripts/test)")
        }
        let (user, password) = server.credentials
        let run = try await ProcessRun.run(
            URL(fileURLWithPath: python),
            ["-c", script, "bolt://\(server.url.host):\(server.url.port)", user, server.database ?? "", label, mode],
            // The password through the environment: a command line is visible to every user.
            environment: ProcessInfo.processInfo.environment.merging(["SLUICE_TEST_DRIVER_PASSWORD": password]) { $1 },
            input: input
        )
        guard run.status == 0 else {
            throw CrossCheckError("python driver (\(mode)) failed: \(run.errors)")
        }
        return run.output
    }

    struct CrossCheckError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    @Test(arguments: BoltTestServer.names)
    func pythonDriverReadsWhatSluiceWrote(server: String) async throws {
        guard let server = try BoltTestServer.named(server) else { return }
        let label = BoltTestServer.uniqueLabel("FromSluice")
        try await server.withConnection { connection in
            _ = try await server.query(
                connection,
                "CREATE (n:\(label)) SET n = $props",
                ["props": .map(Self.properties)]
            )
            let json = try await Self.python(server, mode: "read", label: label)
            let read = try BoltValue(jsonText: json)
            let expectedTypes: [String: String] = [
                "tiny": "int", "negative": "int", "big": "int", "float": "float", "text": "str", "yes": "bool",
                "no": "bool", "ints": "list", "texts": "list",
            ]
            for (key, value) in Self.properties {
                let pair = read[key]?.listValue
                #expect(pair?.first?.stringValue == expectedTypes[key], "Python type of \(key) on \(server.name)")
                #expect(pair?.last == value, "value of \(key) on \(server.name)")
            }
            _ = try await server.query(connection, "MATCH (n:\(label)) DELETE n")
        }
    }

    @Test(arguments: BoltTestServer.names)
    func sluiceReadsWhatThePythonDriverWrote(server: String) async throws {
        guard let server = try BoltTestServer.named(server) else { return }
        let label = BoltTestServer.uniqueLabel("FromPython")
        _ = try await Self.python(server, mode: "write", label: label, input: BoltValue.map(Self.properties).jsonText)
        try await server.withConnection { connection in
            let node = try #require(
                try await server.query(connection, "MATCH (n:\(label)) RETURN n").first?["n"]?.nodeValue
            )
            #expect(node.properties == Self.properties, "on \(server.name)")
            _ = try await server.query(connection, "MATCH (n:\(label)) DELETE n")
        }
    }
}
