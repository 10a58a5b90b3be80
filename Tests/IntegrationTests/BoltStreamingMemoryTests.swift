import Bolt
import Foundation
import Testing

/// Streaming in bounded memory, measured by the process's resident memory: it runs alone (scripts/test's
/// `alone_suites`), after the other suites, whose allocations beside it would count as its growth (69 MiB against
/// its 64 once, in a CI run where more suites ran beside it).
@Suite struct BoltStreamingMemoryTests {
    /// A result far larger than memory should hold streams through in bounded memory: a million rows where the server
    /// honours PULL's `n`. FalkorDB ignores it (only holding socket reads back bounds the client) and serves no other
    /// client while a result streams: a million rows read by a debug build stalled every other connection for 32 s
    /// (measured). There the test streams the same 100 MB as 50,000 rows of 2 KB (fewer records, a shorter stall; the
    /// query text stays under FalkorDB's 4 KB), held at once over 100 MiB, from a private FalkorDB: on the shared one,
    /// a CI run at a load of 40 read it slowly enough that other suites' handshakes waited over 60 s and failed.
    @Test(arguments: BoltTestServer.names)
    func aLargeResultStreamsInBoundedMemory(server name: String) async throws {
        guard name == PrivateGraphServer.Kind.falkordb.rawValue else {
            guard let server = try BoltTestServer.named(name) else { return }
            return try await Self.streamALargeResult(from: server, rows: 1_000_000, payload: 0)
        }
        guard let graph = try await PrivateGraphServer.start(.falkordb) else { return }
        do {
            try await Self.streamALargeResult(from: graph.server, rows: 50_000, payload: 2_000)
        } catch {
            await graph.stop()
            throw error
        }
        await graph.stop()
    }

    private static func streamALargeResult(from server: BoltTestServer, rows: Int, payload: Int) async throws {
        try await server.withConnection { connection in
            let before = residentMemoryBytes()
            let result = try await connection.run(
                "UNWIND range(1, \(rows)) AS i RETURN i, '\(String(repeating: "x", count: payload))' AS payload",
                options: server.options,
                fetchSize: 10_000
            )
            var count = 0
            var sum: Int64 = 0
            var bytes = 0
            var peak = before
            for try await record in result {
                count += 1
                sum += record[0].intValue ?? 0
                bytes += record[1].stringValue?.utf8.count ?? 0
                if count % 10_000 == 0 {
                    peak = max(peak, residentMemoryBytes())
                }
            }
            #expect(count == rows)
            #expect(sum == Int64(rows) * Int64(rows + 1) / 2)
            #expect(bytes == rows * payload)
            let growth = peak - before
            print("\(rows) rows on \(server.name): resident memory grew by \(growth / 1_048_576) MiB")
            // A million records, or 100 MB of strings, held at once take well over 100 MiB; streaming keeps it to a
            // few batches.
            #expect(growth < 64 * 1_048_576, "resident memory grew by \(growth / 1_048_576) MiB")
        }
    }
}
