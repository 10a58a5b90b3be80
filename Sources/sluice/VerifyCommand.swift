import ArgumentParser
import Bolt
import Engine
import Migrations

/// `sluice verify VERSION`: runs a migration's verify query now, as a job does after its last batch.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Run a migration's verify query against the graph now.",
        discussion: """
            Exit 0 when its ok column is true, 1 otherwise; the query's whole answer is printed either way. \
            Writes nothing. --json prints one JSON object: {"version", "name", "direction", "passed", "answer"}, \
            the answer being the first row's columns by name (null when the query returned no row).

            Examples:
              sluice verify 007
              sluice verify 007 --down --json | jq .answer
            """
    )

    @OptionGroup var graph: GraphOptions
    @OptionGroup var file: ConfigFileOptions
    @OptionGroup var migrations: MigrationsOptions

    @Argument(help: "The migration's version, e.g. 007.")
    var version: String

    @Flag(help: "Run the down direction's verify query instead of up's.")
    var down = false

    @Flag(help: "Print one JSON object: version, name, direction, passed, answer.")
    var json = false

    func run() async throws {
        let configuration = try file.daemonConfiguration()
        let catalog = try migrations.loadCatalog(configured: configuration.migrationsFolder)
        let migration = try RunCommand.migration(version, in: catalog)
        let kind: MigrationDirection.Kind = down ? .down : .up
        guard let query = migration.direction(kind)?.verify else {
            throw CommandError("\(migration.version) has no \(kind) verify query")
        }
        try await graph.withConnection(configuration: configuration) { connection, resolved in
            let options = BoltTransactionOptions(database: resolved.database)
            let result: VerifyResult
            do {
                let parameters = try await JobRunner.bindParameters(
                    of: migration,
                    connection: connection,
                    options: options
                )
                result = try await VerifyResult.run(
                    query,
                    connection: connection,
                    parameters: parameters,
                    options: options
                )
            } catch {
                throw CommandError("\(migration.version) \(kind) verify: \(error)")
            }
            var output = StandardOutput()
            if json {
                let document: BoltValue = .map([
                    "version": .string(migration.version.description), "name": .string(migration.name),
                    "direction": .string("\(kind)"), "passed": .boolean(result.passed), "answer": result.answer,
                ])
                output.write(document.jsonText + "\n")
            }
            guard result.passed else {
                throw CommandError("\(migration.version) \(kind) verify did not pass: \(result)")
            }
            if !json { output.write("\(migration.version) \(kind) verify passed: \(result)\n") }
        }
    }
}
