import Foundation
import Testing

@testable import Migrations

/// How a data step is taken apart into the pattern, predicate and change the engine batches.
@Suite struct DataStepTests {
    private func step(_ statement: String) throws -> DataStep {
        let text = minimalMigration.replacingOccurrences(
            of: "MATCH (t:Thing)\nWHERE t.marked IS NULL\nSET t.marked = true",
            with: statement
        )
        return try #require(try parse(text).up.dataSteps.first)
    }

    @Test func nodeItem() throws {
        let step = try step("MATCH (t:Thing:`Big Thing`)\nWHERE t.marked IS NULL\nSET t.marked = true")
        #expect(
            step.pattern
                == ItemPattern(
                    text: "(t:Thing:`Big Thing`)",
                    kind: .node,
                    variable: "t",
                    labelsOrTypes: ["Thing", "Big Thing"],
                    boundVariables: ["t"]
                )
        )
        #expect(step.predicate == "t.marked IS NULL")
        #expect(step.change == "SET t.marked = true")
        #expect(step.line == 4)
    }

    @Test(arguments: [
        ("(u:User)-[r:LOGGED_HOURS]->(p:Project)", ["u", "r", "p"]),
        ("(p:Project)<-[r:LOGGED_HOURS]-(u:User)", ["p", "r", "u"]),
        ("()-[r:LOGGED_HOURS]->()", ["r"]),
        ("(u)-[`the hours`:LOGGED_HOURS]->()", ["u", "`the hours`"]),
    ])
    func relationshipItems(_ pattern: String, _ bound: [String]) throws {
        let step = try step("MATCH \(pattern)\nWHERE true\nDELETE \(bound.count == 1 ? "r" : bound[1])")
        #expect(step.pattern.kind == .relationship)
        #expect(step.pattern.text == pattern)
        #expect(step.pattern.labelsOrTypes == ["LOGGED_HOURS"])
        #expect(step.pattern.boundVariables == bound)
        #expect(step.pattern.variable == (bound.count == 1 ? "r" : bound[1]))
    }

    /// Words that only look like clauses do not end the predicate.
    @Test(arguments: [
        "t.name STARTS WITH 'a' AND t.name ENDS WITH 'z'",
        "t.set = 1 AND t.`create` = 2 AND t.kind <> 'SET' AND $with IS NULL",
        "all(x IN t.tags WHERE x <> 'RETURN') AND EXISTS { MATCH (t)-[:R]->() WHERE true }",
        "{match: 1, with: 2}.match = 1 // SET in a comment\n  AND t.x IS NULL",
        "CASE WHEN t.a IS NULL THEN true ELSE false END",
    ])
    func predicatesWithKeywordLookalikes(_ predicate: String) throws {
        let statement = "MATCH (t:Thing)\nWHERE \(predicate)\nSET t.marked = true"
        let parameterized = predicate.contains("$with") ? "// sluice:param with = 1\n" : ""
        let text =
            parameterized
            + minimalMigration.replacingOccurrences(
                of: "MATCH (t:Thing)\nWHERE t.marked IS NULL\nSET t.marked = true",
                with: statement
            )
        let step = try #require(try parse(text).up.dataSteps.first)
        #expect(step.predicate == predicate)
        #expect(step.change == "SET t.marked = true")
    }

    @Test(arguments: [
        "OPTIONAL MATCH (t)-[:HAS]->(o:Other)\nWITH t, count(o) AS others\nSET t.others = others",
        "MATCH (t)-[:HAS]->(o:Other)\nMERGE (t)-[:SEEN]->(o)",
        "FOREACH (x IN t.tags | SET t.tagged = true)",
        "CALL {\n  WITH t\n  SET t.marked = true\n}",
        "DETACH DELETE t",
        "REMOVE t:Thing\nSET t:Done",
        "CREATE (t)-[:COPY]->(:Copy)",
    ])
    func changesOfEveryKind(_ change: String) throws {
        #expect(try step("MATCH (t:Thing)\nWHERE t.marked IS NULL\n\(change)").change == change)
    }

    /// What the engine relies on: the parts put back together are the statement.
    @Test func partsRecomposeTheStatement() throws {
        let statement =
            "MATCH (u:User)-[r:LOGGED_HOURS]->(p:Project)\n  WHERE r.hours > 0\nCREATE (u)-[:LOGGED]->(w:WorkHour)\nDELETE r;"
        let step = try step(statement)
        #expect(step.statement == String(statement.dropLast()))
        #expect(
            "MATCH \(step.pattern.text) WHERE \(step.predicate) \(step.change)".collapsingWhitespace
                == step.statement.collapsingWhitespace
        )
    }

    /// A verify query that counts the step's own items to zero answers for the catch-up re-plan (the engine then skips
    /// it); anything that might count other items does not.
    @Test(arguments: [
        ("MATCH (t:Thing) WHERE t.marked IS NULL RETURN count(t) = 0 AS ok", true),
        ("match (t:Thing)\n  where t.marked IS NULL // what is left\n  return COUNT(*) = 0 as ok", true),
        ("MATCH (t:Thing) WHERE t.marked IS NULL RETURN count(t) = 0 AS ok, count(t) AS left", false),
        ("MATCH (t:Thing) WHERE t.marked IS NULL RETURN count(t) < 1 AS ok", false),
        ("MATCH (t:Thing) WHERE t.marked IS NULL RETURN count(u) = 0 AS ok", false),
        ("MATCH (t:thing) WHERE t.marked IS NULL RETURN count(t) = 0 AS ok", false),
        ("MATCH (t:Thing) WHERE t.marked IS NULL AND t.big RETURN count(t) = 0 AS ok", false),
        ("MATCH (t:Thing) WHERE t.Marked IS NULL RETURN count(t) = 0 AS ok", false),
        ("MATCH (t:Thing) WHERE t.marked IS NOT NULL RETURN count(t) = 0 AS ok", false),
        ("MATCH (t:Thing) RETURN count(t) = 0 AS ok", false),
        ("MATCH (t:Thing) WITH t WHERE t.marked IS NULL RETURN count(t) = 0 AS ok", false),
        ("MATCH (t:Thing)-[:IN]->() WHERE t.marked IS NULL RETURN count(t) = 0 AS ok", false),
        ("MATCH (t:Thing) WHERE t.marked IS NULL RETURN count(t) = 0 AS okay", false),
        ("MATCH (t:Thing) WHERE 'unclosed RETURN count(t) = 0 AS ok", false),
    ])
    func verifyCountingTheItemsToZero(_ verify: String, _ counts: Bool) throws {
        let step = try step("MATCH (t:Thing)\nWHERE t.marked IS NULL\nSET t.marked = true")
        #expect(step.isCountedToZero(by: MigrationQuery(text: verify, line: 1)) == counts)
    }

    /// A relationship step's items are counted by its relationship's variable, in the whole pattern.
    @Test func relationshipItemsCountedToZero() throws {
        let step = try step("MATCH (u:User)-[r:LOGGED_HOURS]->(p:Project)\nWHERE r.hours > 0\nDELETE r")
        let verify = "MATCH (u:User)-[r:LOGGED_HOURS]->(p:Project) WHERE r.hours > 0 RETURN count(r) = 0 AS ok"
        #expect(step.isCountedToZero(by: MigrationQuery(text: verify, line: 1)))
        #expect(
            !step.isCountedToZero(
                by: MigrationQuery(text: verify.replacingOccurrences(of: "(u:User)", with: "(u)"), line: 1)
            )
        )
    }
}
