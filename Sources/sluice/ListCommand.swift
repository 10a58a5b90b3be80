import ArgumentParser
import Foundation
import Migrations

/// `sluice list`: the migrations in the folder, in version order.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the migrations: version, name, steps, description.",
        discussion: """
            Reads the files only: whether each one is pending, running or applied comes from the job store,
            which this command does not read yet. With --json, each migration is printed whole, data steps
            taken apart into the pattern, predicate and change the engine batches.
            """
    )

    @OptionGroup var migrations: MigrationsOptions

    @Flag(help: "Print the migrations as one JSON array.")
    var json = false

    func run() throws {
        let catalog = try migrations.loadCatalog()
        var output = StandardOutput()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let entries = catalog.migrations.map(Entry.init)
            output.write(String(decoding: try encoder.encode(entries), as: UTF8.self) + "\n")
            return
        }
        let header = ["VERSION", "NAME", "UP", "DOWN", "DESCRIPTION"]
        let rows = catalog.migrations.map { migration in
            [
                migration.version.description, migration.name, Self.steps(migration.up), Self.steps(migration.down),
                migration.description,
            ]
        }
        output.write(TextTable.render(header: header, rows: rows))
    }

    /// `data`, `data, schema`: a direction's steps in order.
    private static func steps(_ direction: MigrationDirection) -> String {
        direction.steps.map(\.kindName).joined(separator: ", ")
    }

    /// A migration as `--json` prints it.
    private struct Entry: Encodable {
        struct Step: Encodable {
            var kind: String
            var line: Int
            var statement: String
            // Data steps.
            var pattern: String?
            var itemKind: String?
            var variable: String?
            var boundVariables: [String]?
            var labelsOrTypes: [String]?
            var predicate: String?
            var change: String?
            // Schema steps.
            var action: String?
            var object: String?
            var name: String?

            init(_ step: MigrationStep) {
                switch step {
                case .data(let data):
                    kind = "data"
                    line = data.line
                    statement = data.statement
                    pattern = data.pattern.text
                    itemKind = data.pattern.kind.rawValue
                    variable = data.pattern.variable
                    boundVariables = data.pattern.boundVariables
                    labelsOrTypes = data.pattern.labelsOrTypes
                    predicate = data.predicate
                    change = data.change
                case .schema(let schema):
                    kind = "schema"
                    line = schema.line
                    statement = schema.statement
                    action = schema.action.rawValue
                    object = schema.object.rawValue
                    name = schema.name
                }
            }
        }

        struct Direction: Encodable {
            var steps: [Step]
            var verify: String?

            init(_ direction: MigrationDirection) {
                steps = direction.steps.map(Step.init)
                verify = direction.verify?.text
            }
        }

        struct Parameter: Encodable {
            var name: String
            var expression: String
        }

        var version: MigrationVersion
        var name: String
        var path: String
        var checksum: String
        var description: String
        var maxItems: Int?
        var batchSize: Int?
        var probe: String?
        var parameters: [Parameter]
        var requires: [String]
        var usesIndexes: [String]
        var up: Direction
        var down: Direction
        var finalize: Direction?

        init(_ migration: MigrationFile) {
            version = migration.version
            name = migration.name
            path = migration.path
            checksum = migration.checksum
            description = migration.description
            maxItems = migration.options.maxItems
            batchSize = migration.options.batchSize
            probe = migration.options.probe?.text
            parameters = migration.parameters.map { Parameter(name: $0.name, expression: $0.expression) }
            requires = migration.requires
            usesIndexes = migration.indexes.map(\.description)
            up = Direction(migration.up)
            down = Direction(migration.down)
            finalize = migration.finalize.map(Direction.init)
        }
    }
}
