import Foundation
import JobStore
import Systemd
import Testing

/// A daemon whose graph cannot be used journals it once, however often it tries again: nothing listening on the
/// graph's port is an outage (one warning, STATUS= at every attempt), a refused password a configuration problem (one
/// error saying what to fix, never "unreachable"). Neither fails the job, and its start is journalled only once it
/// runs: the password fixed and the daemon reloaded (SIGHUP), it goes on without a restart. A refused password is
/// not tried again at the outage's pace, which would lock the account out.
@Suite(.serialized, .enabled(if: JobStoreTestDatabase.shouldRun()))
struct DaemonGraphRefusalTests {
    /// Retries every second at most, so the 8 s of each test hold about ten of them.
    static let retries = ["retry_initial": "\"200ms\"", "retry_maximum": "\"1s\""]

    @Test func aGraphNothingListensOnIsJournalledOnceNotAtEveryRetry() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        print("RAN aGraphNothingListensOnIsJournalledOnceNotAtEveryRetry beside \(server)")
        try await DaemonFixture.with(server: server, migrations: DaemonFixture.firstStep, nodes: 10) { fixture in
            let url = "bolt://127.0.0.1:1"
            let number = try #require(fixture.catalog.migrations.first)
            var request = JobRequest.test(number, on: server, batchSize: 100)
            request.target = JobTarget(url: url, database: server.database ?? "")
            let job = try await fixture.store.enqueue(request)
            let notify = try NotifyRecorder()
            defer { notify.stop() }
            let daemon = try fixture.start(
                worker: "graph-down",
                notifySocket: notify.socket.path,
                environment: ["SLUICE_BOLT_URL": url],
                daemon: Self.retries
            )
            defer { daemon.kill(SIGKILL) }
            try await Task.sleep(for: .seconds(8))
            let attempts = notify.messages.filter { $0.text.contains("STATUS=waiting for the graph") }.count
            let (status, _) = await DaemonFixture.stop(daemon)
            #expect(status == 0)
            let log = daemon.standardError.split(separator: "\n")
            let unreachable = log.filter { $0.contains("unreachable") }
            #expect(attempts >= 4, "only \(attempts) attempts in 8 s")
            #expect(unreachable.count == 1, "\(unreachable.count) lines for one outage: \(unreachable)")
            #expect(unreachable.allSatisfy { $0.contains(" warning ") }, "\(unreachable)")
            // The wait is the job's: `journalctl SLUICE_JOB=` finds it.
            #expect(unreachable.allSatisfy { DaemonFixture.namesJob($0, job) }, "\(unreachable)")
            #expect(!log.contains { $0.contains("job started") }, "the job was journalled started while it waited")
            #expect(!log.contains { $0.contains("taken up again") }, "the job was journalled taken up at a retry")
            let still = try #require(try await fixture.store.job(job.id))
            #expect(!still.state.isFinished, "the job is \(still.state): \(still.lastError ?? "")")
            print("graph down 8 s: \(attempts) attempts, journal: \(unreachable)")
            if unreachable.count != 1 { DaemonFixture.dump(daemon, "daemon") }
        }
    }

    @Test func aRefusedPasswordIsSaidOnceAndAReloadWithTheRightOneLetsTheJobGoOn() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        guard case .basic(_, let password) = server.auth else {
            return print("SKIPPED aRefusedPassword: \(server) takes no password")
        }
        print("RAN aRefusedPasswordIsSaidOnceAndAReloadWithTheRightOneLetsTheJobGoOn on \(server)")
        let nodes = 1_000
        try await DaemonFixture.with(server: server, migrations: DaemonFixture.firstStep, nodes: nodes) { fixture in
            let passwordFile = fixture.folder.appendingPathComponent("bolt-password")
            try "not-the-password\n".write(to: passwordFile, atomically: true, encoding: .utf8)
            let job = try await fixture.enqueue(1, batchSize: 100)
            let notify = try NotifyRecorder()
            defer { notify.stop() }
            let daemon = try fixture.start(
                worker: "graph-password",
                notifySocket: notify.socket.path,
                environment: ["SLUICE_BOLT_PASSWORD_FILE": passwordFile.path],
                daemon: Self.retries,
                passwordInEnvironment: false
            )
            defer { daemon.kill(SIGKILL) }
            let said = try await notify.waitFor("refused the credentials", timeout: .seconds(30))
            #expect(said != nil, "no STATUS= about the credentials: \(notify.messages.suffix(3))")
            try await Task.sleep(for: .seconds(8))
            // Not the outage's backoff: a few refusals in a row lock the account (ArcadeDB), the application's too.
            let attempts = notify.messages.filter { $0.text.contains("refused the credentials") }.count
            #expect(attempts == 1, "\(attempts) attempts with the refused password in 8 s")
            let refused = try #require(try await fixture.store.job(job.id))
            #expect(!refused.state.isFinished, "the job is \(refused.state): \(refused.lastError ?? "")")
            // What it waits for is in the job store too, for `sluice status` on another host.
            #expect(
                refused.lastError?.hasPrefix("waiting: the graph refused the credentials: ") == true,
                "last error: \(refused.lastError ?? "none")"
            )
            let shown = try await fixture.status(job.id)
            #expect(shown.output.contains("waiting: the graph refused the credentials"), "\(shown.output)")

            try "\(password)\n".write(to: passwordFile, atomically: true, encoding: .utf8)
            daemon.kill(SIGHUP)
            let (done, after) = try await fixture.waitFor(job.id, timeout: .seconds(120), "finished") {
                $0.state.isFinished
            }
            #expect(done.state == .succeeded, "\(done.state): \(done.lastError ?? "")")
            #expect(done.lastError == nil, "a wait over still shown: \(done.lastError ?? "")")
            try await fixture.expectEveryNodeChangedOnce(nodes)
            let (status, _) = await DaemonFixture.stop(daemon)
            #expect(status == 0)
            let log = daemon.standardError.split(separator: "\n")
            let credentials = log.filter { $0.contains("refused the credentials") }
            #expect(credentials.count == 1, "\(credentials.count) lines for one refused password: \(credentials)")
            #expect(credentials.allSatisfy { $0.contains(" error ") && $0.contains("bolt-password") }, "\(credentials)")
            let messageID = "message_id=\(SluiceMessageID.credentialsRefused)"
            #expect(credentials.allSatisfy { $0.contains(messageID) }, "no catalog entry linked: \(credentials)")
            #expect(credentials.allSatisfy { DaemonFixture.namesJob($0, job) }, "\(credentials)")
            let takenUp = log.filter { $0.contains("job taken up again") }
            #expect(
                takenUp.count == 1 && takenUp.allSatisfy { $0.contains("accepted the credentials") },
                "after the reload: \(takenUp)"
            )
            #expect(!log.contains { $0.contains("unreachable") }, "a refused password journalled as an outage")
            #expect(log.filter { $0.contains("job started") }.count == 1, "the job's start journalled more than once")
            print("refused password: said once, job \(done.state) \(Int(after.milliseconds)) ms after the reload")
            if credentials.count != 1 || done.state != .succeeded { DaemonFixture.dump(daemon, "daemon") }
        }
    }
}
