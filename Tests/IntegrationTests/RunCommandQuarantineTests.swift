import Bolt
import Engine
import Foundation
import JobStore
import Systemd
import Testing

/// One unparseable date among 100,000: its batch is bisected down to the item, which ends quarantined
/// with the server's error, and the job changes the other 99,999.
@Suite struct RunCommandQuarantineTests {
    static let nodes = 100_000

    static func migration(label: String) -> String {
        """
        // sluice:description Parses every \(label)'s raw text into a date; one of them is not a date.

        // sluice:up data
        MATCH (n:\(label))
        WHERE n.raw IS NOT NULL AND n.day IS NULL
        SET n.day = date(n.raw)

        // sluice:up verify
        MATCH (n:\(label)) WHERE n.day IS NULL RETURN count(n) <= 1 AS ok

        // sluice:down data
        MATCH (n:\(label))
        WHERE n.day IS NOT NULL
        REMOVE n.day

        // sluice:down verify
        MATCH (n:\(label)) WHERE n.day IS NOT NULL RETURN count(n) = 0 AS ok

        """
    }

    /// A verify query that counts the quarantined items fails the job, and the error says that they are why, where they
    /// are listed, and what to do: before, it gave the query's answer alone (`ok=FALSE`).
    @Test func aVerifyFailedByQuarantinedItemsSaysSo() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        let label = BoltTestServer.uniqueLabel("Strict")
        let strict = Self.migration(label: label).replacingOccurrences(
            of: "count(n) <= 1 AS ok",
            with: "count(n) = 0 AS ok"
        )
        guard let harness = try await SluiceRunHarness.make(server: server, migration: strict) else { return }
        print("RAN aVerifyFailedByQuarantinedItemsSaysSo on \(server)")
        try await server.withConnection { connection in
            _ = try await server.query(
                connection,
                "UNWIND range(1, 200) AS i "
                    + "CREATE (:\(label) {i: i, raw: CASE WHEN i IN [7, 150] THEN '5/1/24' ELSE '2024-05-01' END})"
            )
        }
        let run = try harness.start("1", ["--batch-size", "50"])
        #expect(await run.wait() == 1)
        let job = try #require(try await harness.job())
        let error = run.standardError.split(separator: "\n").filter { $0.hasPrefix("sluice: error:") }
        #expect(
            error.count == 1 && error[0].contains("did not pass: ok=FALSE; 2 items were quarantined, not changed")
                && error[0].contains("`sluice status \(job.id)` lists them"),
            "\(run.standardError)"
        )
        await harness.cleanUp(label: label)
    }

    @Test(arguments: BoltTestServer.names)
    func aPlantedBadItemEndsQuarantinedAndTheRestIsDone(server: String) async throws {
        guard let server = try BoltTestServer.named(server) else { return }
        let label = BoltTestServer.uniqueLabel("Dated")
        guard let harness = try await SluiceRunHarness.make(server: server, migration: Self.migration(label: label))
        else { return }
        print("RAN aPlantedBadItemEndsQuarantinedAndTheRestIsDone on \(server)")
        let bad = Int64.random(in: 1...Int64(Self.nodes))
        let badID = try await server.withConnection { connection in
            _ = try await server.query(
                connection,
                "UNWIND range(1, \(Self.nodes)) AS i "
                    + "CREATE (:\(label) {i: i, raw: CASE WHEN i = \(bad) THEN '5/1/24' ELSE '2024-05-01' END})"
            )
            return try await server.query(connection, "MATCH (n:\(label)) WHERE n.i = \(bad) RETURN id(n) AS id")
                .first?["id"]?.intValue
        }

        let run = try harness.start("1")
        let status = await run.wait()
        #expect(status == 0, "sluice run failed: \(run.standardError)")
        #expect(run.standardOutput.contains("1 quarantined"), "sluice run said: \(run.standardOutput)")

        let job = try #require(try await harness.job())
        #expect(job.itemsQuarantined == 1)
        let quarantine = try await harness.store.quarantine(of: job.id)
        #expect(quarantine.map(\.item) == [badID].compactMap { $0 }, "quarantine: \(quarantine)")
        #expect(quarantine.first.map { !$0.error.isEmpty } == true)
        // One log entry for it, with its message id and the item, once it is recorded.
        let logged = run.standardError.split(separator: "\n").filter { $0.contains("item quarantined: ") }
        #expect(logged.count == 1, "sluice run logged: \(run.standardError)")
        #expect(
            logged.first.map {
                $0.contains("message_id=\(SluiceMessageID.itemQuarantined.rawValue)")
                    && $0.contains("item=\(badID ?? -1)")
            } == true,
            "quarantine entry: \(logged)"
        )
        print("quarantined on \(server.name): \(quarantine.map { "\($0.item): \($0.error)" })")
        // The skip kept the item on the job's node too, where a run after a crash before the skip's checkpoint
        // finds it (`BatchProtocolTests.aCrashBetweenASkipAndItsCheckpointRecordsTheQuarantineWithTheGap`).
        let node = try await server.withConnection { connection in
            try await server.query(
                connection,
                "MATCH (j:SluiceJob {id: $key}) RETURN j.quarantined_item AS item, j.quarantined_offset AS offset, "
                    + "j.quarantined_error AS error",
                ["key": GraphJobNode.key(job)]
            ).first
        }
        #expect(node?["item"]?.intValue == badID && node?["offset"]?.intValue == quarantine.first?.planOffset)
        #expect(node?["error"]?.stringValue == quarantine.first?.error, "node: \(String(describing: node))")

        try await server.withConnection { connection in
            // Counted, not returned: RETURNing a date aborts FalkorDB.
            let rows = try await server.query(
                connection,
                "MATCH (n:\(label)) RETURN n.day IS NOT NULL AS parsed, n.i = \(bad) AS planted, count(*) AS nodes"
            )
            var seen: [String: Int64] = [:]
            for row in rows {
                let key =
                    "\(row["parsed"] == .boolean(true) ? "parsed" : "unparsed") "
                    + "\(row["planted"] == .boolean(true) ? "planted" : "good")"
                seen[key] = row["nodes"]?.intValue
            }
            #expect(seen == ["parsed good": Int64(Self.nodes - 1), "unparsed planted": 1], "graph: \(seen)")
        }
        await harness.cleanUp(label: label)
    }
}
