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
    /// black-holed host cannot hang a daemon forever.
    public var connectTimeoutSeconds: Int?
    /// How reconnecting backs off when the server is unreachable.
    public var reconnect: PostgresReconnectPolicy

    public init(
        conninfo: String = "",
        applicationName: String = "sluice",
        connectTimeoutSeconds: Int? = 10,
        reconnect: PostgresReconnectPolicy = .default
    ) {
        self.conninfo = conninfo
        self.applicationName = applicationName
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.reconnect = reconnect
    }

    /// The conninfo with any password masked: the only form that may be logged or shown.
    public var redactedConnInfo: String { PostgresConnInfo.redacted(conninfo) }
}
