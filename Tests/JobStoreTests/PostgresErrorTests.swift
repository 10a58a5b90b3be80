import JobStore
import Testing

/// Which Postgres errors a job waits out (the daemon lets it go and claims it again) rather than failing for good.
@Suite struct PostgresErrorTests {
    @Test(arguments: [
        ("08006", true), ("57P01", true), ("25006", true), ("53100", true),
        // A DBA's pg_cancel_backend or a statement_timeout, a deadlock, a serialization failure, a lock timeout.
        ("57014", true), ("40P01", true), ("40001", true), ("55P03", true),
        ("23505", false), ("42P01", false), ("22P02", false),
    ])
    func transientErrorsAreWaitedOut(sqlState: String, transient: Bool) {
        let error = PostgresError.queryFailed(
            sqlState: sqlState,
            message: "",
            detail: nil,
            constraint: nil,
            query: "checkpoint"
        )
        #expect(error.isTransient == transient)
    }

    /// A refused login waits for an operator's fix, not for a job's: the job waits (transient), but the store does
    /// not retry the statement at once (no connection problem), which would be one more failed login.
    @Test func aRefusedConnectionIsWaitedOutButNotRetriedAtOnce() {
        let refused = PostgresError.connectionRefused(message: "FATAL:  password authentication failed for user \"x\"")
        #expect(refused.isTransient && refused.isRefusedConnection && !refused.isConnectionProblem)
        #expect(refused.description.hasPrefix("Postgres refused the connection: FATAL:"))
        #expect(!PostgresError.connectionFailed(message: "no route").isRefusedConnection)
    }
}
