import Bolt
import Foundation
import JobStore
import Systemd
import Testing

/// A daemon whose job store refuses its login (a wrong password) says so once, at error level and with what to fix,
/// and tries again only every `[daemon] retry_maximum`, its metrics connection too: the outage's fast backoff, with
/// a metrics connection retrying every poll interval besides, made a hundred failed logins in Postgres's log in 40 s.
/// The password file fixed, work goes on without a restart.
@Suite(.serialized, .enabled(if: JobStoreTestDatabase.shouldRun()))
struct DaemonPostgresRefusalTests {
    @Test func aRefusedPostgresLoginIsSaidOnceAndTriedOnlyEveryRetryMaximum() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        guard let url = JobStoreTestDatabase.environment["SLUICE_TEST_PG_TCP_URL"],
            let password = JobStoreTestDatabase.environment["SLUICE_TEST_PG_PASSWORD"],
            let address = URLComponents(string: url), let host = address.host, let port = address.port
        else {
            return print("SKIPPED aRefusedPostgresLogin: SLUICE_TEST_PG_TCP_URL/SLUICE_TEST_PG_PASSWORD not set")
        }
        print("RAN aRefusedPostgresLoginIsSaidOnceAndTriedOnlyEveryRetryMaximum beside \(server)")
        let nodes = 200
        try await DaemonFixture.with(server: server, migrations: DaemonFixture.firstStep, nodes: nodes) { fixture in
            // Every connection the daemon makes goes through the proxy, which keeps each one's bytes: a login attempt
            // is one that sent a password (SCRAM's first message names the mechanism).
            let proxy = try await FaultProxy.start(to: BoltURL(host: host, port: port, tls: .none))
            let logins = {
                await proxy.bytesFromClients().filter { $0.contains(Array("SCRAM-SHA-256".utf8)) }.count
            }
            let passwordFile = fixture.folder.appendingPathComponent("pgpass")
            let writePassword = { (password: String) in
                try "\(proxy.host):\(proxy.port):*:*:\(password)\n".write(
                    to: passwordFile,
                    atomically: true,
                    encoding: .utf8
                )
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: passwordFile.path)
            }
            try writePassword("not-the-password")
            let job = try await fixture.enqueue(1, batchSize: 50)
            let notify = try NotifyRecorder()
            defer { notify.stop() }
            let retryMaximum = 3.0
            let daemon = try fixture.start(
                worker: "postgres-password",
                notifySocket: notify.socket.path,
                environment: [
                    "PGHOST": proxy.host, "PGPORT": "\(proxy.port)", "PGPASSFILE": passwordFile.path,
                    "PGSSLMODE": "disable",
                ],
                daemon: ["retry_maximum": "\"\(Int(retryMaximum))s\"", "poll_interval": "\"200ms\""],
                sections: "[metrics]\nlisten = \"127.0.0.1:0\""
            )
            defer { daemon.kill(SIGKILL) }
            let said = try await notify.waitFor("Postgres refused the connection", timeout: .seconds(30))
            #expect(said != nil, "no STATUS= about the refused login: \(notify.messages.suffix(3))")
            let (before, from) = (await logins(), ContinuousClock.now)
            try await Task.sleep(for: .seconds(8))
            let during = await logins() - before
            let window = (ContinuousClock.now - from).seconds
            // The work loop and the metrics connection, each at most once a retry_maximum (and once more at the
            // window's edges).
            let allowed = 2 * (Int(window / retryMaximum) + 1)
            #expect(during <= allowed, "\(during) failed logins in \(window) s (at most \(allowed) expected)")
            let waiting = try #require(try await fixture.store.job(job.id))
            #expect(!waiting.state.isFinished, "the job is \(waiting.state): \(waiting.lastError ?? "")")

            try writePassword(password)
            // Seconds here; a CI run loaded with every other suite took 61 s for its 200 items.
            let (done, after) = try await fixture.waitFor(job.id, timeout: .seconds(180), "finished") {
                $0.state.isFinished
            }
            #expect(done.state == .succeeded, "\(done.state): \(done.lastError ?? "")")
            try await fixture.expectEveryNodeChangedOnce(nodes)
            let (status, _) = await DaemonFixture.stop(daemon)
            #expect(status == 0)
            await proxy.stop()
            let log = daemon.standardError.split(separator: "\n")
            let refused = log.filter { $0.contains("refused the connection") }
            #expect(refused.count == 1, "\(refused.count) lines for one refused login: \(refused)")
            #expect(
                refused.allSatisfy {
                    $0.contains(" error ") && $0.contains("password authentication failed")
                        && $0.contains("pg_hba.conf")
                        && $0.contains("message_id=\(SluiceMessageID.postgresRefused)")
                },
                "\(refused)"
            )
            #expect(!refused.contains { $0.contains("not-the-password") }, "the password leaked: \(refused)")
            #expect(!log.contains { $0.contains("waiting for Postgres") }, "a refused login journalled as an outage")
            let over = log.filter { $0.contains("Postgres answers again") }
            #expect(over.count == 1, "the end of the wait: \(over)")
            print(
                "refused Postgres login: \(during) failed logins in \(Int(window)) s, job \(done.state) \(Int(after.seconds)) s after the password file was fixed"
            )
            if refused.count != 1 || done.state != .succeeded || during > allowed {
                DaemonFixture.dump(daemon, "daemon")
            }
        }
    }
}
