import Foundation
import Testing

@testable import Migrations

/// Every error the parser reports, with the line it names.
@Suite struct MigrationParserErrorTests {
    private func expectOnly(
        _ text: String,
        line: Int?,
        _ reason: MigrationError.Reason,
        name: String = "001_test.cypher",
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let found = problems(text, name: name)
        #expect(found.count == 1, "\(found)", sourceLocation: sourceLocation)
        #expect(found.first?.line == line, sourceLocation: sourceLocation)
        #expect(found.first?.reason == reason, sourceLocation: sourceLocation)
    }

    private func replacing(_ old: String, with new: String) -> String {
        precondition(minimalMigration.components(separatedBy: old).count == 2, "'\(old)' must occur once")
        return minimalMigration.replacingOccurrences(of: old, with: new)
    }

    @Test func errorsNameFileAndLine() throws {
        let text = minimalMigration + "// sluice:upp data\nMATCH (n) SET n.x = 1\n"
        #expect {
            try parse(text)
        } throws: { error in
            "\(error)" == "migrations/001_test.cypher:19: unknown directive 'sluice:upp' (expected description, "
                + "requires, max_items, batch_size, param, uses_index, probe, up, down or finalize)"
        }
    }

    @Test func fileNames() {
        for name in [
            "7-normalize.cypher", "007_Normalize.cypher", "007_normalize-names.cypher", "000_zero.cypher",
            "007_.cypher", "normalize.cypher", "007__double.cypher", "007_1st.cypher",
        ] {
            expectOnly(minimalMigration, line: nil, .invalidFileName(name), name: name)
        }
        #expect(problems(minimalMigration, name: "12345_big_number_2.cypher").isEmpty)
    }

    @Test func notUTF8() throws {
        #expect {
            try MigrationParser.parse(Array(minimalMigration.utf8) + [0xFF], path: "001_test.cypher")
        } throws: { error in
            (error as? InvalidMigrations)?.errors.map(\.reason) == [.notUTF8]
        }
    }

    @Test func directives() {
        expectOnly(minimalMigration + "// sluice:upp data\nMATCH (n) SET n.x = 1\n", line: 19, .unknownDirective("upp"))
        expectOnly(
            minimalMigration + "// sluice:up\nMATCH (n) SET n.x = 1\n",
            line: 19,
            .missingArgument(directive: "up", expected: "schema, data or verify")
        )
        expectOnly(
            minimalMigration + "// sluice:finalize schema\nDROP INDEX x\n",
            line: 19,
            .missingArgument(directive: "finalize", expected: "data or verify")
        )
        expectOnly(
            minimalMigration + "// sluice:probe now\nRETURN 1\n",
            line: 19,
            .unexpectedArgument(directive: "probe", argument: "now")
        )
        expectOnly(
            minimalMigration + "// sluice:description Again.\n",
            line: 19,
            .duplicateDirective("description", firstLine: 1)
        )
        expectOnly(
            minimalMigration + "// sluice:up verify\nRETURN true AS ok\n",
            line: 19,
            .duplicateDirective("up verify", firstLine: 8)
        )
        expectOnly(
            minimalMigration + "// sluice:probe\nRETURN 1\n// sluice:probe\nRETURN 2\n",
            line: 21,
            .duplicateDirective("probe", firstLine: 19)
        )
        expectOnly(
            minimalMigration + "// sluice:requires a,,b\n",
            line: 19,
            .missingArgument(directive: "requires", expected: "no empty feature")
        )
    }

    /// A comment starting with the word sluice is a directive or an error, never Cypher: a misspelled
    /// `// sluice:down verify` after the down data step made the verify query part of down's change.
    @Test(
        arguments: [
            ("// Sluice:down verify", "// sluice:down verify"),
            ("// sluice down verify", "// sluice:down verify"),
            ("  //SLUICE : DOWN VERIFY", "// sluice:down verify"),
            ("// sluice: down verify", "// sluice:down verify"),
            ("// Sluice runs it in batches.", nil),
            ("// sluice's own query", nil),
        ] as [(String, String?)]
    )
    func malformedDirectives(_ line: String, _ suggestion: String?) {
        let text = replacing("// sluice:down verify\n", with: line + "\n")
        let found = problems(text)
        let comment = line.drop { $0 == " " }.dropFirst(2).drop { $0 == " " }
        #expect(found.map(\.line) == [11, 16])
        #expect(found.first?.reason == .missingVerify(.down))
        #expect(found.last?.reason == .malformedDirective(String(comment), suggestion: suggestion))
    }

    @Test func malformedDirectiveMessage() throws {
        #expect {
            try parse(replacing("// sluice:down verify\n", with: "// Sluice:down verify\n"))
        } throws: { error in
            "\(error)".split(separator: "\n").contains(
                "migrations/001_test.cypher:16: '// Sluice:down verify' is read as a directive but is not one: "
                    + "did you mean '// sluice:down verify'?"
            )
        }
    }

    /// Pre-flight can only probe the features it knows: an unknown name was accepted and then skipped.
    @Test func unknownFeatures() throws {
        expectOnly(
            minimalMigration + "// sluice:requires IS ::, duration.indays\n",
            line: 19,
            .unknownFeature("duration.indays")
        )
        #expect(
            MigrationError.Reason.unknownFeature("x").description
                == "'sluice:requires' names 'x', a feature pre-flight cannot probe: expected one of 'IS ::', "
                + "'duration.inDays', 'datetime', 'INDEX IF NOT EXISTS', 'EXISTS {}', 'COUNT {}' (case matters)"
        )
        let all = CypherFeature.allCases.map(\.rawValue)
        #expect(try parse(minimalMigration + "// sluice:requires \(all.joined(separator: ", "))\n").requires == all)
    }

    @Test(arguments: [
        "ten", "0", "-5", "1.5", "١٢", "+5", "1__0", "_10", "10_", "1,000", "0_0", "99999999999999999999",
    ])
    func badNumbers(_ text: String) {
        expectOnly(
            minimalMigration + "// sluice:max_items \(text)\n",
            line: 19,
            .badNumber(directive: "max_items", text: text)
        )
        expectOnly(
            minimalMigration + "// sluice:batch_size \(text)\n",
            line: 19,
            .badNumber(directive: "batch_size", text: text)
        )
    }

    @Test func parameters() {
        for text in ["= date()", "1x = 2", "asOf", "as of = date()", "asOf =", "$asOf = date()"] {
            expectOnly(minimalMigration + "// sluice:param \(text)\n", line: 19, .invalidParameter(text))
        }
        // The name as the queries use it, `$` and all: said so, not only what the syntax is.
        #expect(MigrationError.Reason.invalidParameter("$asOf = date()").description.contains("without its $"))
        expectOnly(minimalMigration + "// sluice:param sluice_ids = [1]\n", line: 19, .reservedParameter("sluice_ids"))
        expectOnly(
            minimalMigration + "// sluice:param asOf = date()\n// sluice:param asOf = date() - duration('P1D')\n",
            line: 20,
            .duplicateParameter("asOf", firstLine: 19)
        )
        expectOnly(
            replacing("WHERE t.marked IS NULL\n", with: "WHERE t.marked IS NULL AND t.at < $asOf\n"),
            line: 5,
            .undeclaredParameter("asOf")
        )
        expectOnly(
            replacing(
                "RETURN count(t) = 0 AS ok\n\n// sluice:down data",
                with: "RETURN count(t) = $want AS ok\n\n// sluice:down data"
            ),
            line: 9,
            .undeclaredParameter("want")
        )
    }

    @Test(arguments: ["Thing(key)", ":Thing", ":Thing()", "[:LINKS(since)", ":Thing(a b)", "[LINKS](since)"])
    func invalidIndexes(_ text: String) {
        expectOnly(minimalMigration + "// sluice:uses_index \(text)\n", line: 19, .invalidIndex(text))
    }

    @Test func textOutsideSections() {
        expectOnly("MATCH (n) SET n.x = 1\nRETURN n\n" + minimalMigration, line: 1, .textOutsideSection)
        expectOnly(minimalMigration + "// sluice:max_items 5\nCREATE (x)\n", line: 20, .textOutsideSection)
    }

    @Test func requiredParts() {
        expectOnly(
            replacing("// sluice:description Marks every Thing.\n", with: "// Marks every Thing.\n"),
            line: 1,
            .missingDescription
        )
        let withoutDown = String(minimalMigration[..<minimalMigration.range(of: "// sluice:down data")!.lowerBound])
        expectOnly(withoutDown, line: nil, .missingDirection(.down))
        expectOnly(
            replacing(
                "// sluice:up verify\nMATCH (t:Thing) WHERE t.marked IS NULL RETURN count(t) = 0 AS ok\n",
                with: ""
            ),
            line: 3,
            .missingVerify(.up)
        )
        expectOnly(
            replacing("// sluice:up data\nMATCH (t:Thing)\nWHERE t.marked IS NULL\nSET t.marked = true\n", with: ""),
            line: 4,
            .directionWithoutSteps(.up)
        )
        expectOnly(
            replacing("MATCH (t:Thing)\nWHERE t.marked IS NULL\nSET t.marked = true\n", with: "// nothing yet\n"),
            line: 3,
            .emptySection("up data")
        )
        expectOnly(minimalMigration + "// sluice:probe\n", line: 19, .emptySection("probe"))
    }

    @Test func malformedCypher() {
        expectOnly(
            replacing("SET t.marked = true", with: "SET t.marked = 'yes"),
            line: 6,
            .malformedCypher("a string opened with ' is never closed")
        )
        expectOnly(
            replacing("SET t.marked = true", with: "SET t.marked = size([1, 2)"),
            line: 6,
            .malformedCypher("')' does not close the '[' of line 6")
        )
        expectOnly(
            replacing("WHERE t.marked IS NULL\n", with: "WHERE (t.marked IS NULL\n"),
            line: 5,
            .malformedCypher("'(' is never closed")
        )
        expectOnly(
            replacing("SET t.marked = true", with: "SET t.marked = true)"),
            line: 6,
            .malformedCypher("')' closes nothing")
        )
        expectOnly(
            replacing("SET t.marked = true", with: "SET t.marked = true /* done"),
            line: 6,
            .malformedCypher("a /* comment is never closed")
        )
        expectOnly(
            replacing("MATCH (t:Thing)\nWHERE t.marked IS NULL", with: "MATCH (t:`Thing)\nWHERE t.marked IS NULL"),
            line: 4,
            .malformedCypher("a name opened with ` is never closed")
        )
        expectOnly(
            replacing("SET t.marked = true\n", with: "SET t.marked = true;\nMATCH (x) SET x.y = 1;\n"),
            line: 6,
            .multipleStatements
        )
    }

    @Test func schemaSteps() {
        expectOnly(
            minimalMigration + "// sluice:up schema\nMATCH (n) RETURN n\n// sluice:down schema\nDROP INDEX x\n",
            line: 20,
            .notASchemaStatement
        )
        expectOnly(
            minimalMigration + "// sluice:up schema\nCREATE INDEX x FOR (t:Thing) ON (t.a)\n",
            line: 19,
            .unbalancedSchemaSteps(up: 1, down: 0)
        )
    }

    /// The engine refuses a second data step of a job's direction when it runs; the parser refuses it first.
    @Test func oneDataStepPerJobDirection() {
        let second = "// sluice:up data\nMATCH (t:Thing) WHERE t.other IS NULL SET t.other = true\n"
        expectOnly(minimalMigration + second, line: 19, .secondDataStep(.up, firstLine: 3))
        expectOnly(
            minimalMigration + second.replacingOccurrences(of: "up data", with: "down data"),
            line: 19,
            .secondDataStep(.down, firstLine: 11)
        )
        let finalize = "// sluice:finalize data\nMATCH (t:Thing) WHERE t.x IS NOT NULL REMOVE t.x\n"
        #expect(problems(minimalMigration + finalize + finalize).isEmpty)
    }

    @Test func dataStepShape() {
        let step = "MATCH (t:Thing)\nWHERE t.marked IS NULL\nSET t.marked = true"
        expectOnly(
            replacing(step, with: "OPTIONAL MATCH (t:Thing)\nWHERE t.marked IS NULL\nSET t.marked = true"),
            line: 4,
            .dataStepWithoutMatch
        )
        expectOnly(
            replacing(step, with: "UNWIND [1] AS i\nMATCH (t:Thing) WHERE t.marked IS NULL SET t.marked = true"),
            line: 4,
            .dataStepWithoutMatch
        )
        expectOnly(replacing(step, with: "MATCH (t:Thing)\nSET t.marked = true"), line: 4, .dataStepWithoutPredicate)
        expectOnly(
            replacing(step, with: "MATCH (t:Thing)\nWHERE\nSET t.marked = true"),
            line: 5,
            .dataStepWithoutPredicate
        )
        expectOnly(replacing(step, with: "MATCH (t:Thing)\nWHERE t.marked IS NULL"), line: 5, .dataStepWithoutChange)
        expectOnly(replacing(step, with: step + "\nRETURN t"), line: 7, .changeReturns("RETURN"))
        expectOnly(
            replacing(step, with: "MATCH (t:Thing)\nWHERE t.marked IS NULL\nWITH t LIMIT 10\nSET t.marked = true"),
            line: 6,
            .changeReturns("LIMIT")
        )
        expectOnly(
            replacing(step, with: "MATCH (t:Thing)\nWHERE t.marked IS NULL\nWITH t, 1 AS one"),
            line: 6,
            .changeWritesNothing
        )
    }

    @Test(arguments: [
        ("(:Thing)", "name the item: (p:Thing)"),
        ("(t)", "give the item a label to plan from: (t:Label)"),
        ("(t:Thing {kind: 'a'})", "put property conditions in the WHERE predicate, which every batch checks again"),
        ("(t:Thing|Other)", "label and type expressions are not supported: one label list or one type"),
        ("(t:Thing), (o:Other)", "one pattern per data step, found a ','"),
        ("(a)-[:LINKS]->(t)", "name the relationship: -[r:TYPE]-"),
        ("(a)-[t]->(b)", "give the relationship a type to plan from: -[t:TYPE]-"),
        ("(a)-[t:LINKS*1..2]->(b)", "variable-length relationships are not items: match one relationship"),
        ("(a)<-[t:LINKS]->(b)", "a relationship has one direction: <-[r]- or -[r]->"),
        (
            "(a)-[t:LINKS]-(b)",
            "an undirected relationship matches each relationship twice, once from each end: "
                + "give the relationship a direction: -[t:LINKS]->"
        ),
        (
            "(a)-[t:LINKS]->(b)-[u:LINKS]->(c)",
            "expected one node (p:Label) or one relationship (a)-[r:TYPE]->(b), found more"
        ),
        ("(t)-[t:LINKS]->(b)", "each variable of the pattern must be different"),
        ("path = (t:Thing)", "expected one node (p:Label) or one relationship (a)-[r:TYPE]->(b)"),
    ])
    func invalidPatterns(_ pattern: String, _ reason: String) {
        expectOnly(
            replacing("MATCH (t:Thing)\nWHERE t.marked IS NULL", with: "MATCH \(pattern)\nWHERE t.marked IS NULL"),
            line: 4,
            .invalidPattern(reason)
        )
    }

    @Test func queriesOnlyRead() {
        expectOnly(
            replacing(
                "RETURN count(t) = 0 AS ok\n\n// sluice:down data",
                with: "SET t.seen = true RETURN count(t) = 0 AS ok\n\n// sluice:down data"
            ),
            line: 9,
            .queryWrites(section: "up verify", keyword: "SET")
        )
        expectOnly(
            minimalMigration + "// sluice:probe\nMATCH (t:Thing) CALL { WITH t CREATE (:Seen) } RETURN 1\n",
            line: 20,
            .queryWrites(section: "probe", keyword: "CREATE")
        )
        expectOnly(
            replacing(
                "RETURN count(t) = 0 AS ok\n\n// sluice:down data",
                with: "RETURN count(t) = 0 AS good\n\n// sluice:down data"
            ),
            line: 9,
            .verifyWithoutOk
        )
        expectOnly(
            replacing(
                "MATCH (t:Thing) WHERE t.marked IS NULL RETURN count(t) = 0 AS ok",
                with: "MATCH (t:Thing) WHERE t.marked IS NULL"
            ),
            line: 9,
            .verifyWithoutOk
        )
    }

    @Test func bookkeeping() {
        expectOnly(
            replacing("SET t.marked = true", with: "SET t.marked = true, t._sluice_m002 = true"),
            line: 6,
            .foreignBookkeeping(property: "_sluice_m002", version: MigrationVersion(1))
        )
        expectOnly(
            replacing("SET t.marked = true", with: "SET t.marked = true, t._sluice_m001 = true"),
            line: 6,
            .bookkeepingWithoutFinalize("_sluice_m001")
        )
        #expect(
            problems(
                replacing("SET t.marked = true", with: "SET t.marked = true, t._sluice_m1 = true")
                    + "// sluice:finalize data\nMATCH (t:Thing) WHERE t._sluice_m001 IS NOT NULL REMOVE t._sluice_m001\n"
            ).isEmpty
        )
    }

    @Test func everyProblemOfAFileAtOnce() {
        let text =
            minimalMigration
            .replacingOccurrences(of: "SET t.marked = true", with: "SET t.marked = 'x")
            .replacingOccurrences(of: "// sluice:down verify", with: "// sluice:max_items lots\n// sluice:down verify")
        #expect(problems(text, name: "1-test.cypher").map(\.line) == [nil, 6, 16])
    }
}
