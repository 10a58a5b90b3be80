import Foundation
import JobStore

/// One job in `--json` output (`status`, `jobs`, `enqueue`, `pause`, `resume`, `cancel`, `throttle`).
///
/// The field names and their meaning are an interface: scripts rely on them, and the README documents them. Add
/// fields; never rename or remove one. Every key is always present, `null` when it has no value; instants are ISO 8601
/// in UTC; counts are plan entries ("items").
struct JobDocument: Encodable, Sendable {
    struct Migration: Encodable, Sendable {
        var version: String
        var name: String
        var checksum: String
    }

    struct Target: Encodable, Sendable {
        var url: String
        /// `""` for the server's default database.
        var database: String
    }

    struct Progress: Encodable, Sendable {
        /// Plan entries done: every entry before this offset is applied and checkpointed.
        var done: Int64
        /// Plan entries in all; null until the job is planned.
        @Nullable var total: Int64?
        @Nullable var percent: Double?
        var itemsChanged: Int64
        /// No longer matching the migration's predicate when their batch ran.
        var itemsSkipped: Int64
        var itemsQuarantined: Int64
        var batches: Int64
        /// Found by the re-plan after the planned set was done.
        var lateArrivals: Int64
        /// Items per second over the recent batches; null unless a worker is running the job.
        @Nullable var rate: Double?
        @Nullable var etaSeconds: Int?
    }

    struct BatchSize: Encodable, Sendable {
        var requested: Int
        /// What the throttle runs now; null before the first batch.
        @Nullable var current: Int?
    }

    struct Throttle: Encodable, Sendable {
        /// As the worker reported it: `none` (or `running`) when not slowed down, and for a finished job.
        var state: String
        @Nullable var reason: String?
        /// `sluice throttle JOB --max-rate N`; null when not set.
        @Nullable var operatorMaxRate: Int?
    }

    struct Worker: Encodable, Sendable {
        /// The worker that holds (or last held) the lease.
        @Nullable var owner: String?
        /// Whether a worker holds an unexpired lease now.
        var active: Bool
        @Nullable var leaseExpiresAt: Date?
        @Nullable var heartbeatAt: Date?
        /// How many times the job was claimed.
        var attempts: Int
    }

    struct QuarantineEntry: Encodable, Sendable {
        var item: Int64
        @Nullable var planOffset: Int64?
        var error: String
        @Nullable var quarantinedAt: Date?
    }

    var id: Int64
    var migration: Migration
    var direction: String
    var dryRun: Bool
    var target: Target
    var state: String
    var cancelRequested: Bool
    var priority: Int
    @Nullable var notBefore: Date?
    /// The job this one waits for (`enqueue --all`).
    @Nullable var after: Int64?
    var progress: Progress
    var batchSize: BatchSize
    var throttle: Throttle
    var worker: Worker
    @Nullable var lastError: String?
    var enqueuedBy: String
    var createdAt: Date
    @Nullable var startedAt: Date?
    @Nullable var finishedAt: Date?
    var updatedAt: Date
    /// `status` only: the first quarantined items in plan order (at most ``quarantineLimit``); left out elsewhere.
    var quarantine: [QuarantineEntry]?

    /// `status` only: a dry run's findings, one line each (`data step at line 4: 200 items would be changed`), as its
    /// daemon kept them with the job; empty for another job, or a dry run not previewed yet. Left out elsewhere.
    var preview: [String]?

    /// How many quarantined items `status --json` lists per job.
    static let quarantineLimit = 100

    init(_ view: JobView, quarantine: [QuarantinedItem]? = nil, preview: [String]? = nil) {
        let job = view.job
        id = job.id.rawValue
        migration = Migration(version: job.migrationVersion, name: job.migrationName, checksum: job.migrationChecksum)
        direction = job.direction.rawValue
        dryRun = job.dryRun
        target = Target(url: job.target.url, database: job.target.database)
        state = job.state.rawValue
        cancelRequested = job.cancelRequested
        priority = job.priority
        notBefore = job.notBefore
        after = job.after?.rawValue
        progress = Progress(
            done: job.planDone,
            total: job.planTotal,
            percent: view.percent,
            itemsChanged: job.itemsChanged,
            itemsSkipped: job.itemsSkipped,
            itemsQuarantined: job.itemsQuarantined,
            batches: job.batchesDone,
            lateArrivals: job.lateArrivals,
            rate: view.rate.map { ($0 * 10).rounded() / 10 },
            etaSeconds: view.etaSeconds
        )
        batchSize = BatchSize(requested: job.requestedBatchSize, current: job.currentBatchSize)
        throttle = Throttle(
            state: view.throttle.state,
            reason: view.throttle.reason,
            operatorMaxRate: job.operatorMaxRate
        )
        worker = Worker(
            owner: job.leaseOwner,
            active: view.hasLiveWorker,
            leaseExpiresAt: job.leaseExpiresAt,
            heartbeatAt: job.heartbeatAt,
            attempts: job.attempts
        )
        lastError = job.lastError
        enqueuedBy = job.enqueuedBy
        createdAt = job.createdAt
        startedAt = job.startedAt
        finishedAt = job.finishedAt
        updatedAt = job.updatedAt
        self.quarantine = quarantine?.map {
            QuarantineEntry(item: $0.item, planOffset: $0.planOffset, error: $0.error, quarantinedAt: $0.quarantinedAt)
        }
        self.preview = preview
    }
}
