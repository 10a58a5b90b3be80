import Bolt
import Engine
import Foundation
import JobStore
import Logging
import Migrations
import Synchronization
import Testing

/// The verify query read beside the catch-up re-plan (``JobRunner``'s `connectBeside`): its answer ends the job when
/// the re-plan finds nothing, and is thrown away when the re-plan finds late items (it read them not yet changed). A
/// verify query that counts the step's items to zero runs first instead: when it passes there is no re-plan, and when
/// it fails it is not read again beside one.
@Suite struct VerifyBesideTests {
    static let nodes = 600

    @Test(arguments: BoltTestServer.names)
    func theVerifyReadBesideTheReplanAnswersOnlyWhenNothingCameLate(serverName: String) async throws {
        guard let server = try BoltTestServer.named(serverName) else { return }
        try await JobStoreTestDatabase.withStore { store in
            let label = BoltTestServer.uniqueLabel("Beside")
            let connection = try await server.connect()
            defer { Task { await connection.close() } }
            _ = try await server.query(connection, "UNWIND range(1, \(Self.nodes)) AS i CREATE (:\(label) {i: i})")
            let opened = Mutex(0)
            func runner(_ migration: MigrationFile) -> JobRunner {
                JobRunner(
                    store: store,
                    connection: connection,
                    capabilities: (serverName == "falkordb" ? BoltCapabilities.Dialect.falkordb : .neo4j).capabilities,
                    migration: migration,
                    connectBeside: { () async throws(BoltError) -> BoltConnection in
                        opened.withLock { $0 += 1 }
                        return try await BoltConnection.connect(
                            to: server.url,
                            auth: server.auth,
                            sendsGoodbye: server.handlesGoodbye
                        )
                    },
                    logger: Logger(label: "sluice.test.beside") { _ in SwiftLogNoOpLogHandler() }
                )
            }
            func claim(_ job: Job) async throws -> JobLease {
                try await JobStoreTestDatabase.claim(job, from: store, as: "beside-test-\(label)")
            }

            // Stopped after its first batch; items created meanwhile are late arrivals when it resumes. The verify read
            // beside that re-plan sees them unchanged and fails: the job must verify again after their batches. (Not
            // `count(n) = 0`: a verify in that form runs before the re-plan instead, below.)
            let marks = try migration(
                label,
                verify: "MATCH (n:\(label)) WHERE n.done IS NULL RETURN count(n) < 1 AS ok"
            )
            try await JobStoreTestDatabase.randomizeJobIDs(of: store)
            let job = try await store.enqueue(.test(marks, on: server, batchSize: 100))
            let stopping = runner(marks)
            let firstLease = try await claim(job)
            let first = try await Task {
                try await stopping.run(firstLease) { progress in
                    if progress.committedBatch { withUnsafeCurrentTask { $0?.cancel() } }
                }
            }.value
            guard case .stopped = first else { throw TestFailure("the first run ended \(first), not stopped") }
            #expect(opened.withLock { $0 } == 0, "no re-plan yet, so no verify beside it")
            let highest = try #require(
                try await store.planEntries(of: job.id, offset: Int64(Self.nodes) - 1, count: 1).first
            )
            let late = try await server.query(
                connection,
                "UNWIND range(1, 30) AS i CREATE (n:\(label) {i: \(Self.nodes) + i}) RETURN id(n) AS id"
            ).compactMap { $0["id"]?.intValue }
            // FalkorDB gives deleted nodes' ids out again: one inside the planned span is not a late arrival (the
            // re-plan reads above the highest planned id), so it goes, and the verify can pass.
            let inside = late.filter { $0 <= highest }
            if !inside.isEmpty {
                _ = try await server.query(
                    connection,
                    "MATCH (n:\(label)) WHERE id(n) IN $ids DELETE n",
                    ["ids": .list(inside.map { .integer($0) })]
                )
            }
            if inside.count == late.count {
                print("\(serverName): every late item reused an id inside the planned span: nothing comes late")
            }
            let resumed = try await runner(marks).run(try await claim(job))
            guard case .succeeded(let done) = resumed else { throw TestFailure("the resumed run ended \(resumed)") }
            #expect(done.lateArrivals == Int64(late.count - inside.count))
            #expect(opened.withLock { $0 } == 1, "the verify ran beside the re-plan")

            // Nothing late: the verify read beside the re-plan is the job's verdict, a failing one too.
            let failing = try migration(label, verify: "MATCH (n:\(label)) RETURN count(n) < 0 AS ok", version: "002")
            let second = try await store.enqueue(.test(failing, on: server, batchSize: 100))
            let ended = try await runner(failing).run(try await claim(second))
            guard case .failed(_, let reason) = ended else { throw TestFailure("the run ended \(ended), not failed") }
            #expect(reason.contains("did not pass"), "\(reason)")
            #expect(opened.withLock { $0 } == 2)

            // A verify query counting the step's items to zero, passing after the last batch: no item can have come
            // late, so there is no re-plan, and no verify beside one.
            func countingToZero(_ version: String) async throws -> MigrationFile {
                _ = try await server.query(connection, "MATCH (n:\(label)) REMOVE n.done")
                return try migration(
                    label,
                    verify: "MATCH (n:\(label)) WHERE n.done IS NULL RETURN count(n) = 0 AS ok",
                    version: version
                )
            }
            let again = try await countingToZero("003")
            let third = try await store.enqueue(.test(again, on: server, batchSize: 100))
            let redone = try await runner(again).run(try await claim(third))
            guard case .succeeded(let thirdDone) = redone else { throw TestFailure("the third run ended \(redone)") }
            #expect(thirdDone.itemsChanged == Int64(Self.nodes + late.count - inside.count))
            #expect(opened.withLock { $0 } == 2, "a re-plan ran after the verify had passed")

            // The same verify query failing after the last batch with nothing late (a done item undone by another
            // writer, below the highest planned id): the re-plan finds nothing, and the answer read before it is the
            // job's verdict, not read again beside it.
            let undone = try await countingToZero("004")
            let fourth = try await store.enqueue(.test(undone, on: server, batchSize: 100))
            let stoppingLast = runner(undone)
            let fourthLease = try await claim(fourth)
            let lastBatch = try await Task {
                try await stoppingLast.run(fourthLease) { progress in
                    if progress.committedBatch, progress.done == progress.total {
                        withUnsafeCurrentTask { $0?.cancel() }
                    }
                }
            }.value
            guard case .stopped = lastBatch else { throw TestFailure("the fourth run ended \(lastBatch), not stopped") }
            _ = try await server.query(connection, "MATCH (n:\(label)) WHERE n.i = 1 REMOVE n.done")
            let refused = try await runner(undone).run(try await claim(fourth))
            guard case .failed(let failedJob, let why) = refused else {
                throw TestFailure("the resumed fourth run ended \(refused), not failed")
            }
            #expect(why.contains("did not pass"), "\(why)")
            #expect(failedJob.lateArrivals == 0)
            // It failed before the re-plan: not read again beside it, where its answer would be the one it just gave.
            #expect(opened.withLock { $0 } == 2, "the failed verify was read again beside the re-plan")

            _ = try await server.query(connection, "MATCH (n:\(label)) DELETE n")
            _ = try await server.query(
                connection,
                "MATCH (j:SluiceJob) WHERE j.id IN $ids DELETE j",
                [
                    "ids": .list(
                        [job, second, third, fourth].map { GraphJobNode.key($0) }
                    )
                ]
            )
        }
    }

    /// A migration marking every node of `label` once, with `verify` as its up verify query.
    private func migration(_ label: String, verify: String, version: String = "001") throws -> MigrationFile {
        let text = """
            // sluice:description Marks every \(label).

            // sluice:up data
            MATCH (n:\(label))
            WHERE n.done IS NULL
            SET n.done = true

            // sluice:up verify
            \(verify)

            // sluice:down data
            MATCH (n:\(label))
            WHERE n.done = true
            REMOVE n.done

            // sluice:down verify
            MATCH (n:\(label)) WHERE n.done = true RETURN count(n) = 0 AS ok

            """
        return try MigrationParser.parse(
            Array(text.utf8),
            path: "migrations/\(version)_mark_\(label.lowercased()).cypher"
        )
    }
}
