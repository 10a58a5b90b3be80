import ArgumentParser
import Foundation
import JobStore
import Migrations

/// `sluice list`: the migrations in the folder, in version order.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the migrations: version, state on the graph, name, steps, description.",
        discussion: """
            The state (pending, running, partially applied, applied, changed after apply, or "applied, file missing") \
            is the job store's, for the graph that --url and --database name, followed by ", finalized DATE" once \
            `sluice finalize` stripped what its down needs; --files-only reads the files alone. --json prints one \
            JSON document, {"migrations": [...]}, each migration whole (finalizedAt once finalized), data steps \
            taken apart into the pattern, predicate and change the engine batches.

            Examples:
              sluice list
              sluice list --json | jq '.migrations[] | {version, state}'
            """
    )

    @OptionGroup var migrations: MigrationsOptions
    /// Names the graph whose states to show; it is never contacted, so no credentials.
    @OptionGroup var graph: GraphTargetOptions
    @OptionGroup var store: DBOptions

    @Flag(help: "Print one JSON document: {\"migrations\": [...]}.")
    var json = false

    @Flag(help: "Read the files only: no state column, no job store.")
    var filesOnly = false

    func run() async throws {
        let configuration = try store.file.daemonConfiguration()
        let catalog = try migrations.loadCatalog(configured: configuration.migrationsFolder)
        var states: [MigrationVersion: String] = [:]
        var finalized: [MigrationVersion: Date] = [:]
        var missing: [MigrationStatus] = []
        if !filesOnly {
            let target = try graph.jobTarget(configuration: configuration)
            // A listing reads: a missing or older schema is named with `sluice db migrate`, not created here.
            let jobStore = try await store.openClientStore(migrate: false)
            let ledger: MigrationLedger
            do {
                ledger = try await MigrationLedger.read(jobStore, catalog: catalog, target: target)
            } catch {
                await jobStore.close()
                throw CommandError("\(error)")
            }
            await jobStore.close()
            for status in ledger.statuses { states[status.version] = status.state.rawValue }
            finalized = ledger.finalized
            missing = ledger.statuses.filter { $0.state == .missingFile }
        }
        var output = StandardOutput()
        if json {
            let entries = catalog.migrations.map {
                Entry($0, state: states[$0.version], finalizedAt: finalized[$0.version])
            }
            output.write(try JSONOutput.text(["migrations": entries]))
            return
        }
        // `applied, finalized 2026-11-27 18:52:14 UTC`: the state, and the finalize since it was applied.
        func state(_ version: MigrationVersion, _ state: String) -> String {
            state + (finalized[version].map { ", finalized \(JobView.instant($0))" } ?? "")
        }
        let header = ["VERSION"] + (filesOnly ? [] : ["STATE"]) + ["NAME", "UP", "DOWN", "DESCRIPTION"]
        let rows =
            catalog.migrations.map { migration in
                [migration.version.description]
                    + (filesOnly ? [] : [state(migration.version, states[migration.version] ?? "pending")])
                    + [migration.name, Self.steps(migration.up), Self.steps(migration.down), migration.description]
            }
            + missing.map { status in
                [
                    status.version.description, state(status.version, status.state.rawValue),
                    status.applied?.name ?? "", "", "", "",
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
        var state: String?
        /// When `sluice finalize` last ran since the migration was applied; absent when it has not, or --files-only.
        var finalizedAt: Date?
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

        init(_ migration: MigrationFile, state: String?, finalizedAt: Date?) {
            version = migration.version
            self.state = state
            self.finalizedAt = finalizedAt
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
