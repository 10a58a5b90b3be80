import Foundation

/// A snapshot of one row of the job table: what `sluice status` and `sluice jobs` show, and what a worker reads
/// when it claims the job.
public struct Job: Sendable, Equatable, Identifiable {
    public let id: JobID
    /// The migration's number as written in its file name (`007`).
    public var migrationVersion: String
    public var migrationName: String
    /// The migration file's checksum when the job was enqueued, so a file edited meanwhile is noticed.
    public var migrationChecksum: String
    public var direction: JobDirection
    public var dryRun: Bool
    public var target: JobTarget
    public var state: JobState
    /// An operator asked to cancel while a worker held the lease; the worker stops at its next checkpoint.
    public var cancelRequested: Bool
    /// Higher runs first among queued jobs.
    public var priority: Int
    /// Not claimed before this time (scheduled jobs).
    public var notBefore: Date?
    /// The batch size asked for; the throttle may run smaller (``currentBatchSize``).
    public var requestedBatchSize: Int
    public var currentBatchSize: Int?
    /// Plan entries done: every entry before this offset has been applied and checkpointed.
    public var planDone: Int64
    /// Plan entries in total, `nil` until planned.
    public var planTotal: Int64?
    public var itemsChanged: Int64
    /// Items skipped because they no longer matched the migration's predicate when their batch ran.
    public var itemsSkipped: Int64
    public var itemsQuarantined: Int64
    public var batchesDone: Int64
    /// Items found by the re-plan after the planned set was done (created while the job ran).
    public var lateArrivals: Int64
    public var throttle: JobThrottle
    /// The worker that holds (or last held) the lease.
    public var leaseOwner: String?
    /// Raised on every claim: a worker holding an older token has been fenced off.
    public var leaseToken: Int64
    public var leaseExpiresAt: Date?
    public var heartbeatAt: Date?
    /// How many times the job was claimed.
    public var attempts: Int
    public var lastError: String?
    /// Free-form options recorded at enqueue (bound `$asOf`, `max_items`...).
    public var options: PostgresJSON
    public var enqueuedBy: String
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var updatedAt: Date
    /// The operator's cap in items per second (`sluice throttle JOB --max-rate N`), above the throttle's own
    /// decisions; `nil` when none is set.
    public var operatorMaxRate: Int?
    /// The job this one waits for: it is claimed only once that one has succeeded, and cancelled when that one fails
    /// or is cancelled (`sluice enqueue --all`).
    public var after: JobID?
    /// Plan entries per second over the last half minute since the job was last claimed (Postgres's clock), from one
    /// batch's end to another's; `nil` before the second batch after the claim.
    public var rate: Double?
    /// When the last batch was recorded (Postgres's clock); nil before the first, and for a job last recorded before
    /// schema step 12.
    public var batchAt: Date?

    /// No other job on its graph may start: it is planning or running, or was paused after it started (what
    /// ``JobStoreStatements/holdsTarget(_:)`` says in SQL).
    /// Started by `sluice run` (inserted already leased to it, ``JobStore/enqueue(_:exclusive:leasedTo:leaseDuration:)``):
    /// the run's to go on with when run again, never a daemon's (which only ends it when it is cancelled).
    public var isForeground: Bool {
        (try? options.decode(ForegroundMark.self))?.foreground == true
    }

    /// The part of ``options`` that marks a job as `sluice run`'s, read as the engine reads its own options.
    private struct ForegroundMark: Decodable {
        var foreground: Bool?

        enum CodingKeys: String, CodingKey {
            case foreground
        }
    }

    /// The key of ``options`` that marks a job as `sluice run`'s, for the statements that set and read it.
    static let foregroundOption = ForegroundMark.CodingKeys.foreground.stringValue

    public var holdsItsGraph: Bool {
        state == .planning || state == .running || (state == .paused && startedAt != nil)
    }

    /// Reads a job from a row that has all of ``JobStoreStatements/jobColumns``.
    init(row: PostgresRow) throws(PostgresError) {
        id = JobID(rawValue: try row.decode("id"))
        migrationVersion = try row.decode("migration_version")
        migrationName = try row.decode("migration_name")
        migrationChecksum = try row.decode("migration_checksum")
        direction = try Self.enumValue(row, "direction")
        dryRun = try row.decode("dry_run")
        target = JobTarget(url: try row.decode("target_url"), database: try row.decode("target_database"))
        state = try Self.enumValue(row, "state")
        cancelRequested = try row.decode("cancel_requested")
        priority = try row.decode("priority")
        notBefore = try row.decode("not_before")
        requestedBatchSize = try row.decode("requested_batch_size")
        currentBatchSize = try row.decode("current_batch_size")
        planDone = try row.decode("plan_done")
        planTotal = try row.decode("plan_total")
        itemsChanged = try row.decode("items_changed")
        itemsSkipped = try row.decode("items_skipped")
        itemsQuarantined = try row.decode("items_quarantined")
        batchesDone = try row.decode("batches_done")
        lateArrivals = try row.decode("late_arrivals")
        throttle = JobThrottle(state: try row.decode("throttle_state"), reason: try row.decode("throttle_reason"))
        leaseOwner = try row.decode("lease_owner")
        leaseToken = try row.decode("lease_token")
        leaseExpiresAt = try row.decode("lease_expires_at")
        heartbeatAt = try row.decode("heartbeat_at")
        attempts = try row.decode("attempts")
        lastError = try row.decode("last_error")
        options = try row.decode("options")
        enqueuedBy = try row.decode("enqueued_by")
        createdAt = try row.decode("created_at")
        startedAt = try row.decode("started_at")
        finishedAt = try row.decode("finished_at")
        updatedAt = try row.decode("updated_at")
        operatorMaxRate = try row.decode("operator_max_rate")
        after = try row.decode("after_job", as: Int64?.self).map(JobID.init(rawValue:))
        rate = try row.decode("rate")
        batchAt = try row.decode("batch_at")
    }

    static func enumValue<E: RawRepresentable>(_ row: PostgresRow, _ column: String) throws(PostgresError) -> E
    where E.RawValue == String {
        let text: String = try row.decode(column)
        guard let value = E(rawValue: text) else {
            throw .decodingFailed(column: column, type: "\(E.self)", reason: "unknown value \(text.debugDescription)")
        }
        return value
    }
}
