import Bolt
import Engine
import Foundation
import JobStore
import Logging
import Migrations
import Synchronization
import Testing

/// The catch-up's scan beside the last batches (``JobRunner/Configuration/lateScanLead``): where plans are read by
/// scanning the label, the items it finds above the highest planned id are the job's late arrivals, each changed once;
/// where they are read by id windows (FalkorDB) the re-plan after the last batch reads them, as before.
@Suite struct LateArrivalScanTests {
    static let nodes = 600
    static let late = 30

    @Test(arguments: BoltTestServer.names)
    func lateItemsFoundBesideTheBatchesAreChangedOnce(serverName: String) async throws {
        guard let server = try BoltTestServer.named(serverName) else { return }
        let scans = serverName != "falkordb"
        try await JobStoreTestDatabase.withStore { store in
            let label = BoltTestServer.uniqueLabel("LateScan")
            let connection = try await server.connect()
            defer { Task { await connection.close() } }
            _ = try await server.query(connection, "UNWIND range(1, \(Self.nodes)) AS i CREATE (:\(label) {i: i})")
            let migration = try MigrationParser.parse(
                Array(
                    """
                    // sluice:description Counts every \(label) once.

                    // sluice:up data
                    MATCH (n:\(label))
                    WHERE n.counted IS NULL
                    SET n.counted = true, n.count = coalesce(n.count, 0) + 1

                    // sluice:up verify
                    MATCH (n:\(label)) WHERE n.counted IS NULL RETURN count(n) = 0 AS ok

                    // sluice:down data
                    MATCH (n:\(label))
                    WHERE n.counted IS NOT NULL
                    REMOVE n.counted

                    // sluice:down verify
                    MATCH (n:\(label)) WHERE n.counted IS NOT NULL RETURN count(n) = 0 AS ok

                    """.utf8
                ),
                path: "migrations/001_count_\(label.lowercased()).cypher"
            )
            // The first connection opened beside the batches is the scan's (the verify's comes at the catch-up): the
            // late items are created just before it, after planning, so only the catch-up can plan them.
            let log = RecordingLogHandler()
            let opened = Mutex(0)
            let createdLate = Mutex<[Int64]>([])
            let runner = JobRunner(
                store: store,
                connection: connection,
                capabilities: (serverName == "falkordb" ? BoltCapabilities.Dialect.falkordb : .neo4j).capabilities,
                migration: migration,
                // Started after the first batch, and never too old to use.
                configuration: JobRunner.Configuration(lateScanLead: 1_000_000),
                connectBeside: { () async throws(BoltError) -> BoltConnection in
                    let first = opened.withLock { count in
                        count += 1
                        return count == 1
                    }
                    let connection = try await BoltConnection.connect(
                        to: server.url,
                        auth: server.auth,
                        sendsGoodbye: server.handlesGoodbye
                    )
                    if first, scans {
                        let ids = try await connection.run(
                            "UNWIND range(1, \(Self.late)) AS i CREATE (n:\(label) {i: \(Self.nodes) + i}) RETURN id(n) AS id",
                            options: server.options
                        ).collect().compactMap { $0["id"]?.intValue }
                        createdLate.withLock { $0 = ids }
                    }
                    return connection
                },
                logger: Logger(label: "sluice.test.latescan") { _ in log }
            )
            try await JobStoreTestDatabase.randomizeJobIDs(of: store)
            let job = try await store.enqueue(.test(migration, on: server, batchSize: 100))
            let lease = try await JobStoreTestDatabase.claim(job, from: store, as: "late-scan-test-\(label)")
            let ended = try await runner.run(lease)
            guard case .succeeded(let done) = ended else { throw TestFailure("the run ended \(ended)") }

            let late = createdLate.withLock { $0 }
            if scans {
                #expect(late.count == Self.late)
                #expect(opened.withLock { $0 } == 2, "the scan beside the batches, then the verify beside the re-plan")
            } else {
                #expect(opened.withLock { $0 } == 1, "no scan where plans are read by id windows: only the verify")
            }
            #expect(done.lateArrivals == Int64(late.count))
            let planned = log.entries.filter { $0.message == "late arrivals planned" }.map { $0.metadata["read"] }
            #expect(planned == (scans ? ["beside it"] : []), "the catch-up used the scan read beside the batches")
            #expect(done.itemsChanged == Int64(Self.nodes + late.count))
            let counts = try await server.query(
                connection,
                "MATCH (n:\(label)) RETURN n.count AS count, count(n) AS nodes ORDER BY count"
            ).map { "\($0["count"].map { "\($0)" } ?? "null"): \($0["nodes"]?.intValue ?? 0)" }
            #expect(counts == ["1: \(Self.nodes + late.count)"], "every node changed once")

            _ = try await server.query(connection, "MATCH (n:\(label)) DELETE n")
            _ = try await server.query(
                connection,
                "MATCH (j:SluiceJob {id: $id}) DELETE j",
                ["id": GraphJobNode.key(job)]
            )
        }
    }
}

/// Keeps what is logged through it, for a test to read.
struct RecordingLogHandler: LogHandler, Sendable {
    struct Entry: Sendable {
        var message: String
        var metadata: [String: String]
    }

    private final class Entries: Sendable {
        let list = Mutex<[Entry]>([])
    }

    private let recorded = Entries()
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    var entries: [Entry] { recorded.list.withLock { $0 } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(
        level: Logger.Level,
        message: Logger.Message,
        metadata: Logger.Metadata?,
        source: String,
        file: String,
        function: String,
        line: UInt
    ) {
        let fields = self.metadata.merging(metadata ?? [:]) { _, new in new }.mapValues { "\($0)" }
        recorded.list.withLock { $0.append(Entry(message: "\(message)", metadata: fields)) }
    }
}
