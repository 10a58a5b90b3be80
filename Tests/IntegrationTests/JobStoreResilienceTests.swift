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
