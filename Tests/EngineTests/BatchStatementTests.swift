import Bolt
import Engine
import Foundation
import Migrations
import Testing

@Suite struct BatchStatementTests {
    static let step = DataStep(
        statement: "MATCH (p:Project) WHERE p.name IS NOT NULL SET p.normalizedName = toLower(p.name)",
        pattern: ItemPattern(
            text: "(p:Project)",
            kind: .node,
            variable: "p",
            labelsOrTypes: ["Project"],
            boundVariables: ["p"]
        ),
        predicate: "p.name IS NOT NULL",
        change: "SET p.normalizedName = toLower(p.name)",
        line: 1
    )

    @Test func theJobNodeIsLockedThenCheckedThenMovedBeforeAnyItemChanges() throws {
        let batch = BatchStatement(step: Self.step, addressing: .idList).batch
        let lock = try #require(batch.range(of: "SET sluice_job.lock"))
        let check = try #require(batch.range(of: "sluice_job.token = $sluice_token AND sluice_job.done = $sluice_from"))
        let move = try #require(batch.range(of: "SET sluice_job.done = $sluice_to"))
        let change = try #require(batch.range(of: Self.step.change))
        #expect(
            lock.lowerBound < check.lowerBound && check.lowerBound < move.lowerBound
                && move.lowerBound < change.lowerBound
        )
        // Every item is re-checked against the label and the whole predicate.
        #expect(batch.contains("MATCH (p:Project)\nWHERE id(p) = sluice_item AND (p.name IS NOT NULL)"))
    }

    @Test func addressingFollowsTheProbedCapabilities() {
        let large = BatchStatement(step: Self.step, capabilities: BoltCapabilities.Dialect.neo4j.capabilities)
        #expect(large.addressing == .idList)
        #expect(large.itemParameters([3, 5, 9]) == ["sluice_ids": [3, 5, 9]])
        let inlined = BatchStatement(step: Self.step, capabilities: BoltCapabilities.Dialect.falkordb.capabilities)
        #expect(inlined.addressing == .idRange)
        #expect(inlined.itemParameters([3, 5, 9]) == ["sluice_low": 3, "sluice_high": 9])
        #expect(inlined.batch.contains("id(p) >= $sluice_low AND id(p) <= $sluice_high AND (p.name IS NOT NULL)"))
    }

    @Test func planningListsTheItemsInIdOrder() {
        let statement = BatchStatement(step: Self.step, addressing: .idList)
        #expect(
            statement.planning
                == "MATCH (p:Project) WHERE (p.name IS NOT NULL) RETURN id(p) AS sluice_id"
        )
    }
    @Test func planningReadsIdWindowsWhereBatchesAddressRangesOfNodes() {
        let grouped = BatchStatement(step: Self.step, addressing: .idList)
        #expect(grouped.planReading == .groups)
        #expect(
            grouped.groupPlanning
                == "MATCH (p:Project) WHERE (p.name IS NOT NULL) "
                + "RETURN id(p) / 4096 AS sluice_group, collect(id(p)) AS sluice_ids ORDER BY sluice_group"
        )
        #expect(
            grouped.latePlanning
                == "MATCH (p:Project) WHERE id(p) > $sluice_after AND (p.name IS NOT NULL) "
                + "RETURN id(p) / 4096 AS sluice_group, collect(id(p)) AS sluice_ids ORDER BY sluice_group"
        )
        let windowed = BatchStatement(step: Self.step, addressing: .idRange)
        #expect(windowed.planReading == .idWindows)
        #expect(
            windowed.planningSeek
                == "MATCH (p:Project) WHERE id(p) >= $sluice_low AND id(p) <= $sluice_high RETURN id(p) AS sluice_id LIMIT 1"
        )
        #expect(
            windowed.windowCount
                == "MATCH (p:Project) WHERE id(p) >= $sluice_low AND id(p) <= $sluice_high AND (p.name IS NOT NULL) "
                + "RETURN count(p) AS sluice_count"
        )
        #expect(
            windowed.windowPlanning
                == "MATCH (p:Project) WHERE id(p) >= $sluice_low AND id(p) <= $sluice_high AND (p.name IS NOT NULL) "
                + "WITH id(p) / 4096 AS sluice_group, min(id(p)) AS sluice_first, max(id(p)) AS sluice_last, "
                + "collect(id(p)) AS sluice_ids RETURN sluice_first, sluice_last, "
                + "CASE WHEN size(sluice_ids) = sluice_last - sluice_first + 1 THEN [] ELSE sluice_ids END AS sluice_ids"
        )
        // A relationship's id is not sought by range: its planning reads groups.
        let step = DataStep(
            statement: Self.step.statement,
            pattern: ItemPattern(
                text: "()-[r:LOGGED]->()",
                kind: .relationship,
                variable: "r",
                labelsOrTypes: ["LOGGED"],
                boundVariables: ["r"]
            ),
            predicate: "r.hours IS NOT NULL",
            change: "SET r.checked = true",
            line: 1
        )
        #expect(BatchStatement(step: step, addressing: .idRange).planReading == .groups)
    }
}
