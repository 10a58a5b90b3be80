import ArgumentParser
import Foundation
import JobStore
import Logging

/// How to reach the job store: `--postgres`, then `SLUICE_POSTGRES`, then libpq's own environment (`PGHOST`,
/// `PGPORT`, `PGUSER`, `PGDATABASE`, `PGPASSWORD`, `PGSERVICE`, `~/.pgpass`...), which libpq also applies to whatever
/// a conninfo leaves out.
struct DBOptions: ParsableArguments {
    @Option(
        name: .customLong("postgres"),
        help: ArgumentHelp(
            "libpq conninfo or URL of the job store (env SLUICE_POSTGRES).",
            discussion: "Without one, libpq's PG* environment, .pgpass and service files decide.",
            valueName: "conninfo"
        )
    )
    var postgres: String?

    @Option(help: "Schema holding sluice's tables.")
    var schema: String = "sluice"

    func configuration(environment: [String: String] = ProcessInfo.processInfo.environment) -> JobStoreConfiguration {
        let conninfo = postgres ?? environment["SLUICE_POSTGRES"] ?? ""
        // A command reports an unreachable server at once; the daemon is the one that waits for it.
        let postgres = PostgresConfiguration(
            conninfo: conninfo,
            applicationName: "sluice db",
            reconnect: .none
        )
        return JobStoreConfiguration(postgres: postgres, schema: schema)
    }

    /// Opens the store without migrating; failures become one-line command errors.
    func openStore() async throws -> JobStore {
        var logger = Logger(label: "sluice.jobstore")
        logger.logLevel = .warning
        do {
            return try await JobStore.open(configuration(), logger: logger, migrate: false)
        } catch {
            throw CommandError("\(error)")
        }
    }
}
