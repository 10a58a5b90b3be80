import Bolt
import Testing

@testable import Engine

/// EXPLAIN plans as a dry run shows them.
@Suite struct PreflightPlanTests {
    static func step(_ name: String, _ details: String, _ children: [BoltValue] = []) -> BoltValue {
        ["operatorType": .string(name), "args": ["Details": .string(details)], "children": .list(children)]
    }

    @Test func aPlanTreeIsShownAsIndentedOperators() {
        let plan = Self.step("ProduceResults@neo4j", "sluice_changed", [Self.step("NodeByIdSeek@neo4j", "p")])
        #expect(Preflight.text(plan) == "+ ProduceResults@neo4j sluice_changed\n  + NodeByIdSeek@neo4j p")
    }

    @Test func aServersOwnRenderingIsShownAsItIs() {
        let plan: BoltValue = [
            "operatorType": "ArcadeDB.OpenCypher.Plan", "args": ["string-representation": "Execution Plan:\n+ UNWIND"],
            "children": [],
        ]
        #expect(Preflight.text(plan) == "Execution Plan:\n+ UNWIND")
    }
}
