import Foundation
import Testing

extension PrivateGraphServer {
    /// FalkorDB's crash bugs the tests on a private FalkorDB can run into.
    static let falkorCrash: Comment = """
        FalkorDB 4.16.3 died by a signal or hung: its known crashes when a Bolt client goes away while its query is \
        processed (FalkorDB/FalkorDB#897) and when its module lock fails (`mutex->__data.__owner == 0`, or a deadlock: \
        every thread waiting on a futex) under concurrent queries
        """

    /// Thrown into a test's body when its private server crashed, so that it stops waiting for a job that cannot go
    /// on (the daemon waits a graph outage out for as long as it lasts).
    struct Crashed: Error, CustomStringConvertible {
        let signal: Int32
        var description: String { "the private FalkorDB died by signal \(signal)" }
    }

    /// Thrown into a test's body when its private server hung: alive, but its event loop answered no `PING` for
    /// `hangTimeout`.
    struct Hung: Error, CustomStringConvertible {
        var description: String { "the private FalkorDB hung: no PING answered for \(hangTimeout)" }
    }

    /// How long a private FalkorDB may leave `PING`s unanswered before it counts as hung: far longer than a commit holds
    /// Redis's lock.
    static let hangTimeout = Duration.seconds(30)

    /// Runs `body` on the shared server `name`, except FalkorDB: there `body` gets a private server of its own
    /// (``withPrivateFalkorDB(threads:sourceLocation:_:)``).
    ///
    /// For tests that SIGKILL or SIGSTOP clients mid-query: FalkorDB can crash when a client goes away while its
    /// query is processed (FalkorDB/FalkorDB#897), and in a CI run the shared one died so, failing 11 tests of other
    /// suites that used it meanwhile.
    static func withServerForKilledClients(
        _ name: String,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: @escaping @Sendable (BoltTestServer) async throws -> Void
    ) async throws {
        guard name == Kind.falkordb.rawValue else {
            guard let server = try BoltTestServer.named(name, sourceLocation: sourceLocation) else { return }
            return try await body(server)
        }
        try await withPrivateFalkorDB(sourceLocation: sourceLocation) { graph in try await body(graph.server) }
    }

    /// Runs `body` on a private FalkorDB started with `threads` query threads (`THREAD_COUNT`; nil: one per core), and
    /// stops it afterwards. When the server dies by a signal of its own, `body` is cancelled, the bug report from the
    /// server's log is printed, and what the crash broke is recorded as FalkorDB's known issue (``falkorCrash``). So
    /// too when it hangs, which its locking bug also does (in a CI run every thread of it waited on a futex, its RESP
    /// port answered no `PING`, and the job and the test waited for minutes): no `PING` answered for ``hangTimeout``,
    /// or none within 10 s once `body` failed. Any failure while the server lives and answers (wrong counts, a worker
    /// that was not fenced, a latency that stayed high) is a failure as ever. `body` may restart the server: a crash
    /// of any of its runs counts.
    static func withPrivateFalkorDB(
        threads: Int? = nil,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: @escaping @Sendable (PrivateGraphServer) async throws -> Void
    ) async throws {
        guard let graph = try await start(.falkordb, falkordbThreads: threads, sourceLocation: sourceLocation) else {
            return
        }
        do {
            try await withKnownIssue(falkorCrash, isIntermittent: true, sourceLocation: sourceLocation) {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        do {
                            try await body(graph)
                        } catch {
                            // A body that gave up waiting on a hung server: the hang is what to record.
                            let answers = graph.pid == 0 ? true : await graph.answersPing()
                            if graph.crashSignal == nil, !answers {
                                await graph.markHung()
                            }
                            throw error
                        }
                    }
                    group.addTask {
                        var answered = ContinuousClock.now
                        while true {
                            for _ in 0..<25 {
                                if let signal = graph.crashSignal { throw Crashed(signal: signal) }
                                try await Task.sleep(for: .milliseconds(200))
                            }
                            // Not running: being restarted by `body`.
                            let answers = graph.pid == 0 ? true : await graph.answersPing()
                            if answers {
                                answered = .now
                            } else if ContinuousClock.now - answered > hangTimeout {
                                await graph.markHung()
                                throw Hung()
                            }
                        }
                    }
                    defer { group.cancelAll() }
                    try await group.next()
                }
            } matching: { _ in
                graph.hung || graph.diedByItself()
            }
        } catch {
            print("---- private falkordb log ----\n\(graph.log.suffix(3_000))\n---- end ----")
            await graph.stop()
            throw error
        }
        if let signal = graph.crashSignal {
            print(
                "---- private falkordb died by signal \(signal); its bug report ----\n\(graph.crashReport)\n---- end ----"
            )
        }
        await graph.stop()
    }

    /// Whether the server died by a signal of its own; waits a second for a crash to show (Redis writes its bug
    /// report before it dies, and the exit is seen a moment later), not longer: an issue while it lives is a failure.
    private func diedByItself() -> Bool {
        for _ in 0..<50 {
            if crashSignal != nil { return true }
            usleep(20_000)
        }
        return false
    }
}
