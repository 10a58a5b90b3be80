import Bolt
import Engine
import Testing

/// The pre-flight's reading of plans as both plan shapes come back from `EXPLAIN`.
@Suite struct BatchPlanCheckTests {
    /// ArcadeDB 26.10's answer for an id list (`[id: per-row]`: a seek) and an id range (a label scan),
    /// as `EXPLAIN` returned them over Bolt.
    static func arcade(_ steps: String) -> BoltValue {
        .map([
            "operatorType": "ArcadeDB.OpenCypher.Plan", "identifiers": .list([]), "children": .list([]),
            "args": .map(["string-representation": .string("OpenCypher Native Execution Plan\n\(steps)")]),
        ])
    }

    @Test func arcadeDBsIdListSeeksAndItsIdRangeScans() {
        let list = Self.arcade(
            """
            + MATCH NODE (sluice_job:SluiceJob)
            + SET (1 items)
            + UNWIND $sluice_ids AS sluice_item
            + MATCH NODE (p:Project) [id: per-row]
            + FILTER WHERE sluice_item = id(p)
            """
        )
        #expect(BatchPlanCheck.scan(in: list, variable: "p") == nil)
        let range = Self.arcade(
            "+ NodeByLabelScan(p:Project) [filter: ((id(p) >= $low AND id(p) <= $high))] [cost=1000.00, rows=1000]"
        )
        #expect(BatchPlanCheck.scan(in: range, variable: "p")?.hasPrefix("NodeByLabelScan(p:Project)") == true)
    }

    static func neo4j(_ type: String, _ identifiers: [String], _ children: [BoltValue] = []) -> BoltValue {
        .map([
            "operatorType": .string(type), "identifiers": .list(identifiers.map { .string($0) }),
            "args": .map(["Details": .string(identifiers.joined(separator: ", "))]), "children": .list(children),
        ])
    }

    @Test func neo4jsOperatorTreeIsSearchedForAScanOfTheItem() {
        // The job node's label scan is not the item's: only scans that produce the item count.
        let seek = Self.neo4j(
            "ProduceResults@neo4j",
            ["sluice_changed"],
            [
                Self.neo4j(
                    "NodeByIdSeek@neo4j",
                    ["p", "sluice_item"],
                    [Self.neo4j("NodeByLabelScan@neo4j", ["sluice_job"])]
                )
            ]
        )
        #expect(BatchPlanCheck.scan(in: seek, variable: "p") == nil)
        let scan = Self.neo4j(
            "ProduceResults@neo4j",
            ["sluice_changed"],
            [Self.neo4j("Filter@neo4j", ["p"], [Self.neo4j("NodeByLabelScan@neo4j", ["p"])])]
        )
        #expect(BatchPlanCheck.scan(in: scan, variable: "p") == "NodeByLabelScan")
        #expect(BatchPlanCheck.scan(in: Self.neo4j("AllNodesScan@neo4j", ["p"]), variable: "p") == "AllNodesScan")
        #expect(BatchPlanCheck.scan(in: .null, variable: "p") == nil)
    }
}
