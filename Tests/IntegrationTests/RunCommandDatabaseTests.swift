import Bolt
import Foundation
import JobStore
import Testing

/// A database named on a server that cannot select one over Bolt: FalkorDB takes the first key of a query's
/// `extra` map as its graph's name, so with `db` there its statements landed in a graph called "db" and the rest
/// (the items' hold among them) elsewhere, and the job failed with "did not commit after 3 attempts".
@Suite struct RunCommandDatabaseTests {
    @Test func aDatabaseOnAServerThatCannotSelectOneIsRefusedBeforeAnyChange() async throws {
        guard let server = try BoltTestServer.named("falkordb") else { return }
        let label = BoltTestServer.uniqueLabel("Named")
        let migration = """
            // sluice:description Marks every \(label).

            // sluice:up data
            MATCH (n:\(label)) WHERE n.marked IS NULL SET n.marked = true

            // sluice:up verify
            MATCH (n:\(label)) WHERE n.marked IS NULL RETURN count(n) = 0 AS ok

            // sluice:down data
            MATCH (n:\(label)) WHERE n.marked IS NOT NULL REMOVE n.marked

            // sluice:down verify
            MATCH (n:\(label)) WHERE n.marked IS NOT NULL RETURN count(n) = 0 AS ok

            """
        guard let harness = try await SluiceRunHarness.make(server: server, migration: migration) else { return }
        print("RAN aDatabaseOnAServerThatCannotSelectOneIsRefusedBeforeAnyChange on \(server)")
        let run = try harness.start("1", ["--database", "elsewhere"])
        let status = await run.wait()
        #expect(status != 0)
        #expect(
            run.standardError.contains("cannot select database 'elsewhere' over Bolt"),
            "sluice run said: \(run.standardError)"
        )
        let job = try await harness.job()
        #expect(job.map { $0.itemsChanged == 0 && $0.state.isFinished } ?? true, "job: \(String(describing: job))")
        await harness.cleanUp(label: label)
    }
}
