import Daemon
import Foundation
import JobStore
import Testing

/// The store rides out a lost session and a Postgres restart, and never shows a password.
extension JobStoreIntegrationTests {
    @Test func reconnectsAfterItsSessionIsTerminated() async throws {
        try await JobStoreTestDatabase.withStore { store in
            let job = try await store.enqueue(JobStoreTestDatabase.request(target: "terminate"))
            let pid = await store.connection.backendPID
            let admin = try await PostgresConnection.connect(configuration: PostgresConfiguration())
            try await admin.query("SELECT pg_terminate_backend($1::integer)", [Int(pid)])
            await admin.close()
            try await Task.sleep(for: .milliseconds(100))
            // The next operation notices, reconnects and succeeds.
            #expect(try await store.job(job.id)?.id == job.id)
            #expect(await store.connection.reconnectCount == 1)
            #expect(await store.connection.backendPID != pid)
        }
    }

    @Test func survivesAPostgresRestart() async throws {
        // Its own cluster: restarting the shared one would fail the suites running meanwhile.
        let cluster = PostgresTestCluster.outage
        guard cluster.isConfigured, let restart = cluster.restartCommand() else {
            return cluster.reportUncontrollable(skipping: "survivesAPostgresRestart")
        }
        try await JobStoreTestDatabase.withStore(cluster: cluster) { store in
            let job = try await store.enqueue(JobStoreTestDatabase.request(target: "restart"))
            let listener = try await store.listen()
            let received = ReceivedEvents()
            let recording = received.record(listener)
            defer {
                listener.stop()
                recording.cancel()
            }
            _ = await received.waitFor(count: 0, timeout: .zero)
            let pidBefore = await store.connection.backendPID

            let restarted = ContinuousClock.now
            let (status, output) = try await JobStoreTestDatabase.shell(restart)
            #expect(status == 0, "restart failed: \(output)")
            let restartTime = ContinuousClock.now - restarted

            // The very next operation succeeds on a new session.
            let afterStarted = ContinuousClock.now
            let read = try await store.job(job.id)
            let firstOperation = ContinuousClock.now - afterStarted
            #expect(read?.id == job.id)
            #expect(await store.connection.reconnectCount >= 1)
            #expect(await store.connection.backendPID != pidBefore)

            // The listener reconnects by itself, says so, and delivers again.
            let resynced = await received.waitFor(count: 1, timeout: .seconds(20))
            #expect(resynced.contains { $0.event == .reconnected })
            let before = await received.events.count
            _ = try await store.pause(job.id, by: "operator")
            let after = await received.waitFor(count: before + 1, timeout: .seconds(2))
            #expect(after.count > before && JobSignal(after[before].event) == .jobChanged(job.id))
            print(
                "Postgres restart took \(Int(restartTime.milliseconds)) ms; the next store operation succeeded in "
                    + "\(Int(firstOperation.milliseconds)) ms; the listener re-subscribed and delivered again"
            )
        }
    }

    /// A Postgres that stops answering without refusing or closing anything (its postmaster and backends SIGSTOPped,
    /// as a hung host or a partition that drops packets leaves it): a statement fails as a lost connection once the
    /// answer timeout has passed, instead of waiting as long as the server is stopped; connecting again is bounded
    /// too, an operation queued right behind fails at once instead of waiting as long again, and once the server
    /// answers the store works on a new session. The daemon's reconnect policy: an operation rides out 4 s.
    @Test func aStatementToAServerThatStopsAnsweringFailsWithinTheAnswerTimeout() async throws {
        let cluster = PostgresTestCluster.outage
        guard cluster.isConfigured, cluster.servicesCommand("stop") != nil else {
            return cluster.reportUncontrollable(skipping: "aStatementToAServerThatStopsAnswering")
        }
        let bound = Duration.seconds(2)
        try await JobStoreTestDatabase.withStore(
            cluster: cluster,
            answerTimeout: bound,
            reconnect: DaemonConfiguration.postgresReconnect(afterRefusal: .seconds(30))
        ) { store in
            let job = try await store.enqueue(JobStoreTestDatabase.request(target: "hung"))
            let pidBefore = await store.connection.backendPID
            let frozen = try #require(cluster.freeze(), "cannot stop \(cluster)")
            defer { cluster.thaw(frozen) }

            var started = ContinuousClock.now
            do throws(PostgresError) {
                try await store.connection.query(
                    "SELECT state FROM \(store.schema.quoted).jobs WHERE id = $1::bigint",
                    [job.id]
                )
                Issue.record("a statement to a stopped Postgres succeeded")
            } catch {
                guard case .connectionLost(let message, _) = error else { throw error }
                #expect(message == "no answer from Postgres for 2s")
            }
            let unanswered = ContinuousClock.now - started
            #expect(unanswered >= bound && unanswered < bound + .seconds(3), "a statement failed after \(unanswered)")

            // The next operation connects anew, which the stopped server does not answer either: bounded by the
            // connect timeout (the answer timeout's 2 s here), then the one right after fails at once.
            started = ContinuousClock.now
            await #expect(throws: JobStoreError.self) { try await store.job(job.id) }
            let reconnecting = ContinuousClock.now - started
            started = ContinuousClock.now
            do throws(JobStoreError) {
                _ = try await store.job(job.id)
                Issue.record("an operation on a stopped Postgres succeeded")
            } catch {
                #expect(error.postgresError?.isConnectionProblem == true, "\(error)")
            }
            let queued = ContinuousClock.now - started
            #expect(reconnecting < .seconds(10), "connecting to a stopped Postgres took \(reconnecting)")
            #expect(queued < .seconds(1), "the operation right after waited \(queued)")

            cluster.thaw(frozen)
            let answers = try await eventually(timeout: .seconds(20)) {
                (try? await store.job(job.id))?.id == job.id
            }
            #expect(answers, "the store did not work again once Postgres answered")
            #expect(await store.connection.reconnectCount >= 1)
            #expect(await store.connection.backendPID != pidBefore)
            print(
                "stopped Postgres: a statement gave up after \(Int(unanswered.milliseconds)) ms, reconnecting after "
                    + "\(Int(reconnecting.milliseconds)) ms, the operation after it after \(Int(queued.milliseconds)) ms"
            )
        }
    }

    @Test func aWrongPasswordGivesAClearErrorThatDoesNotEchoIt() async throws {
        try JobStoreTestDatabase.requireConfigured()
        guard let url = JobStoreTestDatabase.environment["SLUICE_TEST_PG_TCP_URL"],
            let password = JobStoreTestDatabase.environment["SLUICE_TEST_PG_PASSWORD"],
            let userEnd = url.range(of: "://")?.upperBound, let at = url.firstIndex(of: "@")
        else {
            print("wrong-password test skipped: SLUICE_TEST_PG_TCP_URL/SLUICE_TEST_PG_PASSWORD not set")
            return
        }
        let user = url[userEnd..<at]
        let hostAndDatabase = url[url.index(after: at)...]
        let wrong = "Wr0ng-\(UInt32.random(in: 100_000...999_999))-pass"
        func withPassword(_ password: String) -> String {
            "postgresql://\(user):\(password)@\(hostAndDatabase)"
        }
        let host = hostAndDatabase.split(separator: "/").first.map(String.init) ?? ""
        let parts = host.split(separator: ":")
        let keywordForm =
            "host=\(parts[0]) port=\(parts.count > 1 ? parts[1] : "5432") user=\(user) password=\(wrong) dbname=\(hostAndDatabase.split(separator: "/").last ?? "")"

        for conninfo in [withPassword(wrong), keywordForm] {
            let started = ContinuousClock.now
            do {
                _ = try await JobStore.open(JobStoreTestDatabase.configuration(schema: "sluice", conninfo: conninfo))
                Issue.record("connected with a wrong password")
            } catch {
                let message = error.description
                #expect(message.contains("password authentication failed"), "\(message)")
                #expect(!message.contains(wrong), "the password leaked: \(message)")
                #expect(!message.contains("\n"))
                print("wrong password error: \(message)")
            }
            // Not retried: waiting cannot fix a password.
            #expect(ContinuousClock.now - started < .seconds(3))
        }
        #expect(!PostgresConfiguration(conninfo: withPassword(wrong)).redactedConnInfo.contains(wrong))

        // The right one works, over TCP with SCRAM.
        let store = try await JobStore.open(
            JobStoreTestDatabase.configuration(schema: "sluice", conninfo: withPassword(password)),
            migrate: false
        )
        let row = try await store.connection.query("SELECT inet_server_addr() IS NOT NULL AS tcp")[0]
        #expect(try row.decode("tcp", as: Bool.self))
        await store.close()
    }
}
