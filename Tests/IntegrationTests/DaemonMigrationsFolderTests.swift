import Foundation
import JobStore
import Testing

/// A migrations folder that goes away while the daemon runs (an unmounted volume, a deploy swapping it) is waited
/// for like an outage: the job it claims meanwhile is not failed but let go, STATUS= says what is missing, the
/// journal says it once, and the job runs once the folder is back. Before, every job claimed meanwhile failed.
@Suite(.serialized, .enabled(if: JobStoreTestDatabase.shouldRun()))
struct DaemonMigrationsFolderTests {
    @Test func aMigrationsFolderGoneAtRuntimeIsWaitedForAndTheJobRunsWhenItIsBack() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        print("RAN aMigrationsFolderGoneAtRuntimeIsWaitedFor beside \(server)")
        let nodes = 300
        try await DaemonFixture.with(server: server, migrations: DaemonFixture.firstStep, nodes: nodes) { fixture in
            let notify = try NotifyRecorder()
            defer { notify.stop() }
            let daemon = try fixture.start(worker: "folder-gone", notifySocket: notify.socket.path)
            defer { daemon.kill(SIGKILL) }
            let idle = try await notify.waitFor("STATUS=idle", timeout: .seconds(30))
            #expect(idle != nil, "the daemon did not get idle: \(notify.messages.suffix(3))")
            let away = fixture.folder.deletingLastPathComponent().appendingPathComponent(
                "\(fixture.folder.lastPathComponent)-away"
            )
            try FileManager.default.moveItem(at: fixture.folder, to: away)
            var moved = true
            defer { if moved { try? FileManager.default.moveItem(at: away, to: fixture.folder) } }
            let job = try await fixture.enqueue(1, batchSize: 100)
            let waiting = try await notify.waitFor("STATUS=waiting for the migrations folder", timeout: .seconds(30))
            #expect(waiting != nil, "no STATUS= about the folder: \(notify.messages.suffix(3))")
            try await Task.sleep(for: .seconds(4))
            let meanwhile = try #require(try await fixture.store.job(job.id))
            #expect(!meanwhile.state.isFinished, "the job is \(meanwhile.state): \(meanwhile.lastError ?? "")")
            // `sluice status` sends the operator to the daemon that waits, not to look for a dead one.
            let shown = try await fixture.status(job.id)
            #expect(
                shown.output.contains("no worker holds it now: daemon folder-gone serves its graph"),
                "\(shown.output)\(shown.errors)"
            )

            try FileManager.default.moveItem(at: away, to: fixture.folder)
            moved = false
            // Generous: on a loaded CI machine planning 300 items took 29 s and a batch 16 s; the point is that it goes on.
            let (done, after) = try await fixture.waitFor(job.id, timeout: .seconds(240), "finished") {
                $0.state.isFinished
            }
            #expect(done.state == .succeeded, "\(done.state): \(done.lastError ?? "")")
            try await fixture.expectEveryNodeChangedOnce(nodes)
            let (status, _) = await DaemonFixture.stop(daemon)
            #expect(status == 0)
            let log = daemon.standardError.split(separator: "\n")
            let said = log.filter { $0.contains("waiting for the migrations folder") }
            #expect(said.count == 1 && said.allSatisfy { $0.contains("no such folder") }, "\(said)")
            #expect(said.allSatisfy { DaemonFixture.namesJob($0, job) }, "\(said)")
            let back = log.filter { $0.contains("the migrations folder can be read again") }
            #expect(back.count == 1, "\(back)")
            #expect(!log.contains { $0.contains("job failed") }, "a job failed while the folder was away")
            print("migrations folder away 4 s: job \(done.state) \(Int(after.seconds)) s after it came back")
            if done.state != .succeeded || said.count != 1 { DaemonFixture.dump(daemon, "daemon") }
        }
    }
}
