import Bolt
import Foundation
import Testing

/// The Bolt client and its pool when the network fails, through a ``FaultProxy`` in front of ArcadeDB
/// (real transactions, so what committed can be checked).
///
/// A server killed and restarted is played by the proxy (every connection reset, new ones refused for a
/// while) rather than by stopping ArcadeDB: the other suites share that server and run in parallel.
@Suite struct BoltFaultProxyTests {
    /// ArcadeDB and a proxy in front of it; the proxy is stopped after `body`.
    static func withProxy(
        _ test: String = #function,
        _ body: (BoltTestServer, FaultProxy) async throws -> Void
    ) async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        print("RAN \(test) on \(server) through a fault proxy")
        let proxy = try await FaultProxy.start(to: server.url)
        do {
            try await body(server, proxy)
            await proxy.stop()
        } catch {
            await proxy.stop()
            throw error
        }
    }

    static func pool(_ server: BoltTestServer, _ proxy: FaultProxy) -> BoltConnectionPool {
        BoltConnectionPool(url: proxy.url(), auth: server.auth, configuration: .init(maximumConnections: 2))
    }

    @Test func cutMidStreamIsRetryableAndThePoolRecovers() async throws {
        try await Self.withProxy { server, proxy in
            let pool = Self.pool(server, proxy)
            let errors = ErrorLog()
            // 50,000 rows are about 550 kB: cut after 150 kB, well inside the stream.
            await proxy.cutAfter(bytesFromServer: 150_000)
            let count = try await pool.executeRead(
                options: server.options,
                retry: BoltRetryPolicy(maximumRetryTime: .seconds(300), initialDelay: .milliseconds(50))
            ) { transaction in
                var count = 0
                do {
                    for try await _ in try await transaction.run("UNWIND range(1, 50000) AS i RETURN i") {
                        count += 1
                    }
                } catch {
                    await errors.append(error, after: count)
                    throw error
                }
                return count
            }
            #expect(count == 50_000)
            let failures = await errors.entries
            try #require(failures.count == 1, "the cut fired once: \(failures)")
            let (error, rows) = failures[0]
            print("cut after \(rows) rows: \(error)")
            #expect(rows > 0 && rows < 50_000, "cut mid-stream")
            #expect((error as? BoltError)?.isRetryable == true, "\(error)")
            // The broken connection was dropped; the next lease works.
            let one = try await pool.withConnection { connection in
                try await connection.run("RETURN 1 AS x", options: server.options).collect().first?["x"]
            }
            #expect(one == 1)
            await pool.close()
        }
    }

    @Test func cutRightAfterCommitIsAnUnknownOutcomeAndTheWriteCommitted() async throws {
        try await Self.withProxy { server, proxy in
            let pool = Self.pool(server, proxy)
            let label = BoltTestServer.uniqueLabel("AfterCommit")
            let attempts = Counter()
            await proxy.cutWhenClientSends(pattern: FaultProxy.commitMessage)
            await #expect {
                try await pool.executeWrite(options: server.options) { transaction in
                    await attempts.increment()
                    try await transaction.run("CREATE (:\(label) {v: 1})").consume()
                }
            } throws: { error in
                print("cut after COMMIT: \(error)")
                guard case BoltError.unknownOutcome = error else { return false }
                return !(error as! BoltError).isRetryable
            }
            #expect(await attempts.value == 1, "an unknown outcome is never retried blindly")
            // The server had the COMMIT: the write is there (read directly, not through the proxy).
            let count = try await server.withConnection { connection in
                var count: BoltValue?
                for _ in 0..<50 {
                    count = try await server.query(connection, "MATCH (n:\(label)) RETURN count(n) AS c").first?["c"]
                    if count == 1 { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                _ = try await server.query(connection, "MATCH (n:\(label)) DELETE n")
                return count
            }
            #expect(count == 1, "the commit whose answer was lost took effect")
            await pool.close()
        }
    }

    @Test func serverDownThenBackThePoolReconnects() async throws {
        try await Self.withProxy { server, proxy in
            let pool = Self.pool(server, proxy)
            let before = try await pool.withConnection { connection in
                try await connection.run("RETURN 1 AS x", options: server.options).collect().first?["x"]
            }
            #expect(before == 1)
            // The server dies: its connections are reset and nothing listens for 2 s.
            await proxy.cutAll()
            await proxy.refuseNew(for: .seconds(2))
            // A transaction, not an auto-commit query: one sent on a connection whose reset is not yet
            // read would end with an unknown outcome, rightly, and that is not what this checks. On a quiet
            // machine the pool was once seen to get through before the proxy refused (a race in this test).
            do {
                try await pool.withConnection { connection in
                    try await connection.beginTransaction(options: server.options).rollback()
                }
                print("while the server is down: the transaction got through before the proxy refused")
            } catch {
                print("while the server is down: \(error)")
                #expect((error as? BoltError)?.isRetryable == true, "\(error)")
            }
            let clock = ContinuousClock()
            let start = clock.now
            let attempts = Counter()
            let after = try await pool.executeRead(
                options: server.options,
                retry: BoltRetryPolicy(initialDelay: .milliseconds(200), multiplier: 1.5)
            ) { transaction in
                await attempts.increment()
                return try await transaction.run("RETURN 2 AS x").collect().first?["x"]
            }
            let waited = clock.now - start
            print("back after \(waited); the unit ran \(await attempts.value) time(s), after the connects that failed")
            #expect(after == 2)
            #expect(await pool.connectionCount == 1, "the dead connections were not counted")
            await pool.close()
        }
    }

    @Test func delayedTrafficArrivesLateButIntact() async throws {
        try await Self.withProxy { server, proxy in
            let connection = try await BoltConnection.connect(to: proxy.url(), auth: server.auth)
            await proxy.delay(.milliseconds(150))
            let clock = ContinuousClock()
            let start = clock.now
            let records = try await connection.run("UNWIND range(1, 1000) AS i RETURN i", options: server.options)
                .collect()
            let elapsed = clock.now - start
            #expect(records.count == 1000 && records.last?["i"] == 1000)
            #expect(elapsed >= .milliseconds(300), "a request and its answer each held 150 ms; took \(elapsed)")
            await proxy.delay(.zero)
            await connection.close()
        }
    }

    @Test func closeSaysGoodbyeOnlyWhenAskedTo() async throws {
        try await Self.withProxy { server, proxy in
            for sendsGoodbye in [true, false] {
                let connection = try await BoltConnection.connect(
                    to: proxy.url(),
                    auth: server.auth,
                    sendsGoodbye: sendsGoodbye
                )
                _ = try await connection.run("RETURN 1", options: server.options).consume()
                await connection.close()
            }
            var sent: [[UInt8]] = []
            for _ in 0..<50 {  // the proxy may see the last bytes a moment after the close
                sent = await proxy.bytesFromClients()
                if sent.count == 2, sent[0].suffix(6).elementsEqual(FaultProxy.goodbyeMessage) { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            try #require(sent.count == 2)
            #expect(sent[0].suffix(6).elementsEqual(FaultProxy.goodbyeMessage), "GOODBYE is the last message")
            #expect(!sent[1].suffix(6).elementsEqual(FaultProxy.goodbyeMessage), "no GOODBYE when not asked to")
        }
    }
}

/// The errors a unit of work saw, with how far it got, across retries.
actor ErrorLog {
    private(set) var entries: [(any Error, Int)] = []
    func append(_ error: any Error, after progress: Int) { entries.append((error, progress)) }
}
