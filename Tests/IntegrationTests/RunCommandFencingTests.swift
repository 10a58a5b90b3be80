import Bolt
import Foundation
import JobStore
import Testing

/// Two workers on one job: the first is paused (SIGSTOP) past its lease, the second takes the job over
/// and finishes it, and the first, resumed (SIGCONT), commits nothing. The change is `counter + 1`,
/// so a batch applied by both would show as a 2.
@Suite struct RunCommandFencingTests {
    static let nodes = 20_000

    /// On FalkorDB a private server: a client stopped and ended mid-query can crash it
    /// (``PrivateGraphServer/falkorCrash``).
    @Test(arguments: BoltTestServer.names)
    func aStalledWorkerWhoseLeaseWasTakenOverCommitsNothing(server name: String) async throws {
        try await PrivateGraphServer.withServerForKilledClients(name) { server in
            try await Self.stallAndTakeOver(on: server)
        }
    }

    private static func stallAndTakeOver(on server: BoltTestServer) async throws {
        let label = BoltTestServer.uniqueLabel("Fenced")
        guard
            let harness = try await SluiceRunHarness.make(
                server: server,
                migration: RunCommandCrashTests.migration(label: label)
            )
        else { return }
        print("RAN aStalledWorkerWhoseLeaseWasTakenOverCommitsNothing on \(server)")
        try await server.withConnection { connection in
            _ = try await server.query(
                connection,
                "UNWIND range(1, \(Self.nodes)) AS i CREATE (:\(label) {i: i, counter: 0})"
            )
        }
        let lease = 4
        let first = try await harness.startMidJob(
            "1",
            ["--batch-size", "100", "--worker", "first", "--lease-seconds", "\(lease)"]
        )
        first.kill(SIGSTOP)
        let stoppedAt = try await harness.job()
        let firstToken = stoppedAt?.leaseToken ?? 0
        print("first worker stopped at offset \(stoppedAt?.planDone ?? -1) of \(Self.nodes), token \(firstToken)")

        // The second worker claims the job once the first's lease has expired. Should the first have been
        // stopped inside a Postgres transaction (its checkpoint), the job's row stays locked and the claim
        // skips it: let the first run for a moment and stop it again.
        var second: JobStoreTestDatabase.Child?
        var tries = 0
        while second == nil && tries < 60 {
            tries += 1
            try await Task.sleep(for: .seconds(lease))
            let child = try harness.start("1", ["--batch-size", "100", "--worker", "second"])
            let status = await child.wait()
            if status == 0 {
                second = child
            } else if ["cannot be claimed", "is running by first", "is being run by another"].contains(where: {
                child.standardError.contains($0)
            }) {
                if tries % 3 == 0 {
                    first.kill(SIGCONT)
                    try await Task.sleep(for: .milliseconds(Int.random(in: 5...50)))
                    first.kill(SIGSTOP)
                }
            } else {
                Issue.record("second worker failed with \(status): \(child.standardError)")
                break
            }
        }
        #expect(second != nil, "the second worker never took the job over")
        let finished = try await harness.job()
        #expect(finished?.state == .succeeded)
        #expect((finished?.leaseToken ?? 0) > firstToken, "the second worker's token is not newer")

        // The first carries on from where it stopped: every write it tries is fenced.
        first.kill(SIGCONT)
        let status = await first.wait()
        print("first worker, resumed on \(server.name), exited \(status): \(first.standardError)")
        #expect(status != 0, "the first worker did not notice the takeover: \(first.standardOutput)")
        #expect(
            first.standardError.contains("taken over") || first.standardError.contains("took over"),
            "first worker said: \(first.standardError)"
        )
        let counters = try await harness.histogram(of: "counter", label: label)
        #expect(counters == [.integer(1): Int64(Self.nodes)], "counters: \(counters)")
        await harness.cleanUp(label: label)
    }
}
