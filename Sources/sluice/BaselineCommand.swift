import ArgumentParser
import Bolt
import Engine
import Foundation
import JobStore
import Migrations

/// `sluice baseline VERSION`: adopts a graph migrated by the guide's runner, whose `(:Migration)`
/// nodes say what is applied, so that sluice takes over from the next version.
struct BaselineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Adopt a graph that carries the guide's (:Migration) nodes, up to VERSION.",
        discussion: """
            Every migration file up to VERSION must have a (:Migration {version, status: 'applied'}) node in the \
            graph; each is recorded in the job store as applied (nothing is run) and its node gets the file's \
            checksum. Refused, naming the version, when one is missing or not applied.
            """
    )

    @OptionGroup var graph: GraphOptions
    @OptionGroup var store: DBOptions
    @OptionGroup var migrations: MigrationsOptions

    @Argument(help: "The last version the graph already has, e.g. 005.")
    var version: String

    func run() async throws {
        let configuration = try store.file.daemonConfiguration()
        let catalog = try migrations.loadCatalog(configured: configuration.migrationsFolder)
        let last = try RunCommand.migration(version, in: catalog)
        let jobStore = try await store.openClientStore(migrate: true)
        defer { Task { await jobStore.close() } }
        try await graph.withConnection(configuration: configuration) { connection, resolved in
            let options = BoltTransactionOptions(database: resolved.database)
            let target = resolved.target
            var nodes: [MigrationVersion: BoltRecord] = [:]
            for record in try await connection.run(GraphMigrationNodes.all, options: options).collect() {
                if let version = record["version"].flatMap(MigrationVersion.init(graphValue:)) {
                    nodes[version] = record
                }
            }
            let ledger = try await MigrationLedger.read(jobStore, catalog: catalog, target: target)
            let adopted = catalog.migrations.filter { $0.version <= last.version }
            for migration in adopted {
                guard let node = nodes[migration.version] else {
                    throw CommandError(
                        "the graph has no (:Migration) node for \(migration.version) \(migration.name): baseline adopts only what the guide's runner recorded"
                    )
                }
                let status = node["status"]?.stringValue ?? "no status"
                guard status.lowercased() == "applied" else {
                    throw CommandError(
                        "the graph's (:Migration) node for \(migration.version) has status '\(status)', not 'applied'"
                    )
                }
                // A version typo in the guide's history would otherwise adopt another migration as applied.
                if let name = node["name"]?.stringValue, Self.comparable(name) != Self.comparable(migration.name) {
                    throw CommandError(
                        "the graph's (:Migration) node for \(migration.version) is named '\(name)', the file "
                            + "\(migration.path) '\(migration.name)': baseline adopts a migration only under its own "
                            + "name (rename the file if they are the same migration)"
                    )
                }
            }
            var output = StandardOutput()
            for migration in adopted {
                let state = ledger.state(of: migration.version)
                guard state == .pending else {
                    output.write("\(migration.version) \(migration.name): already \(state.rawValue), left as it is\n")
                    continue
                }
                let node = nodes[migration.version]
                let entry = MigrationHistoryEntry(
                    up: migration,
                    on: target,
                    by: "sluice baseline (guide: \(node?["appliedBy"]?.stringValue ?? "unknown"))",
                    duration: .zero,
                    items: 0,
                    status: .applied
                )
                try await jobStore.recordHistory(entry)
                try await connection.run(
                    GraphMigrationNodes.matchVersion + " SET m.checksum = $checksum",
                    parameters: GraphMigrationNodes.parameters(of: migration.version).merging([
                        "checksum": .string(migration.checksum)
                    ]) { _, checksum in checksum },
                    options: options
                ).consume()
                output.write("\(migration.version) \(migration.name): adopted as applied\n")
            }
        }
    }

    /// A migration's name as both sides may spell it: `add_project_priority`, `Add project priority`.
    static func comparable(_ name: String) -> String {
        String(name.lowercased().unicodeScalars.filter(CharacterSet.alphanumerics.contains).map(Character.init))
    }
}
