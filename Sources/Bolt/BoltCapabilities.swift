/// What a server really does, found by probing it: the engine picks its batch unit and slice
/// addressing from these, never from the agent string (both local servers claim to be Neo4j).
public struct BoltCapabilities: Sendable, Hashable, CustomStringConvertible {
    /// ROLLBACK undoes writes. Without it, explicit transactions are not atomic and a dry run by
    /// rollback would write.
    public var rollbackUndoesWrites: Bool
    /// Parameters travel as values: a string with a quote and a float with many digits round-trip,
    /// and a list of 10,000 integers is accepted. FalkorDB pastes parameters into the query text
    /// instead, where large ones crash it.
    public var acceptsLargeParameters: Bool
    /// `EXPLAIN` returns a plan in the summary, so a batch statement can be checked before it runs.
    public var explainReturnsPlan: Bool
    /// `tx_metadata` and `tx_timeout` in RUN and BEGIN leave the query alone. FalkorDB takes the first
    /// key of that map as the name of the graph to query, so there they must not be sent, and `db` selects no
    /// database (``BoltError/databaseNotSelectable(_:)``).
    public var honoursTransactionMetadata: Bool

    public init(
        rollbackUndoesWrites: Bool,
        acceptsLargeParameters: Bool,
        explainReturnsPlan: Bool,
        honoursTransactionMetadata: Bool
    ) {
        self.rollbackUndoesWrites = rollbackUndoesWrites
        self.acceptsLargeParameters = acceptsLargeParameters
        self.explainReturnsPlan = explainReturnsPlan
        self.honoursTransactionMetadata = honoursTransactionMetadata
    }

    /// The unit that applies a batch atomically on this server.
    public enum AtomicUnit: String, Sendable, Hashable {
        /// BEGIN … COMMIT: needed where auto-commit statements are not atomic (ArcadeDB).
        case explicitTransaction
        /// One auto-commit statement: the only atomic unit where transactions are fake (FalkorDB).
        case singleStatement
    }

    public var atomicUnit: AtomicUnit { rollbackUndoesWrites ? .explicitTransaction : .singleStatement }

    public var description: String {
        "rollback \(rollbackUndoesWrites ? "undoes writes" : "does NOT undo writes"), "
            + "large parameters \(acceptsLargeParameters ? "accepted" : "refused (inlined into the query)"), "
            + "EXPLAIN \(explainReturnsPlan ? "returns a plan" : "unavailable"), "
            + "transaction metadata \(honoursTransactionMetadata ? "honoured" : "misread (not sent)"), "
            + "atomic unit: \(atomicUnit.rawValue)"
    }

    /// A named set of capabilities, for the `dialect` setting that overrides probing.
    public enum Dialect: String, Sendable, CaseIterable {
        /// Neo4j 5 and servers that behave like it (ArcadeDB): real transactions, value parameters, EXPLAIN.
        case neo4j
        /// FalkorDB: fake transactions, parameters pasted into the query text, no EXPLAIN over Bolt,
        /// RUN's metadata map read as a graph name.
        case falkordb

        public var capabilities: BoltCapabilities {
            switch self {
            case .neo4j:
                BoltCapabilities(
                    rollbackUndoesWrites: true,
                    acceptsLargeParameters: true,
                    explainReturnsPlan: true,
                    honoursTransactionMetadata: true
                )
            case .falkordb:
                BoltCapabilities(
                    rollbackUndoesWrites: false,
                    acceptsLargeParameters: false,
                    explainReturnsPlan: false,
                    honoursTransactionMetadata: false
                )
            }
        }
    }
}

extension BoltCapabilities {
    /// Probes a server over `connection`. It writes one node labelled `SluiceCapabilityProbe` inside
    /// a transaction it rolls back, and deletes it when the rollback did not.
    ///
    /// The parameter probe is safe on servers that inline parameters: it sends small values first and
    /// the 10,000-integer list only when those came back intact.
    public static func probe(
        _ connection: BoltConnection,
        options: BoltTransactionOptions = BoltTransactionOptions()
    ) async throws(BoltError) -> BoltCapabilities {
        BoltCapabilities(
            rollbackUndoesWrites: try await probeRollback(connection, options: options),
            acceptsLargeParameters: try await probeParameters(connection, options: options),
            explainReturnsPlan: try await probeExplain(connection, options: options),
            honoursTransactionMetadata: try await probeTransactionMetadata(connection, options: options)
        )
    }

    /// Writes a probe node without metadata, then counts it with metadata, a timeout and empty `bookmarks`: a server
    /// that reads that map as something else (FalkorDB: its first key as the graph's name) finds no node. The map is
    /// sent sorted, and `bookmarks` (a key every Bolt server knows) sorts before `db`: without it, a named database
    /// would come first in both maps and send both statements to one graph, called "db".
    public static func probeTransactionMetadata(
        _ connection: BoltConnection,
        options: BoltTransactionOptions
    ) async throws(BoltError) -> Bool {
        let token = Int64.random(in: 1...Int64.max)
        let parameters: [String: BoltValue] = ["token": .integer(token)]
        try await connection.run(
            "CREATE (:SluiceCapabilityProbe {token: $token})",
            parameters: parameters,
            options: options
        )
        .consume()
        var withMetadata = options
        withMetadata.metadata["sluice_probe"] = .boolean(true)
        withMetadata.timeout = .seconds(30)
        var extra = withMetadata.extra
        extra["bookmarks"] = .list([])
        let seen = try await connection.run(
            "MATCH (n:SluiceCapabilityProbe) WHERE n.token = $token RETURN count(n) AS seen",
            parameters: parameters,
            extra: extra,
            fetchSize: 1000
        ).collect()
        try await connection.run(
            "MATCH (n:SluiceCapabilityProbe) WHERE n.token = $token DELETE n",
            parameters: parameters,
            options: options
        ).consume()
        return seen.first?["seen"] == 1
    }

    private static func probeRollback(
        _ connection: BoltConnection,
        options: BoltTransactionOptions
    ) async throws(BoltError) -> Bool {
        let token = Int64.random(in: 1...Int64.max)
        let transaction = try await connection.beginTransaction(options: options)
        try await transaction.run(
            "CREATE (:SluiceCapabilityProbe {token: $token})",
            parameters: ["token": .integer(token)]
        )
        .consume()
        try await transaction.rollback()
        let left = try await connection.run(
            "MATCH (n:SluiceCapabilityProbe) WHERE n.token = $token DELETE n RETURN count(*) AS left",
            parameters: ["token": .integer(token)],
            options: options
        ).collect()
        return left.first?["left"] == 0
    }

    private static func probeParameters(
        _ connection: BoltConnection,
        options: BoltTransactionOptions
    ) async throws(BoltError) -> Bool {
        let text = "it's \"quoted\""
        let number = 0.123_456_789_012_345
        let small: [BoltRecord]
        do {
            small = try await connection.run(
                "RETURN $text AS text, $number AS number",
                parameters: ["text": .string(text), "number": .float(number)],
                options: options
            ).collect()
        } catch .server {
            return false  // the quote broke a query the parameters were pasted into
        }
        guard small.first?["text"] == .string(text), small.first?["number"] == .float(number) else { return false }
        let ids = BoltValue.list((1...10_000).map { .integer($0) })
        do {
            let large = try await connection.run("RETURN size($ids) AS n", parameters: ["ids": ids], options: options)
                .collect()
            return large.first?["n"] == 10_000
        } catch .server {
            return false
        }
    }

    /// A count, not `MATCH (n) RETURN n`: a server that ignores `EXPLAIN` (FalkorDB) runs the query,
    /// and returning a node with a date property aborts FalkorDB (seen when another test left one).
    private static func probeExplain(
        _ connection: BoltConnection,
        options: BoltTransactionOptions
    ) async throws(BoltError) -> Bool {
        do {
            let result = try await connection.run(
                "EXPLAIN MATCH (n:SluiceCapabilityProbe) RETURN count(n) AS probed",
                options: options
            )
            return try await result.consume().metadata["plan"] != nil
        } catch .server {
            return false
        }
    }
}
