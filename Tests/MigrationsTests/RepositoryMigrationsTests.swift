import Foundation
import Testing

@testable import Migrations

/// The guide's eight migrations as the project ships them in `migrations/`.
@Suite struct RepositoryMigrationsTests {
    private let catalog: MigrationCatalog

    init() throws {
        catalog = try MigrationCatalog.load(folder: repositoryMigrations)
    }

    private func migration(_ version: Int) throws -> MigrationFile {
        try #require(catalog.migration(MigrationVersion(version)))
    }

    @Test func theGuidesEightInOrder() {
        #expect(
            catalog.migrations.map(\.name) == [
                "add_project_priority", "add_customer_status", "rename_customer_guid", "convert_deadline_to_date",
                "add_completion_pct", "restructure_work_hours", "normalize_project_names", "add_project_risk_score",
            ]
        )
        #expect(catalog.migrations.map(\.version.number) == Array(1...8))
        #expect(catalog.ignored.isEmpty)
    }

    /// Each file's checksum is the SHA-256 of its bytes, and parsing them again gives the same migration.
    @Test func checksumsAndStableParsing() throws {
        for file in catalog.migrations {
            let bytes = try #require(FileManager.default.contents(atPath: file.path))
            #expect(file.checksum == SHA256.hex(of: Array(bytes)))
            #expect(try MigrationParser.parse(Array(bytes), path: file.path) == file)
            #expect(!bytes.contains(UInt8(ascii: "\r")), "\(file.path) has CRLF line endings")
        }
    }

    /// Every data step's parts put back together are the step as written: the engine loses nothing.
    @Test func dataStepsRecompose() {
        for file in catalog.migrations {
            for direction in [file.up, file.down] + [file.finalize].compactMap(\.self) {
                for step in direction.dataSteps {
                    let recomposed = "MATCH \(step.pattern.text) WHERE \(step.predicate) \(step.change)"
                    #expect(
                        recomposed.collapsingWhitespace == step.statement.collapsingWhitespace,
                        "\(file.path):\(step.line)"
                    )
                }
            }
        }
    }

    /// The guide's defects that must not come back.
    @Test func noneOfTheGuidesDefects() throws {
        for file in catalog.migrations {
            let text = try String(contentsOfFile: file.path, encoding: .utf8)
            let cypher = text.split(separator: "\n").filter { !$0.hasPrefix("//") }.joined(separator: "\n")
            #expect(!cypher.contains("exists("), "\(file.path): exists() is gone in Neo4j 5")
            #expect(!cypher.contains("migrationVersion"), "\(file.path): one shared marker is overwritten")
            #expect(!cypher.contains("duration.between"), "\(file.path): .days of duration.between is a component")
            #expect(!cypher.contains("MERGE (u)-[rel:LOGGED_HOURS]"), "\(file.path): MERGE collapses entries")
            #expect(file.finalize != nil, "\(file.path): what up keeps for down is stripped by finalize")
            for step in file.up.dataSteps + file.down.dataSteps {
                #expect(
                    !step.predicate.contains("date()") && !step.change.contains("date()"),
                    "\(file.path): bind time at planning"
                )
            }
        }
    }

    @Test func renameDownUsesItsOwnVariable() throws {
        let down = try #require(try migration(3).down.dataSteps.first)
        #expect(down.pattern.variable == "p")
        #expect(down.change.contains("SET p.customerGuid = p.customerId"))
        #expect(!down.statement.contains("c."))
    }

    @Test func deadlineKeepsTheOriginalString() throws {
        let file = try migration(4)
        let up = try #require(file.up.dataSteps.first)
        #expect(up.change.hasPrefix("WITH p,"))
        #expect(up.change.contains("SET p._sluice_m004_deadline = p.deadline"))
        #expect(try #require(file.down.dataSteps.first).change.contains("SET p.deadline = p._sluice_m004_deadline"))
        #expect(file.requires == ["IS ::"])
    }

    @Test func completionDividesFloats() throws {
        let up = try #require(try migration(5).up.dataSteps.first)
        #expect(up.change.contains("hoursWorked / toFloat(p.hourEstimate) * 100.0"))
        #expect(up.change.contains("WHEN p.hourEstimate > 0"))
    }

    @Test func workHoursAreOnePerRelationshipWithEveryProperty() throws {
        let file = try migration(6)
        let up = try #require(file.up.dataSteps.first)
        #expect(up.pattern.kind == .relationship)
        #expect(up.pattern.variable == "r")
        #expect(up.pattern.boundVariables == ["u", "r", "p"])
        #expect(up.pattern.labelsOrTypes == ["LOGGED_HOURS"])
        #expect(up.change.contains("SET w = properties(r)"))
        #expect(up.change.hasPrefix("CREATE"))
        let down = try #require(file.down.dataSteps.first)
        #expect(down.change.contains("CREATE (u)-[r:LOGGED_HOURS]->(p)"))
        #expect(down.change.contains("SET r = properties(w)"))
        #expect(!down.change.contains("MERGE"))
    }

    @Test func normalizedNamePredicateBecomesFalse() throws {
        let file = try migration(7)
        let up = try #require(file.up.dataSteps.first)
        #expect(up.predicate == "p.name IS NOT NULL AND p.normalizedName IS NULL")
        #expect(up.change.contains("p.normalizedName = toLower(trim(p.name))"))
        #expect(file.options.batchSize == 10_000)
        #expect(file.options.probe?.text.hasPrefix("MATCH (p:Project)") == true)
    }

    @Test func riskScoreBindsTimeAtPlanningAndCountsDays() throws {
        let file = try migration(8)
        #expect(file.parameters.map(\.name) == ["asOf", "calculatedAt"])
        #expect(file.parameters.map(\.expression) == ["date()", "datetime()"])
        let up = try #require(file.up.dataSteps.first)
        #expect(up.change.contains("duration.inDays($asOf, p.deadline).days < 30"))
        #expect(up.change.contains("toFloat(p.hoursWorked) / p.hourEstimate"))
        #expect(file.up.steps.map(\.kindName) == ["data", "schema"])
        #expect(file.down.steps.map(\.kindName) == ["schema", "data"])
        #expect(file.up.schemaSteps.first?.name == "project_risk_score")
        #expect(file.down.schemaSteps.first?.action == .drop)
        #expect(file.requires.contains("duration.inDays"))
    }

    /// The directions whose verify query counts their data step's items to zero, for which a job skips the catch-up
    /// re-plan once the verify passes.
    @Test func verifyQueriesCountingTheItemsToZero() {
        let counted = catalog.migrations.flatMap { file in
            [MigrationDirection.Kind.up, .down].compactMap { kind -> String? in
                guard let direction = file.direction(kind), let verify = direction.verify,
                    let step = direction.dataSteps.first, step.isCountedToZero(by: verify)
                else { return nil }
                return "\(file.version) \(kind)"
            }
        }
        #expect(
            counted == [
                "001 up", "001 down", "002 up", "002 down", "003 down", "004 down", "005 up", "005 down", "006 down",
                "007 up", "007 down", "008 up", "008 down",
            ]
        )
    }
}
