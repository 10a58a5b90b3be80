import Foundation

/// One applied (or partly applied, failed, rolled back) migration on one graph, for `sluice history` and for
/// deciding what is pending.
public struct MigrationHistoryEntry: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable, Codable {
        /// Every item done.
        case applied
        /// Stopped mid-way (cancelled): its `down` undoes exactly what was done.
        case partial
        case failed
        /// Its `down` ran to completion.
        case rolledBack = "rolled_back"
        /// `sluice finalize` stripped the bookkeeping its up kept for its down: still applied, its down refused.
        case finalized
    }

    public var id: Int64?
    public var migrationVersion: String
    public var migrationName: String
    public var checksum: String
    public var direction: JobDirection
    public var target: JobTarget
    public var job: JobID?
    public var appliedAt: Date?
    public var appliedBy: String
    public var duration: Duration
    public var items: Int64
    public var status: Status
    /// Items set aside because they failed on their own: the job's count when it ended.
    public var quarantined: Int64 = 0
    /// Who enqueued the job (``appliedBy`` is the worker that ran it); `nil` for entries written without a job.
    public var requestedBy: String?

    /// Whether this entry moved the migration on the graph (applied, partly applied or undone it): a job refused or
    /// failed before it changed an item (pre-flight, a finalized migration's down) leaves the migration where it was,
    /// and a finalize leaves it applied.
    public var movedTheMigration: Bool {
        status != .finalized && (status == .applied || status == .rolledBack || items > 0)
    }

    public init(
        migrationVersion: String,
        migrationName: String,
        checksum: String,
        direction: JobDirection,
        target: JobTarget,
        job: JobID? = nil,
        appliedBy: String,
        duration: Duration,
        items: Int64,
        status: Status
    ) {
        self.migrationVersion = migrationVersion
        self.migrationName = migrationName
        self.checksum = checksum
        self.direction = direction
        self.target = target
        self.job = job
        self.appliedBy = appliedBy
        self.duration = duration
        self.items = items
        self.status = status
    }

    init(row: PostgresRow) throws(PostgresError) {
        id = try row.decode("id")
        migrationVersion = try row.decode("migration_version")
        migrationName = try row.decode("migration_name")
        checksum = try row.decode("checksum")
        direction = try Job.enumValue(row, "direction")
        target = JobTarget(url: try row.decode("target_url"), database: try row.decode("target_database"))
        job = try row.decode("job_id", as: Int64?.self).map(JobID.init(rawValue:))
        appliedAt = try row.decode("applied_at")
        appliedBy = try row.decode("applied_by")
        duration = .milliseconds(try row.decode("duration_ms", as: Int64.self))
        items = try row.decode("items")
        status = try Job.enumValue(row, "status")
        quarantined = try row.decode("quarantined")
        requestedBy = try row.decode("requested_by")
    }
}
