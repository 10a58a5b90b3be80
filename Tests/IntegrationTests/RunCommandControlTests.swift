import Bolt
import Engine
import Foundation
import JobStore
import Testing

/// An operator's `sluice cancel` and `sluice pause` of a job a foreground `sluice run` holds: the run carries the
/// cancel out (nobody else would: it holds the job), and leaves a pause for `sluice resume` to lift, not for the next
/// run of the same command.
@Suite struct RunCommandControlTests {
    static let nodes = 2_000
    /// 50 items a batch at 200 items/s: ten seconds of batches, so the job is mid-way when it is told.
    static let paced = ["--batch-size", "50"]
    static let throttle = ["--max-rate", "200", "--target-p99", "2000", "--critical-p99", "10000"]

    @Test func aCancelEndsTheJobAndTheRunSaysWhatStaysChanged() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        let label = BoltTestServer.uniqueLabel("Cancelled")
        guard let harness = try await Self.harness(server: server, label: label) else { return }
        print("RAN aCancelEndsTheJobAndTheRunSaysWhatStaysChanged on \(server)")
        let running = try await harness.startMidJob("1", Self.paced)
        let job = try #require(try await harness.job())
        _ = try await harness.store.cancel(job.id, by: "test")
        let status = await running.wait()
        let ended = try #require(try await harness.job())
        #expect(status == 1, "exit \(status): \(running.standardError)")
        #expect(ended.state == .cancelled, "the job is \(ended.state): it blocks its graph until cancelled again")
        #expect(
            running.standardError.contains("cancelled by an operator at offset \(ended.planDone) (job \(job.id))")
                && running.standardError.contains("`sluice enqueue 001 --down` undoes them"),
            "\(running.standardError)"
        )
        #expect(ended.planDone > 0 && ended.planDone < Int64(Self.nodes), "not cancelled mid-job: \(ended.planDone)")
        let counters = try await harness.histogram(of: "counter", label: label)
        #expect(counters[.integer(1)] == ended.planDone && counters[.integer(2)] == nil, "\(counters)")
        // Ended in the graph too: its job node is finished (the (:Migration) node, shared by every test's 001, is
        // mirrored as for the other endings).
        let finished = try await server.jobNodeFinished(ended)
        #expect(finished == .boolean(true), "job node finished: \(String(describing: finished))")
        let history = try await harness.store.history()
        #expect(history.map(\.status) == [.partial] && history.first?.items == ended.planDone, "\(history)")
        await harness.cleanUp(label: label)
    }

    @Test func aPausedJobIsNotResumedByRunningTheCommandAgain() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        let label = BoltTestServer.uniqueLabel("Paused")
        guard let harness = try await Self.harness(server: server, label: label) else { return }
        print("RAN aPausedJobIsNotResumedByRunningTheCommandAgain on \(server)")
        let running = try await harness.startMidJob("1", Self.paced)
        let job = try #require(try await harness.job())
        _ = try await harness.store.pause(job.id, by: "test")
        let status = await running.wait()
        let paused = try #require(try await harness.job())
        #expect(status == 1 && paused.state == .paused, "exit \(status), \(paused.state): \(running.standardError)")
        #expect(
            running.standardError.contains("paused by an operator at offset \(paused.planDone) (job \(job.id))")
                && running.standardError.contains("`sluice resume \(job.id)`"),
            "\(running.standardError)"
        )

        let again = try harness.start("1", Self.paced)
        let againStatus = await again.wait()
        #expect(againStatus == 1, "\(again.standardOutput)")
        #expect(
            again.standardError.contains("job \(job.id) of 001 up is paused: `sluice resume \(job.id)`"),
            "\(again.standardError)"
        )
        let still = try #require(try await harness.job())
        #expect(still.state == .paused && still.planDone == paused.planDone, "\(still.state) at \(still.planDone)")

        _ = try await harness.store.resume(job.id, by: "test")
        let resumed = try JobStoreTestDatabase.Child(
            CypherCommandTests.executable.path,
            ["run", "1", "--migrations", harness.folder.path, "--schema", harness.schema, "--no-throttle"],
            environment: harness.environment
        )
        #expect(await resumed.wait() == 0, "\(resumed.standardError)")
        let counters = try await harness.histogram(of: "counter", label: label)
        #expect(counters == [.integer(1): Int64(Self.nodes)], "every node once: \(counters)")
        await harness.cleanUp(label: label)
    }

    /// The same graph through another spelling of its URL: the history (keyed by the URL as written) says nothing
    /// there, but the graph holds the node of the job that applied the migration, so the run is refused.
    @Test func aMigrationAppliedUnderAnotherURLIsNotAppliedAgain() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        let label = BoltTestServer.uniqueLabel("Aliased")
        guard let harness = try await Self.harness(server: server, label: label, throttle: ["--no-throttle"]) else {
            return
        }
        print("RAN aMigrationAppliedUnderAnotherURLIsNotAppliedAgain on \(server)")
        let first = try harness.start("1")
        #expect(await first.wait() == 0, "\(first.standardError)")
        let applied = try #require(try await harness.job())
        let alias = "\(server.url)".replacingOccurrences(of: "127.0.0.1", with: "localhost")
        let again = try harness.start("1", ["--url", alias])
        #expect(await again.wait() == 1, "\(again.standardOutput)")
        #expect(
            again.standardError.contains("001 is already applied on this graph: job \(applied.id) applied it on")
                && again.standardError.contains("use \(server.url)"),
            "\(again.standardError)"
        )
        let counters = try await harness.histogram(of: "counter", label: label)
        #expect(counters == [.integer(1): Int64(Self.nodes)], "every node once: \(counters)")
        #expect(try await harness.store.jobs().count == 1, "the refused run left a job")

        // The applied file edited afterwards: running it does nothing, and says why the edit is not on the graph.
        let file = harness.folder.appendingPathComponent("001_test.cypher")
        try (try String(contentsOf: file, encoding: .utf8) + "\n// edited after it was applied\n")
            .write(to: file, atomically: true, encoding: .utf8)
        let edited = try harness.start("1")
        #expect(await edited.wait() == 0, "\(edited.standardError)")
        #expect(
            edited.standardOutput.contains("001 is already applied")
                && edited.standardOutput.contains("001's file changed after it was applied (checksum "),
            "\(edited.standardOutput)"
        )
        let all = try JobStoreTestDatabase.Child(
            CypherCommandTests.executable.path,
            ["run", "--all", "--migrations", harness.folder.path, "--schema", harness.schema],
            environment: harness.environment
        )
        #expect(await all.wait() == 0, "\(all.standardError)")
        #expect(
            all.standardError.contains("warning: 001's file changed after it was applied"),
            "\(all.standardError)"
        )
        await harness.cleanUp(label: label)
    }

    /// `run --json`: one line per committed batch, each offset once and rising, however often the throttle decides or
    /// waits between batches (each batch came two or three times), then the ending as JSON on stdout too: here a
    /// cancel's, with the offset it ended at; an interrupted run's `stopped`, with the offset it resumes from; then the
    /// resumed run's `succeeded`.
    @Test func runJsonPrintsEachCommittedBatchOnceAndItsEnding() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        let label = BoltTestServer.uniqueLabel("Json")
        guard let harness = try await Self.harness(server: server, label: label) else { return }
        print("RAN runJsonPrintsEachCommittedBatchOnceAndItsEnding on \(server)")
        func events(_ output: String) throws -> [[String: Any]] {
            try output.split(separator: "\n").map { line in
                try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            }
        }
        let running = try await harness.startMidJob("1", Self.paced + ["--json"])
        let job = try #require(try await harness.job())
        _ = try await harness.store.cancel(job.id, by: "test")
        #expect(await running.wait() == 1, "\(running.standardError)")
        let ended = try #require(try await harness.job())
        let cancelled = try events(running.standardOutput)
        let offsets = cancelled.filter { $0["event"] as? String == "batch" }.compactMap { $0["done"] as? Int }
        #expect(!offsets.isEmpty && offsets == Array(Set(offsets)).sorted(), "\(offsets)")
        #expect(offsets.allSatisfy { $0 % 50 == 0 }, "\(offsets)")
        let last = try #require(cancelled.last)
        #expect(last["event"] as? String == "cancelled", "\(last)")
        #expect(last["job"] as? Int == Int(job.id.rawValue) && last["offset"] as? Int == Int(ended.planDone), "\(last)")
        #expect((last["message"] as? String)?.contains("cancelled by an operator") == true, "\(last)")

        // Interrupted (Ctrl-C): exit 130 and `stopped` at the offset the job kept, which the next run resumes from.
        let interrupted = try harness.start("1", Self.paced + ["--json"])
        let going = try await eventually(timeout: .seconds(300)) {
            (try await harness.store.jobs(states: [.running]).first?.planDone ?? 0) > 0
        }
        try #require(going, "the second run did not get going: \(interrupted.standardError)")
        interrupted.kill(SIGINT)
        #expect(await interrupted.wait() == 130, "\(interrupted.standardError)")
        let resumable = try #require(try await harness.job())
        let stopped = try #require(try events(interrupted.standardOutput).last)
        #expect(stopped["event"] as? String == "stopped", "\(stopped)")
        #expect(
            stopped["job"] as? Int == Int(resumable.id.rawValue)
                && stopped["offset"] as? Int == Int(resumable.planDone),
            "\(stopped), the job at \(resumable.planDone)"
        )

        let whole = try harness.start("1", ["--batch-size", "500", "--json"])
        #expect(await whole.wait() == 0, "\(whole.standardError)")
        #expect(try await harness.job()?.id == resumable.id, "the interrupted job was not resumed")
        let finished = try events(whole.standardOutput)
        #expect(finished.last?["event"] as? String == "succeeded", "\(finished.last ?? [:])")
        let batches = finished.filter { $0["event"] as? String == "batch" }.compactMap { $0["done"] as? Int }
        #expect(batches == Array(Set(batches)).sorted() && batches.last == Self.nodes, "\(batches)")
        await harness.cleanUp(label: label)
    }

    /// A second `sluice run` of the command while the first runs (two terminals, a retried CI step) is refused: under
    /// one worker identity its claim took the live run's lease as after a crash, and the first run stopped saying it
    /// had been taken over. `status` tells the live run from one killed (kill -9) since its last checkpoint, and a run
    /// after the kill finishes the job, every item once. On a private ArcadeDB: a client killed mid-commit kept the
    /// shared one's lock on the job nodes' file for seconds, and other suites' jobs timed out on it (a CI run).
    @Test func aSecondRunOfALiveRunsJobIsRefused() async throws {
        guard let graph = try await PrivateGraphServer.start(.arcadedb) else { return }
        do {
            try await Self.refuseASecondRunThenKillTheFirst(on: graph.server)
        } catch {
            await graph.stop()
            throw error
        }
        await graph.stop()
    }

    private static func refuseASecondRunThenKillTheFirst(on server: BoltTestServer) async throws {
        let label = BoltTestServer.uniqueLabel("Twice")
        guard let harness = try await Self.harness(server: server, label: label) else { return }
        print("RAN aSecondRunOfALiveRunsJobIsRefused on \(server)")
        let first = try await harness.startMidJob("1", Self.paced)
        let second = try harness.start("1", Self.paced)
        #expect(await second.wait() == 1)
        #expect(
            second.standardError.contains(
                "is being run by another `sluice run` (a process alive now); nothing was changed"
            ),
            "\(second.standardError)"
        )
        // `status` tells the live run from one killed since its last checkpoint, whose lease outlives it.
        let job = try #require(try await harness.job())
        func status() async throws -> String {
            try await ProcessRun.run(
                CypherCommandTests.executable,
                ["status", "\(job.id)", "--schema", harness.schema],
                environment: harness.environment
            ).output
        }
        let live = try await status()
        #expect(live.contains("state:      running by ") && !live.contains("process is gone"), "\(live)")
        first.kill(SIGKILL)
        _ = await first.wait()
        let gone = try await status()
        #expect(gone.contains("whose process is gone") && gone.contains("`sluice run 001` goes on with it"), "\(gone)")
        let again = try harness.start("1", Self.paced)
        #expect(await again.wait() == 0, "run again after the kill: \(again.standardError)")
        #expect(try await harness.histogram(of: "counter", label: label) == [.integer(1): Int64(Self.nodes)])
        await harness.cleanUp(label: label)
    }

    static func harness(
        server: BoltTestServer,
        label: String,
        throttle: [String] = throttle
    ) async throws -> SluiceRunHarness? {
        guard
            let harness = try await SluiceRunHarness.make(
                server: server,
                migration: RunCommandGraphHoldTests.migration(label: label),
                throttle: throttle
            )
        else { return nil }
        try await server.withConnection { connection in
            _ = try await server.query(
                connection,
                "UNWIND range(1, \(nodes)) AS i CREATE (:\(label) {i: i, counter: 0})"
            )
        }
        return harness
    }
}
