import Bolt
import Migrations

/// Reads the server's indexes: `SHOW INDEXES` where the server has it (Neo4j 5, ArcadeDB), else
/// `CALL db.indexes()` (FalkorDB, whose SHOW INDEXES fails with an unknown error).
public struct IndexCatalog: Sendable {
    let connection: BoltConnection
    let options: BoltTransactionOptions

    public init(connection: BoltConnection, options: BoltTransactionOptions) {
        self.connection = connection
        self.options = options
    }

    /// Every property index, or an error naming the server's gap when it can list none.
    public func indexes() async throws(EngineError) -> [GraphIndex] {
        do {
            return try await connection.run("SHOW INDEXES", options: options).collect()
                .compactMap(GraphIndex.init(showIndexes:))
        } catch .server(let showError) {
            do {
                return try await connection.run("CALL db.indexes()", options: options).collect()
                    .compactMap(GraphIndex.init(dbIndexes:))
            } catch .server(let callError) {
                throw .migration(
                    "the server lists no indexes (SHOW INDEXES: \(showError.message); CALL db.indexes(): \(callError.message))"
                )
            } catch {
                throw .bolt(error)
            }
        } catch {
            throw .bolt(error)
        }
    }

    /// Polls until every index `matching` selects is ONLINE; fails on a FAILED index or after `timeout`.
    /// Returns the indexes found, none when nothing matched before the deadline.
    public func waitOnline(
        timeout: Duration,
        what: String,
        matching: @Sendable (GraphIndex) -> Bool
    ) async throws(EngineError) -> [GraphIndex] {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var delay = Duration.milliseconds(50)
        while true {
            let found = try await indexes().filter(matching)
            if let failed = found.first(where: { $0.state.uppercased() == "FAILED" }) {
                throw .schema("index \(failed) failed to build")
            }
            if !found.isEmpty, found.allSatisfy(\.isOnline) { return found }
            guard clock.now + delay < deadline else {
                let states = found.isEmpty ? "not listed" : found.map(\.description).joined(separator: ", ")
                throw .schema("\(what) is not ONLINE after \(timeout) (\(states))")
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(2))
        }
    }
}
