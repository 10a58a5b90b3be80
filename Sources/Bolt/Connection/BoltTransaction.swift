/// An explicit transaction on one connection: its queries commit or roll back together.
///
/// A failing query ends the transaction on the server (it is rolled back); ``rollback()`` after that
/// succeeds without doing anything, ``commit()`` fails.
public struct BoltTransaction: Sendable {
    let connection: BoltConnection

    /// Runs a query inside the transaction.
    public func run(
        _ query: String,
        parameters: [String: BoltValue] = [:],
        fetchSize: Int = 1000
    ) async throws(BoltError) -> BoltResult {
        try await connection.run(query, parameters: parameters, extra: [:], fetchSize: fetchSize, inTransaction: true)
    }

    /// Commits. The returned metadata holds the server's bookmark where it sends one.
    @discardableResult
    public func commit() async throws(BoltError) -> [String: BoltValue] {
        try await connection.summaryOperation(.commit)
    }

    public func rollback() async throws(BoltError) {
        _ = try await connection.summaryOperation(.rollback)
    }
}
