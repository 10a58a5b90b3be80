import ArgumentParser
import Daemon
import Foundation
import JobStore
import Logging

/// How to reach the job store: `--postgres`, then the configuration file the daemon reads (`--config`,
/// `SLUICE_CONFIG`, `/etc/sluice/sluice.toml` when present; its `SLUICE_POSTGRES` override included), then
/// `SLUICE_POSTGRES`, then libpq's own environment (`PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`, `PGPASSWORD`,
/// `PGSERVICE`, `~/.pgpass`...), which libpq also applies to whatever a conninfo leaves out.
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

    @Option(help: "Schema holding sluice's tables (default: the configuration's, else sluice).")
    var schema: String?

    @OptionGroup var file: ConfigFileOptions

    func configuration(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> JobStoreConfiguration {
        let file = try self.file.daemonConfiguration(environment: environment)
        let conninfo = postgres ?? file.jobStore.postgres.conninfo
        // A command reports an unreachable server at once; the daemon is the one that waits for it.
        let postgres = PostgresConfiguration(
            conninfo: conninfo,
            applicationName: "sluice db",
            answerTimeout: file.jobStore.postgres.answerTimeout,
            reconnect: .none
        )
        return JobStoreConfiguration(postgres: postgres, schema: schema ?? file.jobStore.schema)
    }

    /// Opens the store without migrating; failures become one-line command errors.
    func openStore() async throws -> JobStore {
        var logger = Logger(label: "sluice.jobstore")
        logger.logLevel = .warning
        do {
            return try await JobStore.open(try configuration(), logger: logger, migrate: false)
        } catch let error as CommandError {
            throw error
        } catch {
            throw CommandError("\(error)")
        }
    }

    /// Opens the store for a client command (`enqueue`, `status`, `pause`...): with `migrate`, creating or
    /// upgrading the schema as `sluice run` does; without, refusing a schema that is missing or older than this
    /// sluice, with the command that fixes it, rather than failing later on a missing column.
    func openClientStore(migrate: Bool) async throws -> JobStore {
        let store = try await openStore()
        do {
            if migrate {
                try await store.migrate()
                return store
            }
            let version = try await store.schemaVersion()
            let latest = JobStoreSchema.latestVersion
            guard let version else { throw JobStoreError.schemaMissing(schema: store.schema.name) }
            if version < latest {
                throw CommandError(
                    "the job store schema \"\(store.schema.name)\" is at version \(version), this sluice needs "
                        + "\(latest): run `\(JobStoreError.migrateCommand(store.schema.name))` (the daemon does it when it "
                        + "starts)"
                )
            }
            if version > latest {
                throw JobStoreError.schemaTooNew(schema: store.schema.name, found: version, supported: latest)
            }
            return store
        } catch {
            await store.close()
            throw error as? CommandError ?? CommandError("\(error)")
        }
    }
}

extension DBOptions {
    /// Runs `body` with a client command's store (see ``openClientStore(migrate:)``) and closes it however it ends.
    func withClientStore<Result>(
        migrate: Bool = false,
        _ body: (JobStore) async throws -> Result
    ) async throws -> Result {
        let store = try await openClientStore(migrate: migrate)
        do {
            let result = try await body(store)
            await store.close()
            return result
        } catch {
            await store.close()
            throw error
        }
    }
}
