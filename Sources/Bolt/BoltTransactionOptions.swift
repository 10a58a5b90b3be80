/// Settings a transaction (explicit, or the implicit one of an auto-commit query) carries to the
/// server.
///
/// Metadata and a timeout make sluice's transactions identifiable and bounded in
/// `SHOW TRANSACTIONS`; the database must be named on servers where the default is not the target.
public struct BoltTransactionOptions: Sendable, Hashable {
    /// The database to run in; nil uses the server's default. Leave nil on FalkorDB, which picks its
    /// graph from the first key of this map instead of `db`.
    public var database: String?
    /// The server aborts the transaction after this long.
    public var timeout: Duration?
    /// Shown by `SHOW TRANSACTIONS` (job, migration, offset).
    public var metadata: [String: BoltValue]
    /// Routes to a reader where a cluster does that; ignored by single servers.
    public var readOnly: Bool

    public init(
        database: String? = nil,
        timeout: Duration? = nil,
        metadata: [String: BoltValue] = [:],
        readOnly: Bool = false
    ) {
        self.database = database
        self.timeout = timeout
        self.metadata = metadata
        self.readOnly = readOnly
    }

    /// The `extra` map of BEGIN, or of RUN outside an explicit transaction.
    var extra: [String: BoltValue] {
        var extra: [String: BoltValue] = [:]
        if let database { extra["db"] = .string(database) }
        if let timeout { extra["tx_timeout"] = .integer(timeout.wholeMilliseconds) }
        if !metadata.isEmpty { extra["tx_metadata"] = .map(metadata) }
        if readOnly { extra["mode"] = .string("r") }
        return extra
    }
}
