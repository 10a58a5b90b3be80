import Bolt
import Testing

@testable import Engine

/// Which server errors a batch bisects to find a bad item: only those an item causes. A retryable error (a leader
/// switch, a database read-only for now) bisected would quarantine, and so skip, good items.
@Suite struct ItemFailureTests {
    @Test(arguments: [
        ("Neo.ClientError.Statement.ArgumentError", true),
        // ArcadeDB reports an item's unparseable date() this way.
        ("Neo.ClientError.Statement.SemanticError", true),
        ("Neo.ClientError.Statement.SyntaxError", false),
        ("Neo.ClientError.Cluster.NotALeader", false),
        ("Neo.ClientError.General.ForbiddenOnReadOnlyDatabase", false),
        ("Neo.TransientError.Transaction.DeadlockDetected", false),
        ("Neo.TransientError.Transaction.Terminated", false),
    ])
    func onlyAnItemsErrorIsBisected(code: String, isItemFailure: Bool) {
        #expect(JobRunner.isItemFailure(BoltServerError(code: code, message: "")) == isItemFailure)
    }
}
