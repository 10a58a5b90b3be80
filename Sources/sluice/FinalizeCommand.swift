import ArgumentParser
import Bolt
import Engine
import JobStore
import Logging
import Migrations

/// `sluice finalize VERSION`: strips what an applied migration kept for its down.
struct FinalizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finalize",
        abstract: "Strip the bookkeeping an applied migration kept for its down.",
        discussion: """
            Runs the migration's finalize step in batches once its up is applied and here to stay: afterwards \
            its down is refused, since what it needs to restore the graph is gone. Safe to run again. It holds the \
            items as a job does: refused while a job (of any job store) changes them, and no job starts on them \
            while it runs. --max-rate paces it, as a job's cap does. The finalize is marked on the graph's \
            (:Migration) node and recorded in the job store's history (status finalized), so that `sluice list` \
            and `sluice history` show it. --json prints one JSON object: {"version", "name", "changed", "verify"}, \
            changed being the items stripped and verify the finalize verify query's answer by column (null without \
            one).
            """
    )

    @OptionGroup var graph: GraphOptions
    @OptionGroup var store: DBOptions
    @OptionGroup var migrations: MigrationsOptions
    @OptionGroup var dialect: DialectOption

    @Argument(help: "The migration's version, e.g. 007.")
    var version: String

    @Option(help: "Items per batch (default: the migration's batch_size, else [engine] batch_size, 10,000).")
    var batchSize: Int?

    @Option(help: "At most this many items per second (default: as fast as the server goes).")
    var maxRate: Int?

    @Flag(help: "Print one JSON object: version, name, changed, verify.")
    var json = false

    func validate() throws {
        if let maxRate, maxRate < 1 { throw ValidationError("--max-rate must be at least 1 item/s") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
    }

    func run() async throws {
        let configuration = try store.file.daemonConfiguration()
        let catalog = try migrations.loadCatalog(configured: configuration.migrationsFolder)
        let migration = try RunCommand.migration(version, in: catalog)
        let jobStore = try await store.openClientStore(migrate: true)
        defer { Task { await jobStore.close() } }
        var logger = Logger(label: "sluice.finalize")
        logger.logLevel = .warning
        let finalizedBy = OperatorName.current(via: "sluice finalize")
        try await graph.withConnection(configuration: configuration) { connection, resolved in
            let target = resolved.target
            let state = try await MigrationLedger.read(jobStore, catalog: catalog, target: target).state(
                of: migration.version
            )
            guard state == .applied else {
                throw CommandError(
                    "\(migration.version) is \(state.rawValue) on \(target): only an applied migration is finalized"
                )
            }
            let capabilities = try await dialect.capabilities(connection, settings: resolved)
            let finalizer = Finalizer(
                connection: connection,
                capabilities: capabilities,
                migration: migration,
                options: BoltTransactionOptions(database: resolved.database),
                batchSize: migration.batchSize(batchSize, configured: configuration.engine.batchSize),
                maxItemsPerSecond: maxRate,
                holder: "finalize of \(migration.version) by \(finalizedBy)",
                logger: logger
            )
            let outcome: (changed: Int64, verify: VerifyResult?)
            let started = ContinuousClock.now
            do {
                outcome = try await finalizer.run()
            } catch {
                throw CommandError("\(migration.version) finalize: \(error)")
            }
            // After the graph's mark, which is what refuses the down: a finalize that could not record itself here
            // has still finalized, and running it again (it is idempotent) records it.
            let entry = MigrationHistoryEntry(
                up: migration,
                on: target,
                by: finalizedBy,
                duration: ContinuousClock.now - started,
                items: outcome.changed,
                status: .finalized
            )
            do {
                try await jobStore.recordHistory(entry)
            } catch {
                throw CommandError(
                    "\(migration.version) finalize: done on the graph, but not recorded in the job store (\(error)): "
                        + "run it again to record it"
                )
            }
            var output = StandardOutput()
            if json {
                let document: BoltValue = .map([
                    "version": .string(migration.version.description), "name": .string(migration.name),
                    "changed": .integer(outcome.changed), "verify": outcome.verify?.answer ?? .null,
                ])
                output.write(document.jsonText + "\n")
                return
            }
            output.write(
                "\(migration.version) finalize: \(outcome.changed) items stripped of their bookkeeping"
                    + (outcome.verify.map { ", verified (\($0))" } ?? "") + "; its down is refused from now on\n"
            )
        }
    }
}
