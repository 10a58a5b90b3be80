import Foundation
import Testing

@testable import Migrations

@Suite struct MigrationParserTests {
    @Test func minimalFile() throws {
        let file = try parse(minimalMigration)
        #expect(file.version == MigrationVersion(1))
        #expect(file.name == "test")
        #expect(file.path == "migrations/001_test.cypher")
        #expect(file.description == "Marks every Thing.")
        #expect(file.up.steps.count == 1)
        #expect(file.down.steps.count == 1)
        #expect(file.up.verify?.text == "MATCH (t:Thing) WHERE t.marked IS NULL RETURN count(t) = 0 AS ok")
        #expect(file.up.verify?.line == 9)
        #expect(file.finalize == nil)
        #expect(file.options == MigrationOptions())
        #expect(file.parameters.isEmpty && file.requires.isEmpty && file.indexes.isEmpty)
        #expect(file.checksum == SHA256.hex(of: Array(minimalMigration.utf8)))
    }

    @Test func descriptionContinuesOnTheCommentLinesRightBelowIt() throws {
        let text = minimalMigration.replacingOccurrences(
            of: "// sluice:description Marks every Thing.\n",
            with: """
                // sluice:description Marks every Thing,
                //   in batches.
                //
                // Not part of it: a free comment.

                """
        )
        #expect(try parse(text).description == "Marks every Thing, in batches.")
    }

    @Test func lineDirectives() throws {
        let text =
            minimalMigration + """
                // sluice:requires IS ::, duration.inDays
                // sluice:max_items 1_000_000
                // sluice:batch_size 500
                // sluice:param asOf = date()
                // sluice:param limit = 30
                // sluice:uses_index :Thing(key, other)
                // sluice:uses_index [:LINKS](since)
                """
        let file = try parse(text)
        #expect(file.requires == ["IS ::", "duration.inDays"])
        #expect(file.options.maxItems == 1_000_000)
        #expect(file.options.batchSize == 500)
        #expect(file.parameters.map(\.name) == ["asOf", "limit"])
        #expect(file.parameters[0].expression == "date()")
        #expect(file.parameters[0].line == 22)
        #expect(file.indexes.map(\.description) == [":Thing(key, other)", "[:LINKS](since)"])
        #expect(file.indexes[1].entity == .relationship)
        #expect(file.indexes[0].properties == ["key", "other"])
    }

    /// A feature the Cypher uses is required as if named: pre-flight then refuses a server without it before the first
    /// write. Words that only look like one (a property, a label, a map key) are not features.
    @Test func featuresTheCypherUsesAreRequiredThoughNotNamed() throws {
        let text =
            minimalMigration
            .replacingOccurrences(
                of: "WHERE t.marked IS NULL\n",
                with: """
                    WHERE t.marked IS NULL AND NOT t.due IS :: DATE AND EXISTS { MATCH (t)--() }
                      AND t.datetime IS NULL AND NOT t:Datetime AND {count: 1}.count = 1

                    """
            )
            .replacingOccurrences(of: "SET t.marked = true", with: "SET t.marked = datetime(), t.n = COUNT { (t)--() }")
        #expect(try parse(text).requires == ["COUNT {}", "EXISTS {}", "IS ::", "datetime"])
        let named = text.replacingOccurrences(
            of: "// sluice:description Marks every Thing.\n",
            with: "// sluice:description Marks every Thing.\n// sluice:requires datetime\n"
        )
        #expect(try parse(named).requires == ["datetime", "COUNT {}", "EXISTS {}", "IS ::"])
        let plain = minimalMigration.replacingOccurrences(
            of: "SET t.marked = true",
            with: "SET t.marked = duration.between(t.a, t.b).days, t.c = t.duration.inDays"
        )
        #expect(try parse(plain).requires.isEmpty)
    }

    @Test func probeSection() throws {
        let file = try parse(minimalMigration + "// sluice:probe\nMATCH (t:Thing) RETURN t.name LIMIT 10;\n")
        #expect(file.options.probe == MigrationQuery(text: "MATCH (t:Thing) RETURN t.name LIMIT 10", line: 20))
    }

    @Test func schemaStepsInFileOrder() throws {
        let text = minimalMigration.replacingOccurrences(
            of: "// sluice:up verify",
            with: """
                // sluice:up schema
                CREATE TEXT INDEX thing_name IF NOT EXISTS FOR (t:Thing) ON (t.name);

                // sluice:up verify
                """
        ).replacingOccurrences(
            of: "// sluice:down data",
            with: """
                // sluice:down schema
                DROP INDEX `thing_name` IF EXISTS

                // sluice:down data
                """
        )
        let file = try parse(text)
        #expect(file.up.steps.map(\.kindName) == ["data", "schema"])
        #expect(file.down.steps.map(\.kindName) == ["schema", "data"])
        let create = try #require(file.up.schemaSteps.first)
        #expect(create.action == .create && create.object == .index && create.name == "thing_name")
        #expect(create.statement == "CREATE TEXT INDEX thing_name IF NOT EXISTS FOR (t:Thing) ON (t.name)")
        #expect(create.line == 9)
        #expect(create.target == IndexRequirement(entity: .node, labelOrType: "Thing", properties: ["name"], line: 9))
        let drop = try #require(file.down.schemaSteps.first)
        #expect(drop.action == .drop && drop.name == "thing_name")
        #expect(drop.target == nil)
    }

    @Test func indexTargetsOfNodesAndRelationships() throws {
        for (statement, target) in [
            (
                "CREATE INDEX FOR (t:Thing) ON (t.a, t.b)",
                IndexRequirement(entity: .node, labelOrType: "Thing", properties: ["a", "b"], line: 20)
            ),
            (
                "CREATE INDEX logged_date FOR ()-[r:LOGGED_HOURS]-() ON (r.date)",
                IndexRequirement(entity: .relationship, labelOrType: "LOGGED_HOURS", properties: ["date"], line: 20)
            ),
        ] {
            let text = minimalMigration + "// sluice:up schema\n\(statement)\n// sluice:down schema\nDROP INDEX x\n"
            #expect(try #require(try parse(text).up.schemaSteps.first).target == target)
        }
    }

    @Test func schemaStepsOfEveryShape() throws {
        for (statement, object, name) in [
            (
                "CREATE CONSTRAINT thing_key FOR (t:Thing) REQUIRE t.key IS UNIQUE", SchemaStep.Object.constraint,
                "thing_key"
            ),
            ("CREATE INDEX FOR (t:Thing) ON (t.key)", .index, nil),
            ("CREATE INDEX ON :Thing(key)", .index, nil),
            ("DROP CONSTRAINT thing_key IF EXISTS", .constraint, "thing_key"),
        ] as [(String, SchemaStep.Object, String?)] {
            let text = minimalMigration + "// sluice:up schema\n\(statement)\n// sluice:down schema\nDROP INDEX x\n"
            let step = try #require(try parse(text).up.schemaSteps.first)
            #expect(step.object == object)
            #expect(step.name == name)
        }
    }

    @Test func finalizeSection() throws {
        let text =
            minimalMigration + """
                // sluice:finalize data
                MATCH (t:Thing)
                WHERE t._sluice_m001 IS NOT NULL
                REMOVE t._sluice_m001

                // sluice:finalize verify
                MATCH (t:Thing) WHERE t._sluice_m001 IS NOT NULL RETURN count(t) = 0 AS ok
                """
        let finalize = try #require(try parse(text).finalize)
        #expect(finalize.kind == .finalize)
        #expect(finalize.dataSteps.first?.change == "REMOVE t._sluice_m001")
        #expect(finalize.verify?.line == 25)
    }

    @Test func layoutThatParsesAlike() throws {
        let reference = try parse(minimalMigration)
        let indented = minimalMigration.replacingOccurrences(of: "// sluice:", with: "  //sluice:")
        let withBOM = "\u{FEFF}" + minimalMigration
        let crlf = minimalMigration.replacingOccurrences(of: "\n", with: "\r\n")
        for text in [indented, withBOM, crlf] {
            let file = try parse(text)
            #expect(file.up == reference.up)
            #expect(file.down == reference.down)
            #expect(file.description == reference.description)
            #expect(file.checksum != reference.checksum)
        }
    }

    /// The checksum covers the exact bytes: line endings and comments count, and it is what `sha256sum` prints.
    @Test func checksumIsTheExactBytes() throws {
        let reference = try parse(minimalMigration)
        #expect(try parse(minimalMigration).checksum == reference.checksum)
        #expect(try parse(minimalMigration, name: "002_other.cypher").checksum == reference.checksum)
        #expect(try parse(minimalMigration.replacingOccurrences(of: "\n", with: "\r\n")).checksum != reference.checksum)
        #expect(try parse(minimalMigration + "// a comment\n").checksum != reference.checksum)
        #expect(reference.checksum.count == 64 && reference.checksum.allSatisfy(\.isHexDigit))
    }

    @Test func commentsInsideSectionsStayCypher() throws {
        let text = minimalMigration.replacingOccurrences(
            of: "MATCH (t:Thing)\nWHERE t.marked IS NULL\nSET t.marked = true",
            with: """
                // Which things: all of them, which sluice batches.
                // sluiceway, sluice_x and sluice9 are not the word sluice.
                MATCH (t:Thing) /* the item */
                WHERE t.marked IS NULL // not yet marked
                  AND t.kind <> 'MATCH // SET'
                SET t.marked = true // done
                // trailing comment
                """
        )
        let step = try #require(try parse(text).up.dataSteps.first)
        #expect(step.line == 6)
        #expect(step.pattern.text == "(t:Thing)")
        #expect(step.predicate == "t.marked IS NULL // not yet marked\n  AND t.kind <> 'MATCH // SET'")
        #expect(step.change == "SET t.marked = true")
    }
}
