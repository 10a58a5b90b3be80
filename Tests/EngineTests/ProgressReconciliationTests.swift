import Engine
import Testing

/// Every way Postgres's checkpoint and the graph's job node can disagree, and what the engine does.
@Suite struct ProgressReconciliationTests {
    @Test func agreeingRecordsResumeWhereTheyAre() {
        #expect(
            ProgressReconciliation.decide(recorded: 40_000, graph: .init(done: 40_000, token: 7), token: 7)
                == .resume(at: 40_000, recordedUpTo: 40_000)
        )
    }

    @Test func crashAfterTheGraphCommitAndBeforeTheCheckpoint() {
        // The batch 40,000..<50,000 committed in the graph; the process died before Postgres heard.
        // The graph wins: resume at 50,000 and record the batch first. Nothing is applied twice.
        #expect(
            ProgressReconciliation.decide(recorded: 40_000, graph: .init(done: 50_000, token: 7), token: 7)
                == .resume(at: 50_000, recordedUpTo: 40_000)
        )
    }

    @Test func aStalledWorkerWhoseLeaseWasTakenOverIsFenced() {
        #expect(
            ProgressReconciliation.decide(recorded: 40_000, graph: .init(done: 60_000, token: 8), token: 7)
                == .fenced(currentToken: 8)
        )
    }

    @Test func aGraphBehindThePostgresCheckpointLostWritesAndStopsTheJob() {
        #expect(
            ProgressReconciliation.decide(recorded: 50_000, graph: .init(done: 30_000, token: 7), token: 7)
                == .graphBehind(graphDone: 30_000, recorded: 50_000)
        )
        #expect(ProgressReconciliation.decide(recorded: 50_000, graph: nil, token: 7) == .nodeMissing)
    }
}
