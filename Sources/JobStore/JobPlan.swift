import Foundation

/// A job's stored plan: what kind of entries it holds and how many.
public struct JobPlan: Sendable, Equatable {
    /// How the engine addresses a batch (see DESIGN.md "Batching that stays O(N)").
    public enum Kind: String, Sendable, CaseIterable, Codable {
        /// Graph ids, one entry per item (Neo4j, ArcadeDB: `UNWIND $ids`).
        case ids
        /// Id boundaries: entry k and k+1 delimit a range (FalkorDB: range seeks, no large parameters).
        case boundaries
    }

    public let job: JobID
    public let kind: Kind
    public let total: Int64
    /// False while a streamed plan is still being written.
    public let complete: Bool
    public let createdAt: Date

    init(row: PostgresRow) throws(PostgresError) {
        job = JobID(rawValue: try row.decode("job_id"))
        kind = try Job.enumValue(row, "kind")
        total = try row.decode("total")
        complete = try row.decode("complete")
        createdAt = try row.decode("created_at")
    }
}
