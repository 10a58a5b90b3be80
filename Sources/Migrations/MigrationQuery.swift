/// A Cypher query taken whole from a migration file: a verify query or the throttle probe.
public struct MigrationQuery: Sendable, Hashable {
    /// The query as written, without a trailing `;`.
    public let text: String
    /// The 1-based line of the file where the query starts.
    public let line: Int

    public init(text: String, line: Int) {
        self.text = text
        self.line = line
    }
}
