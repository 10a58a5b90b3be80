/// Where the job store lives.
public struct JobStoreConfiguration: Sendable {
    /// The Postgres connection (conninfo or URL, PG* environment, reconnect policy).
    public var postgres: PostgresConfiguration
    /// The schema holding sluice's tables (default `sluice`). Several installations can share one database by
    /// using different schemas; tests use a fresh one each.
    public var schema: String

    public init(postgres: PostgresConfiguration = PostgresConfiguration(), schema: String = "sluice") {
        self.postgres = postgres
        self.schema = schema
    }
}
