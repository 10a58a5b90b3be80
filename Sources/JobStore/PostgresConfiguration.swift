/// How to reach Postgres and how hard to try.
///
/// The connection string goes to libpq untouched (`PQconnectdbParams` with `expand_dbname`), so everything libpq
/// honours keeps working: `PGHOST`/`PGPORT`/`PGUSER`/`PGDATABASE`/`PGPASSWORD`, `~/.pgpass`, `PGSERVICE` and
/// `pg_service.conf`, `sslmode` and friends. sluice never parses or rewrites it, except to scrub it for display.
public struct PostgresConfiguration: Sendable {
    /// A libpq conninfo (`host=/run/postgresql dbname=sluice`) or URL (`postgresql://sluice@db/sluice`); empty means
    /// "libpq's environment alone".
    public var conninfo: String
    /// `application_name` unless the conninfo sets one: makes sluice's sessions recognisable in `pg_stat_activity`.
    public var applicationName: String
    /// Connect timeout in seconds, used only when neither the conninfo nor `PGCONNECT_TIMEOUT` sets one, so that a
    /// black-holed host cannot hang a daemon forever; ``answerTimeout`` when that is shorter
    /// (``effectiveConnectTimeoutSeconds``).
    public var connectTimeoutSeconds: Int?
    /// How long a statement may wait without a word from the server before its connection counts as lost
    /// (``PostgresError/connectionLost(message:query:)``: "no answer from Postgres for 30s"). A hung server or a
    /// network partition that drops packets neither refuses nor closes the connection: without a bound, the
    /// statement, and every operation queued behind it on the connection, would wait for as long as TCP
    /// retransmits (about 15 minutes on Linux), or for ever on a Unix socket.
    ///
    /// It counts silence, not the statement's whole time: every byte the server sends starts it again. The default,
    /// 30 s, is well under a daemon's lease (60 s) and its watchdog's allowance, and far above what the job store's
    /// statements take: each is one round trip over a bounded amount of data (a plan chunk of at most `plan_chunk`
    /// ids, a merge page of 8,192 ids a run, a lease or checkpoint update of one row); storing, merging and reading
    /// back plans of a million ids (`JobStorePlanTests`), none took more than 30 ms here. The schema migration,
    /// whose DDL may wait for other sessions' locks and scan whole tables, waits without it
    /// (``PostgresConnection/withoutAnswerTimeout(_:)``).
    public var answerTimeout: Duration
    /// How reconnecting backs off when the server is unreachable.
    public var reconnect: PostgresReconnectPolicy

    public init(
        conninfo: String = "",
        applicationName: String = "sluice",
        connectTimeoutSeconds: Int? = 10,
        answerTimeout: Duration = .seconds(30),
        reconnect: PostgresReconnectPolicy = .default
    ) {
        self.conninfo = conninfo
        self.applicationName = applicationName
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.answerTimeout = answerTimeout
        self.reconnect = reconnect
    }

    /// The `connect_timeout` sluice passes: ``connectTimeoutSeconds``, or the ``answerTimeout`` in whole seconds
    /// when that is shorter, so that a server that does not answer a new connection is given up on no later than
    /// one that does not answer a statement (libpq counts whole seconds, and at least 2).
    var effectiveConnectTimeoutSeconds: Int? {
        guard let connectTimeoutSeconds else { return nil }
        return min(connectTimeoutSeconds, max(Int(answerTimeout.seconds.rounded(.up)), 2))
    }

    /// The conninfo with any password masked: the only form that may be logged or shown.
    public var redactedConnInfo: String { PostgresConnInfo.redacted(conninfo) }
}
