import Foundation
import Logging

/// sluice's job table in Postgres: jobs, their plans, leases, checkpoints, events and migration history.
///
/// Postgres is the coordination engine: any number of daemons on any number of hosts may share one store. Claims
/// use `FOR UPDATE SKIP LOCKED`, leases expire on Postgres's clock, every claim raises a fencing token, and only one
/// job per graph can be active (a partial unique index, not a check in Swift). Control commands are row updates plus
/// a `NOTIFY` on ``JobStoreSchema/controlChannel`` carrying the job id.
///
/// Operations that are safe to repeat are retried once after a lost connection (the connection itself reconnects
/// with backoff); ``enqueue(_:)`` is not, since its outcome would be unknown.
public final class JobStore: Sendable {
    public let configuration: JobStoreConfiguration
    public let schema: JobStoreSchema
    /// The statements this store runs, for tests and debugging.
    public let statements: JobStoreStatements
    /// The store's connection (one session; operations are serialized on it).
    public let connection: PostgresConnection
    private let logger: Logger

    /// A store over a new connection. Nothing is sent until the first operation; see
    /// ``open(_:logger:migrate:unreachable:)``. `unreachable` hears of each connection attempt that found no server
    /// answering, and of each statement left unanswered, with the moment the server was last known to answer
    /// (``PostgresConnection/init(configuration:logger:unreachable:)``).
    public init(
        _ configuration: JobStoreConfiguration,
        logger: Logger = Logger(label: "sluice.jobstore"),
        unreachable: @escaping @Sendable (PostgresError, ContinuousClock.Instant) -> Void = { _, _ in }
    )
        throws(JobStoreError)
    {
        self.configuration = configuration
        self.schema = try JobStoreSchema(configuration.schema)
        self.statements = JobStoreStatements(schema: schema)
        self.logger = logger
        self.connection = PostgresConnection(
            configuration: configuration.postgres,
            logger: logger,
            unreachable: unreachable
        )
    }

    /// Connects (surfacing a bad conninfo or password at once) and, with `migrate`, brings the schema up to date.
    public static func open(
        _ configuration: JobStoreConfiguration,
        logger: Logger = Logger(label: "sluice.jobstore"),
        migrate: Bool = true,
        unreachable: @escaping @Sendable (PostgresError, ContinuousClock.Instant) -> Void = { _, _ in }
    ) async throws(JobStoreError) -> JobStore {
        let store = try JobStore(configuration, logger: logger, unreachable: unreachable)
        do {
            try await store.connection.ensureConnected()
        } catch {
            throw .postgres(error)
        }
        if migrate { _ = try await store.migrate() }
        return store
    }

    /// Closes the connection.
    public func close() async {
        await connection.close()
    }

    // MARK: schema

    /// Applies missing schema steps under an advisory lock; returns the version found and the version now.
    @discardableResult
    public func migrate() async throws(JobStoreError) -> (from: Int, to: Int) {
        let schema = schema
        let logger = logger
        let result = try await run("migrate", retry: true) { connection in
            try schema.migrate(on: connection, logger: logger)
        }
        if result.from != result.to {
            logger.notice(
                "job store schema migrated",
                metadata: ["schema": "\(schema.name)", "schema.from": "\(result.from)", "schema.to": "\(result.to)"]
            )
        }
        return result
    }

    /// Takes job `id` for this process alone, for as long as its connection lasts (a session's advisory lock, which
    /// Postgres gives up when the process dies, however it dies); false when another process has it. `sluice run`
    /// takes it for its job: a second run of the same command on the same host (one worker identity, which may take
    /// its own live lease, as after a crash) is refused instead of taking the job from the first.
    public func lockForRun(_ id: JobID) async throws(JobStoreError) -> Bool {
        let key = runLockKey(id)
        return try await run("lock job for a run", retry: false, transaction: false) { connection in
            let rows = try connection.query(
                "SELECT pg_try_advisory_lock(hashtextextended($1::text, 0)) AS locked",
                [key]
            )
            return try rows.first?.decode("locked") ?? false
        }
    }

    /// Whether a live process holds job `id` as `sluice run` does (``lockForRun(_:)``): a run killed since its last
    /// checkpoint holds none, whatever its lease says until it runs out.
    public func isHeldByALiveRun(_ id: JobID) async throws(JobStoreError) -> Bool {
        let key = runLockKey(id)
        return try await run("look for a run's lock", retry: true, transaction: false) { connection in
            // A bigint advisory lock is listed as its high half (classid) and low half (objid), objsubid 1.
            let rows = try connection.query(
                """
                SELECT EXISTS (
                    SELECT 1 FROM pg_locks
                    WHERE locktype = 'advisory' AND granted AND objsubid = 1
                      AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1::text, 0)) AS held
                """,
                [key]
            )
            return try rows.first?.decode("held") ?? false
        }
    }

    private func runLockKey(_ id: JobID) -> String { "sluice.run.\(schema.name).\(id)" }

    /// The applied schema version, `nil` when the schema does not exist.
    public func schemaVersion() async throws(JobStoreError) -> Int? {
        let schema = schema
        return try await run("schema version", retry: true, transaction: false) { connection in
            try schema.currentVersion(on: connection)
        }
    }

    // MARK: enqueue and read

    /// Adds a queued job and notifies listening daemons. Not retried on a lost connection (its outcome is unknown).
    ///
    /// - Parameter exclusive: refuse the job when its migration already has an unfinished job (not a dry run) on
    ///   the graph, with ``JobStoreError/migrationAlreadyQueued(migration:target:existing:state:)``: what `sluice
    ///   enqueue` wants. Checked under a transaction-scoped advisory lock per migration and graph, so two enqueues
    ///   racing cannot both pass.
    public func enqueue(_ request: JobRequest, exclusive: Bool = false) async throws(JobStoreError) -> Job {
        try await enqueueChain([request], exclusive: exclusive)[0]
    }

    /// Refuses what a job row cannot hold (a Postgres `integer`), naming the value.
    private static func check(_ request: JobRequest) throws(JobStoreError) {
        guard JobRequest.batchSizes.contains(request.batchSize) else {
            throw .invalidArgument("batch size \(request.batchSize) is outside \(JobRequest.batchSizes)")
        }
        guard JobRequest.priorities.contains(request.priority) else {
            throw .invalidArgument("priority \(request.priority) is outside \(JobRequest.priorities)")
        }
    }

    /// Adds jobs that run one after another, all or none: each after the first waits until the one before it has
    /// succeeded, and is cancelled when that one fails or is cancelled (a chain stops at its first failure, as
    /// `sluice run --all` does). The first waits for `requests[0].after`, if set. `exclusive` as in
    /// ``enqueue(_:exclusive:)``, for each request. Not retried on a lost connection.
    public func enqueueChain(_ requests: [JobRequest], exclusive: Bool = false) async throws(JobStoreError) -> [Job] {
        guard !requests.isEmpty else { return [] }
        for request in requests { try Self.check(request) }
        let statements = statements
        let channel = schema.controlChannel
        let lockPrefix = enqueueLockPrefix
        return try await run("enqueue", retry: false) { connection in
            let jobs = try Self.insert(
                requests,
                exclusive: exclusive,
                on: connection,
                statements: statements,
                lockPrefix: lockPrefix
            )
            for job in jobs {
                try connection.query(statements.notify, [channel, job.id.description])
            }
            return jobs
        }
    }

    /// Adds a job already leased to `worker`: the insert and the claim (``JobStoreStatements/claimJob``) are one
    /// transaction, so no other worker (a daemon's claim loop) can take the job between them, and nobody ever sees
    /// it queued. `sluice run` starts its own job this way, and the job stays its own (``Job/isForeground``): a daemon
    /// does not take it up after the run stops.
    ///
    /// Refused as ``enqueue(_:exclusive:)`` refuses (`exclusive`), and as ``claim(_:worker:leaseDuration:)``
    /// refuses: when another job holds the graph, or an earlier job is queued first on it, this returns `nil` and
    /// nothing was added. Not retried on a lost connection (its outcome is unknown); a claim that loses the
    /// one-job-per-graph race to a concurrent claimer is tried again, as ``claim(worker:leaseDuration:)`` does,
    /// since its transaction left nothing behind. No NOTIFY: there is nothing for a daemon to claim.
    public func enqueue(
        _ request: JobRequest,
        exclusive: Bool = false,
        leasedTo worker: WorkerIdentity,
        leaseDuration: Duration
    ) async throws(JobStoreError) -> JobLease? {
        try Self.check(request)
        guard leaseDuration > .zero else { throw .invalidArgument("lease duration must be positive") }
        let statements = statements
        let lockPrefix = enqueueLockPrefix
        let seconds = leaseDuration.seconds
        for _ in 0..<8 {
            do {
                return try await run("enqueue", retry: false) { connection in
                    let job = try Self.insert(
                        [request],
                        exclusive: exclusive,
                        on: connection,
                        statements: statements,
                        lockPrefix: lockPrefix
                    )[0]
                    try connection.query(statements.markForeground, [job.id])
                    // The claim's events name the worker, as any claim's do, not the operator who enqueued.
                    try connection.query(statements.setActor, [""])
                    let rows = try connection.query(statements.claimJob, [worker.rawValue, seconds, job.id])
                    guard let row = rows.first else {
                        // Not due on its graph: rolled back, the job was never there.
                        throw JobStoreError.targetBusy(request.target)
                    }
                    return try Self.lease(row, worker: worker, duration: leaseDuration)
                }
            } catch .targetBusy {
                return nil
            } catch .postgres(let error) where Self.isTargetRace(error) {
                logger.debug("enqueue lost a race for a graph, retrying", metadata: ["worker": "\(worker)"])
                continue
            }
        }
        return nil
    }

    private var enqueueLockPrefix: String { "sluice.enqueue.\(schema.name)." }

    /// Inserts `requests` as a chain (each after the one before it), with ``enqueue(_:exclusive:)``'s check when
    /// `exclusive`; in the caller's transaction.
    private static func insert(
        _ requests: [JobRequest],
        exclusive: Bool,
        on connection: isolated PostgresConnection,
        statements: JobStoreStatements,
        lockPrefix: String
    ) throws -> [Job] {
        var jobs: [Job] = []
        for request in requests {
            if exclusive && !request.dryRun {
                let key =
                    lockPrefix
                    + [request.target.url, request.target.database, request.migrationVersion]
                    .joined(separator: "\u{1}")
                try connection.query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))", [key])
                let existing = try connection.query(
                    statements.unfinishedForMigration,
                    [request.target.url, request.target.database, request.migrationVersion]
                )
                if let row = existing.first {
                    let job = try Job(row: row)
                    throw JobStoreError.migrationAlreadyQueued(
                        migration: request.migrationVersion,
                        target: request.target,
                        existing: job.id,
                        state: job.state
                    )
                }
            }
            try connection.query(statements.setActor, [request.enqueuedBy])
            let rows = try connection.query(
                statements.enqueue,
                [
                    request.migrationVersion, request.migrationName, request.migrationChecksum,
                    request.direction.rawValue, request.dryRun, request.target.url, request.target.database,
                    request.batchSize, request.priority, request.notBefore, request.enqueuedBy,
                    request.options, jobs.last?.id ?? request.after,
                ]
            )
            jobs.append(try Job(row: rows[0]))
        }
        return jobs
    }

    /// The job with `id`, or `nil`.
    public func job(_ id: JobID) async throws(JobStoreError) -> Job? {
        let statements = statements
        return try await run("job", retry: true, transaction: false) { connection in
            let rows = try connection.query(statements.job, [id])
            return try rows.first.map { row throws(PostgresError) in try Job(row: row) }
        }
    }

    /// Jobs, newest first, optionally only those in `states`.
    public func jobs(states: [JobState]? = nil, limit: Int = 100) async throws(JobStoreError) -> [Job] {
        let statements = statements
        let filter = states?.map(\.rawValue)
        return try await run("jobs", retry: true, transaction: false) { connection in
            let rows = try connection.query(statements.jobs, [filter, limit])
            return try rows.map { row throws(PostgresError) in try Job(row: row) }
        }
    }

    /// How many jobs are in each state (every state present, zero when none).
    public func countsByState() async throws(JobStoreError) -> [JobState: Int] {
        let statements = statements
        return try await run("counts", retry: true, transaction: false) { connection in
            var counts = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
            for row in try connection.query(statements.countsByState) {
                if let state = JobState(rawValue: try row.decode("state", as: String.self)) {
                    counts[state] = try row.decode("n", as: Int.self)
                }
            }
            return counts
        }
    }

    // MARK: workers

    /// Says that `instance` serves graph server `url` (a ``JobTarget/url``) and will say so again within `aliveFor`:
    /// ``liveWorkers()`` lists its worker until then.
    ///
    /// Returns `nil` when the worker identity is the instance's now, else the other live instance that announced it
    /// since this one last did, which keeps it: ``claim(as:leaseDuration:serving:)`` gives this one no job until that
    /// one's row is gone or lapses, and this returns `nil` again once it has. `takingOver` (a daemon's first
    /// announcement) takes the identity from whichever instance had it: a predecessor killed before it could retire
    /// leaves its row alive for up to a lease, and its restart must not wait for that. A live daemon the newcomer took
    /// it from learns so at its own next announcement.
    public func announce(
        _ instance: WorkerInstance,
        serving url: String,
        version: String,
        aliveFor: Duration,
        takingOver: Bool
    ) async throws(JobStoreError) -> WorkerPresence? {
        let statements = statements
        let parameters: [any PostgresEncodable] = [
            instance.worker.rawValue, url, version, aliveFor.seconds, instance.id.uuidString, instance.process,
            takingOver,
        ]
        return try await run("announce worker", retry: true, transaction: false) { connection in
            guard try connection.query(statements.announceWorker, parameters).isEmpty else { return nil }
            // Not written: another instance holds the row. (Gone or lapsed since, the next announcement takes it.)
            return try connection.query(statements.liveWorker, [instance.worker.rawValue]).first.map(Self.presence)
        }
    }

    /// `instance` stops serving: its worker is no longer listed, unless another instance has announced it since.
    public func retire(_ instance: WorkerInstance) async throws(JobStoreError) {
        let statements = statements
        try await run("retire worker", retry: true, transaction: false) { connection in
            try connection.query(statements.retireWorker, [instance.worker.rawValue, instance.id.uuidString])
        }
    }

    /// The workers alive now, by name.
    public func liveWorkers() async throws(JobStoreError) -> [WorkerPresence] {
        try await workers().live
    }

    /// The workers, by name, in one read: those alive now, and those whose time alive has lapsed without their daemon
    /// deleting the row (killed or hung: a job such a worker holds stands still until its lease runs out and another
    /// worker takes it over).
    public func workers() async throws(JobStoreError) -> (live: [WorkerPresence], lapsed: [WorkerPresence]) {
        let statements = statements
        return try await run("workers", retry: true, transaction: false) { connection in
            var workers: (live: [WorkerPresence], lapsed: [WorkerPresence]) = ([], [])
            for row in try connection.query(statements.workers) {
                if try row.decode("alive", as: Bool.self) {
                    workers.live.append(try Self.presence(row))
                } else {
                    workers.lapsed.append(try Self.presence(row))
                }
            }
            return workers
        }
    }

    /// A row of the `workers` table.
    private static func presence(_ row: PostgresRow) throws(PostgresError) -> WorkerPresence {
        WorkerPresence(
            worker: WorkerIdentity(rawValue: try row.decode("worker")),
            url: try row.decode("target_url"),
            version: try row.decode("version"),
            startedAt: try row.decode("started_at"),
            seenAt: try row.decode("seen_at"),
            process: try row.decode("process")
        )
    }

    /// A job's event log, oldest first.
    public func events(of id: JobID) async throws(JobStoreError) -> [JobEvent] {
        let statements = statements
        return try await run("events", retry: true, transaction: false) { connection in
            try connection.query(statements.events, [id]).map { row throws(PostgresError) in try JobEvent(row: row) }
        }
    }

    /// The items a job set aside, in plan order: the first `limit` of them, or all.
    public func quarantine(of id: JobID, limit: Int? = nil) async throws(JobStoreError) -> [QuarantinedItem] {
        let statements = statements
        return try await run("quarantine", retry: true, transaction: false) { connection in
            try connection.query(statements.quarantine, [id, limit]).map { row throws(PostgresError) in
                QuarantinedItem(
                    item: try row.decode("item"),
                    planOffset: try row.decode("plan_offset"),
                    error: try row.decode("error"),
                    quarantinedAt: try row.decode("quarantined_at")
                )
            }
        }
    }

    // MARK: leases

    /// Claims the next runnable job for `worker` (see ``JobStoreStatements/claim``), or `nil` when there is none.
    ///
    /// - Parameter leaseDuration: how long the lease lasts without a heartbeat, on Postgres's clock.
    public func claim(worker: WorkerIdentity, leaseDuration: Duration) async throws(JobStoreError) -> JobLease? {
        try await claim(worker: worker, leaseDuration: leaseDuration, sql: statements.claim, [])
    }

    /// A daemon's claim (``JobStoreStatements/claimServingURL``): the next runnable job for graph server `url` (a
    /// ``JobTarget/url``, any database on it) for `instance`'s worker, or `nil` when there is none or another live
    /// instance announced that worker after `instance` did (``announce(_:serving:version:aliveFor:takingOver:)``).
    public func claim(
        as instance: WorkerInstance,
        leaseDuration: Duration,
        serving url: String
    ) async throws(JobStoreError) -> JobLease? {
        try await claim(
            worker: instance.worker,
            leaseDuration: leaseDuration,
            sql: statements.claimServingURL,
            [url, instance.id.uuidString]
        )
    }

    /// Claims job `id` for `worker` when it is the job due on its graph (``JobStoreStatements/claimJob``), or
    /// returns `nil`: another job holds the graph, or an earlier one is queued first.
    public func claim(
        _ id: JobID,
        worker: WorkerIdentity,
        leaseDuration: Duration
    ) async throws(JobStoreError) -> JobLease? {
        try await claim(worker: worker, leaseDuration: leaseDuration, sql: statements.claimJob, [id])
    }

    /// One of the claim statements, with `extra` as its parameters after the worker and the lease's seconds.
    private func claim(
        worker: WorkerIdentity,
        leaseDuration: Duration,
        sql: String,
        _ extra: [any PostgresEncodable]
    ) async throws(JobStoreError) -> JobLease? {
        guard leaseDuration > .zero else { throw .invalidArgument("lease duration must be positive") }
        let seconds = leaseDuration.seconds
        let parameters: [any PostgresEncodable] = [worker.rawValue, seconds] + extra
        // A claim that loses the one-job-per-graph race gets a unique violation; the next attempt sees the winner
        // and skips that graph. Retrying a claim after a lost connection is safe: a lease granted but not heard of
        // is reclaimed at once by the same identity.
        for _ in 0..<8 {
            do {
                return try await run("claim", retry: true, transaction: false) { connection in
                    try connection.query(sql, parameters).first.map { row throws(PostgresError) in
                        try Self.lease(row, worker: worker, duration: leaseDuration)
                    }
                }
            } catch .postgres(let error) where Self.isTargetRace(error) {
                logger.debug("claim lost a race for a graph, retrying", metadata: ["worker": "\(worker)"])
                continue
            }
        }
        return nil
    }

    /// The lease a claim statement's row grants `worker`.
    private static func lease(
        _ row: PostgresRow,
        worker: WorkerIdentity,
        duration: Duration
    ) throws(PostgresError) -> JobLease {
        let job = try Job(row: row)
        return JobLease(
            job: job,
            token: job.leaseToken,
            owner: worker.rawValue,
            duration: duration,
            previousOwner: try row.decode("previous_owner"),
            previousReleased: try row.decode("previous_released")
        )
    }

    /// Renews the lease and optionally records the throttle state and batch size.
    ///
    /// - Throws: ``JobStoreError/leaseLost(job:token:currentToken:owner:)`` once another worker took the job.
    public func heartbeat(
        _ lease: JobLease,
        throttle: JobThrottle? = nil,
        batchSize: Int? = nil
    )
        async throws(JobStoreError) -> JobControl
    {
        let statements = statements
        return try await run("heartbeat", retry: true, transaction: false) { connection in
            let rows = try connection.query(
                statements.heartbeat,
                [lease.jobID, lease.token, lease.duration.seconds, throttle?.state, throttle?.reason, batchSize]
            )
            guard let row = rows.first else {
                throw try Self.leaseLost(lease, on: connection, statements: statements)
            }
            return try JobControl(row: row)
        }
    }

    /// Records a committed batch in one transaction: the offset moves from `checkpoint.from` to `checkpoint.to`,
    /// counters grow, quarantined items are stored, the lease is renewed.
    ///
    /// Fenced twice: by the lease token (a worker that was taken over gets ``JobStoreError/leaseLost(job:token:currentToken:owner:)``)
    /// and by the offset (``JobStoreError/checkpointConflict(job:expectedDone:actualDone:)`` if the job is not at
    /// `from`). Repeating a checkpoint that already committed (the reply was lost) is recognised and succeeds.
    public func checkpoint(_ lease: JobLease, _ checkpoint: JobCheckpoint) async throws(JobStoreError) -> JobControl {
        guard checkpoint.from >= 0, checkpoint.to >= checkpoint.from else {
            throw .invalidArgument("checkpoint range \(checkpoint.from)..<\(checkpoint.to)")
        }
        let statements = statements
        let arguments: [any PostgresEncodable] = [
            lease.jobID, lease.token, checkpoint.from, checkpoint.to, checkpoint.itemsChanged,
            checkpoint.itemsSkipped, checkpoint.batchSize, checkpoint.throttle?.state,
            checkpoint.throttle?.reason, lease.duration.seconds,
        ]
        // The common case, a batch with nothing quarantined whose lease holds, is the one UPDATE on its own (atomic
        // as it is): one round trip instead of three, and less of Postgres's CPU beside the graph's on a small machine.
        // Anything else (no row: a lost lease, a repeat, a gap) is told apart in a transaction, as below.
        if checkpoint.quarantined.isEmpty {
            let control = try await run("checkpoint", retry: true, transaction: false) { connection in
                try connection.query(statements.checkpoint, arguments).first.map(JobControl.init(row:))
            }
            if let control { return control }
        }
        return try await run("checkpoint", retry: true) { connection in
            if !checkpoint.quarantined.isEmpty {
                try connection.query(
                    statements.quarantineInsert,
                    [
                        lease.jobID, checkpoint.quarantined.map(\.item), checkpoint.quarantined.map(\.planOffset),
                        checkpoint.quarantined.map(\.error),
                    ]
                )
            }
            let rows = try connection.query(statements.checkpoint, arguments)
            if let row = rows.first { return try JobControl(row: row) }
            // Why not: lost lease, a repeat of a committed checkpoint, or a gap.
            let row = try Self.requireLease(lease, on: connection, statements: statements)
            let done: Int64 = try row.decode("plan_done")
            if done == checkpoint.to && checkpoint.to > checkpoint.from {
                let control = try connection.query(
                    statements.heartbeat,
                    [lease.jobID, lease.token, lease.duration.seconds, nil as String?, nil as String?, nil as Int?]
                )
                return try JobControl(row: control[0])
            }
            if let total: Int64 = try row.decode("plan_total"), checkpoint.to > total {
                throw JobStoreError.invalidArgument("checkpoint to \(checkpoint.to) is past the plan's end \(total)")
            }
            throw JobStoreError.checkpointConflict(job: lease.jobID, expectedDone: checkpoint.from, actualDone: done)
        }
    }

    /// Keeps the values a job's parameters were bound to at planning (`$asOf = date()`) in `options.parameters`, so
    /// that a resumed job uses the same values instead of binding them again.
    public func recordParameters(_ lease: JobLease, _ parameters: PostgresJSON) async throws(JobStoreError) {
        let statements = statements
        try await run("record parameters", retry: true, transaction: false) { connection in
            let rows = try connection.query(statements.recordParameters, [lease.jobID, lease.token, parameters])
            if rows.affectedRows == 0 { throw try Self.leaseLost(lease, on: connection, statements: statements) }
        }
    }

    /// Records an error without ending the job (what a job let go waits for), so that `status` shows it; the job's
    /// next claim clears it.
    public func recordError(_ lease: JobLease, _ message: String) async throws(JobStoreError) {
        let statements = statements
        try await run("record error", retry: true, transaction: false) { connection in
            let rows = try connection.query(statements.recordError, [lease.jobID, lease.token, message])
            if rows.affectedRows == 0 { throw try Self.leaseLost(lease, on: connection, statements: statements) }
        }
    }

    /// Gives the lease up without ending the job (pause honoured, graceful shutdown): another worker may claim it
    /// at once. Releasing a lease that was already lost is not an error.
    public func release(_ lease: JobLease) async throws(JobStoreError) {
        let statements = statements
        try await run("release", retry: true, transaction: false) { connection in
            try connection.query(statements.release, [lease.jobID, lease.token])
        }
    }

    /// Ends the job held by `lease` and, in the same transaction, records its history entry: `history` if given, else
    /// the one a cancelled or failed job that changed items needs (``JobStoreStatements/insertHistoryOfEndedJob``);
    /// and `preview`, a dry run's findings, as the job's ``JobEvent/Kind/preview`` events, in order.
    public func finish(
        _ lease: JobLease,
        _ outcome: JobOutcome,
        history: MigrationHistoryEntry? = nil,
        preview: [String] = []
    )
        async throws(JobStoreError) -> Job
    {
        let statements = statements
        let channel = schema.controlChannel
        return try await run("finish", retry: true) { connection in
            let rows = try connection.query(
                statements.finish,
                [lease.jobID, lease.token, outcome.state.rawValue, outcome.error]
            )
            guard let row = rows.first else {
                // A repeat after a lost reply finds the job already in the requested final state with our token.
                if let job = try connection.query(statements.job, [lease.jobID]).first.map({
                    row throws(PostgresError) in try Job(row: row)
                }),
                    job.leaseToken == lease.token, job.state == outcome.state
                {
                    return job
                }
                throw try Self.leaseLost(lease, on: connection, statements: statements)
            }
            let job = try Job(row: row)
            // A finished job's plan is never read again: a billion-item job must not leave a billion ids behind.
            try connection.query(statements.planDelete, [lease.jobID])
            if let history {
                try connection.query(
                    statements.insertHistory,
                    [
                        history.migrationVersion, history.migrationName, history.checksum, history.direction.rawValue,
                        history.target.url, history.target.database, history.job ?? job.id, history.appliedBy,
                        Int64(history.duration.seconds * 1000), history.items, history.status.rawValue,
                    ]
                )
            } else {
                try connection.query(statements.insertHistoryOfEndedJob, [lease.jobID, lease.owner])
            }
            for line in preview {
                try connection.query(statements.insertPreview, [lease.jobID, line, lease.owner, lease.token])
            }
            try connection.query(statements.notify, [channel, job.id.description])
            return job
        }
    }

    // MARK: plans

    /// Stores a whole plan in one transaction (replacing any earlier, unfinished one) and moves the job from
    /// planning to running. A million ids take about a second (see the integration test's note).
    @discardableResult
    public func storePlan(
        _ lease: JobLease,
        kind: JobPlan.Kind = .ids,
        entries: [Int64]
    )
        async throws(JobStoreError) -> Int64
    {
        let statements = statements
        return try await run("store plan", retry: true) { connection in
            try Self.beginPlan(lease, kind: kind, on: connection, statements: statements)
            try Self.appendChunks(lease.jobID, entries, at: 0, on: connection, statements: statements)
            return try Self.completePlan(
                lease.jobID,
                total: Int64(entries.count),
                on: connection,
                statements: statements
            )
        }
    }

    /// Starts a streamed plan (for plans too large to hold in memory): replaces any earlier plan of the job.
    public func beginPlan(_ lease: JobLease, kind: JobPlan.Kind = .ids) async throws(JobStoreError) {
        let statements = statements
        try await run("begin plan", retry: true) { connection in
            try Self.beginPlan(lease, kind: kind, on: connection, statements: statements)
        }
    }

    /// Stages items of a streamed plan in any order, as the graph finds them, as one sorted run; returns how many
    /// items the run holds (an item handed over twice in it is kept once; one in several runs is kept once when the
    /// runs are merged). ``completeStagedPlan(_:)`` or ``appendStagedLateArrivals(_:)`` then merges the runs into
    /// the plan, sorted.
    ///
    /// sluice sorts, not the graph: a server sorting a million ids holds them all in its heap (ArcadeDB refuses
    /// past 500,000 and ran out of its 512 MB heap on a million). Nor Postgres: a row per item cost 10 to 13 s of
    /// index inserts per million. sluice holds no more than a chunk, and the merge a page of each run.
    @discardableResult
    public func stagePlanItems(_ lease: JobLease, items: [Int64]) async throws(JobStoreError) -> Int64 {
        let sorted = items.sortedUnique()
        guard !sorted.isEmpty else { return 0 }
        let statements = statements
        let entries = JobPlanCodec.pack(sorted)
        let count = sorted.count
        return try await run("stage plan items", retry: false) { connection in
            try Self.requireLease(lease, on: connection, statements: statements)
            _ = try Self.lockedPlan(lease.jobID, on: connection, statements: statements)
            try connection.query(statements.planRunInsert, [lease.jobID, count, PostgresBind.bytea(entries)])
            return Int64(count)
        }
    }

    /// Appends entries that arrive sorted (a graph read by ascending id windows) straight to a streamed plan: no
    /// staged run, no merge. Returns the plan's new length. Entries not strictly ascending, or not above
    /// the plan's last entry, are refused, so the plan stays sorted and free of repeats.
    @discardableResult
    public func appendSortedPlanEntries(_ lease: JobLease, entries: [Int64]) async throws(JobStoreError) -> Int64 {
        guard zip(entries, entries.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw .invalidArgument("plan entries of job \(lease.jobID) are not strictly ascending")
        }
        let statements = statements
        return try await run("append sorted plan entries", retry: false) { connection in
            try Self.requireLease(lease, on: connection, statements: statements)
            let plan = try Self.lockedPlan(lease.jobID, on: connection, statements: statements)
            guard !plan.complete else {
                throw JobStoreError.invalidArgument("the plan of job \(lease.jobID) is complete already")
            }
            guard let first = entries.first else { return plan.total }
            if plan.total > 0 {
                let last = try Self.planSlice(
                    lease.jobID,
                    offset: plan.total - 1,
                    count: 1,
                    on: connection,
                    statements: statements
                ).last
                if let last, first <= last {
                    throw JobStoreError.invalidArgument(
                        "plan entry \(first) of job \(lease.jobID) does not come after its last, \(last)"
                    )
                }
            }
            try Self.appendChunks(lease.jobID, entries, at: plan.total, on: connection, statements: statements)
            let total = plan.total + Int64(entries.count)
            try connection.query(statements.planSetTotal, [lease.jobID, total])
            return total
        }
    }

    /// Completes a plan from its staged items: appends them sorted, then moves the job from planning to running;
    /// returns the total. Idempotent, so a lost answer may be retried.
    @discardableResult
    public func completeStagedPlan(_ lease: JobLease) async throws(JobStoreError) -> Int64 {
        let statements = statements
        return try await run("complete staged plan", retry: true) { connection in
            try Self.requireLease(lease, on: connection, statements: statements)
            let plan = try Self.lockedPlan(lease.jobID, on: connection, statements: statements)
            // Completed already: a retry whose first attempt committed before its answer was lost.
            guard !plan.complete else { return plan.total }
            let total = try Self.appendStaged(lease.jobID, at: plan.total, on: connection, statements: statements)
            return try Self.completePlan(lease.jobID, total: total, on: connection, statements: statements)
        }
    }

    /// Appends the staged items (found by the re-plan, created while the job ran) to a complete plan, sorted, and
    /// counts them as late arrivals; returns the new total.
    @discardableResult
    public func appendStagedLateArrivals(_ lease: JobLease) async throws(JobStoreError) -> Int64 {
        let statements = statements
        return try await run("append staged late arrivals", retry: true) { connection in
            try Self.requireLease(lease, on: connection, statements: statements)
            let plan = try Self.lockedPlan(lease.jobID, on: connection, statements: statements)
            let total = try Self.appendStaged(lease.jobID, at: plan.total, on: connection, statements: statements)
            try connection.query(statements.jobPlanned, [lease.jobID, total, total - plan.total])
            return total
        }
    }

    /// The job's plan summary, `nil` when it has none.
    public func plan(of id: JobID) async throws(JobStoreError) -> JobPlan? {
        let statements = statements
        return try await run("plan", retry: true, transaction: false) { connection in
            try connection.query(statements.plan, [id]).first.map { row throws(PostgresError) in try JobPlan(row: row) }
        }
    }

    /// Plan entries `[offset, offset + count)` (fewer at the plan's end). Reads only the bytes of the chunks that
    /// cover the range, so the cost does not depend on the offset or the plan's size.
    public func planEntries(of id: JobID, offset: Int64, count: Int) async throws(JobStoreError) -> [Int64] {
        guard offset >= 0, count >= 0 else { throw .invalidArgument("plan range \(offset), \(count)") }
        if count == 0 { return [] }
        let statements = statements
        return try await run("plan entries", retry: true, transaction: false) { connection in
            try Self.planSlice(id, offset: offset, count: count, on: connection, statements: statements)
        }
    }

    // MARK: control

    /// Pauses a job (the worker stops after its batch in flight, or after the next when a checkpoint's answer tells
    /// it) and notifies daemons.
    public func pause(_ id: JobID, by actor: String) async throws(JobStoreError) -> Job {
        try await control(id, action: "pause", actor: actor, sql: statements.pause, extra: []) { $0 == .paused }
    }

    /// Resumes a paused job and notifies daemons.
    public func resume(_ id: JobID, by actor: String) async throws(JobStoreError) -> Job {
        try await control(id, action: "resume", actor: actor, sql: statements.resume, extra: []) { _ in false }
    }

    /// Cancels a job: at once if no worker holds it, else by request (the worker ends it after its batch in
    /// flight). Notifies daemons.
    public func cancel(_ id: JobID, by actor: String) async throws(JobStoreError) -> Job {
        try await control(id, action: "cancel", actor: actor, sql: statements.cancel, extra: []) { $0 == .cancelled }
    }

    /// Changes a job's priority (higher first) and notifies daemons.
    public func setPriority(_ id: JobID, _ priority: Int, by actor: String) async throws(JobStoreError) -> Job {
        try await control(id, action: "reprioritise", actor: actor, sql: statements.setPriority, extra: [priority]) {
            _ in false
        }
    }

    /// Changes the batch size asked for (the throttle may still run smaller) and notifies daemons.
    public func setBatchSize(_ id: JobID, _ batchSize: Int, by actor: String) async throws(JobStoreError) -> Job {
        guard batchSize > 0 else { throw .invalidArgument("batch size must be positive") }
        return try await control(id, action: "resize", actor: actor, sql: statements.setBatchSize, extra: [batchSize]) {
            _ in false
        }
    }

    /// Sets the operator's cap on a job's rate in items per second (`sluice throttle JOB --max-rate N`), or clears
    /// it (`nil`), and notifies daemons. The throttle keeps deciding below the cap.
    public func setMaxRate(_ id: JobID, _ itemsPerSecond: Int?, by actor: String) async throws(JobStoreError) -> Job {
        if let itemsPerSecond, itemsPerSecond < 1 { throw .invalidArgument("max rate must be at least 1 item/s") }
        return try await control(
            id,
            action: "throttle",
            actor: actor,
            sql: statements.setMaxRate,
            extra: [itemsPerSecond]
        ) { _ in false }
    }

    /// Listens on the control channel: each notification's payload is the id of a job that changed (enqueued,
    /// paused, resumed, cancelled, reprioritised, finished). See ``JobSignal``.
    public func listen(logger: Logger? = nil) async throws(JobStoreError) -> PostgresListener {
        do {
            return try await PostgresListener.start(
                configuration: configuration.postgres,
                channels: [schema.controlChannel],
                logger: logger ?? self.logger
            )
        } catch {
            throw .postgres(error)
        }
    }

    // MARK: history

    /// Migration history, newest first, for one graph or all.
    public func history(
        target: JobTarget? = nil,
        limit: Int = 100
    ) async throws(JobStoreError) -> [MigrationHistoryEntry] {
        let statements = statements
        return try await run("history", retry: true, transaction: false) { connection in
            try connection.query(statements.history, [target?.url, target?.database, limit]).map {
                row throws(PostgresError) in try MigrationHistoryEntry(row: row)
            }
        }
    }

    /// Records a history entry that no job of this store ran: a migration adopted by `sluice baseline`
    /// from a graph that carries the guide's `(:Migration)` nodes, or a `sluice finalize`.
    public func recordHistory(_ entry: MigrationHistoryEntry) async throws(JobStoreError) {
        let statements = statements
        try await run("record history", retry: false) { connection in
            try connection.query(
                statements.insertHistory,
                [
                    entry.migrationVersion, entry.migrationName, entry.checksum, entry.direction.rawValue,
                    entry.target.url, entry.target.database, entry.job, entry.appliedBy,
                    Int64(entry.duration.seconds * 1000), entry.items, entry.status.rawValue,
                ]
            )
        }
    }

    // MARK: internals

    private func control(
        _ id: JobID,
        action: String,
        actor: String,
        sql: String,
        extra: [any PostgresEncodable],
        alreadyThere: @escaping @Sendable (JobState) -> Bool
    ) async throws(JobStoreError) -> Job {
        let statements = statements
        let channel = schema.controlChannel
        return try await run(action, retry: true) { connection in
            try connection.query(statements.setActor, [actor])
            if let row = try connection.query(sql, [id] + extra).first {
                try connection.query(statements.notify, [channel, id.description])
                let job = try Job(row: row)
                // Cancelled at once (queued, or its worker gone): its plan, as a finished job's, is never read again,
                // and what it changed before (a paused job's batches) is history.
                if job.state.isFinished {
                    try connection.query(statements.planDelete, [id])
                    try connection.query(statements.insertHistoryOfEndedJob, [id, nil as String?])
                }
                return job
            }
            guard let row = try connection.query(statements.job, [id]).first else {
                throw JobStoreError.jobNotFound(id)
            }
            let job = try Job(row: row)
            // Pausing a paused job, cancelling a cancelled one: nothing to do, not an error.
            if alreadyThere(job.state) { return job }
            throw JobStoreError.invalidTransition(job: id, state: job.state, action: action)
        }
    }

    /// Runs `body` on the connection's thread, in a transaction unless told otherwise, mapping errors and retrying
    /// once after a lost connection when `retry` (the operation is idempotent).
    @discardableResult
    private func run<T: Sendable>(
        _ operation: String,
        retry: Bool,
        transaction: Bool = true,
        _ body: @escaping @Sendable (isolated PostgresConnection) throws -> T
    ) async throws(JobStoreError) -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                if transaction {
                    return try await connection.withTransaction(body)
                }
                return try await Self.direct(connection, body)
            } catch let error as JobStoreError {
                throw error
            } catch let error as PostgresError {
                if retry && attempt == 1 && error.isConnectionProblem {
                    logger.notice(
                        "job store operation interrupted by a lost connection, retrying",
                        metadata: ["operation": "\(operation)", "postgres.error": "\(error)"]
                    )
                    continue
                }
                throw Self.map(error, schema: schema)
            } catch {
                throw .invalidArgument("\(operation): \(error)")
            }
        }
    }

    private static func direct<T: Sendable>(
        _ connection: isolated PostgresConnection,
        _ body: @Sendable (isolated PostgresConnection) throws -> T
    ) throws -> T {
        try body(connection)
    }

    private static func map(_ error: PostgresError, schema: JobStoreSchema) -> JobStoreError {
        // 3F000 invalid_schema_name, 42P01 undefined_table: the store was never migrated.
        if let state = error.sqlState, state == "3F000" || state == "42P01" {
            return .schemaMissing(schema: schema.name)
        }
        return .postgres(error)
    }

    static func isTargetRace(_ error: PostgresError) -> Bool {
        if case .queryFailed("23505", _, _, let constraint, _) = error {
            return constraint == "jobs_one_active_per_target"
        }
        return false
    }

    private static func leaseLost(
        _ lease: JobLease,
        on connection: isolated PostgresConnection,
        statements: JobStoreStatements
    ) throws -> JobStoreError {
        guard let row = try connection.query(statements.job, [lease.jobID]).first else {
            return .jobNotFound(lease.jobID)
        }
        let job = try Job(row: row)
        return .leaseLost(job: lease.jobID, token: lease.token, currentToken: job.leaseToken, owner: job.leaseOwner)
    }

    /// Locks the job's row and returns it, or throws if the job is gone or another worker took the lease over.
    @discardableResult
    private static func requireLease(
        _ lease: JobLease,
        on connection: isolated PostgresConnection,
        statements: JobStoreStatements
    ) throws -> PostgresRow {
        guard let row = try connection.query(statements.lockJob, [lease.jobID]).first else {
            throw JobStoreError.jobNotFound(lease.jobID)
        }
        let token: Int64 = try row.decode("lease_token")
        guard token == lease.token else {
            throw JobStoreError.leaseLost(
                job: lease.jobID,
                token: lease.token,
                currentToken: token,
                owner: try row.decode("lease_owner")
            )
        }
        return row
    }

    private static func beginPlan(
        _ lease: JobLease,
        kind: JobPlan.Kind,
        on connection: isolated PostgresConnection,
        statements: JobStoreStatements
    ) throws {
        let row = try requireLease(lease, on: connection, statements: statements)
        let done: Int64 = try row.decode("plan_done")
        guard done == 0 else {
            throw JobStoreError.invalidTransition(
                job: lease.jobID,
                state: try Job.enumValue(row, "state"),
                action: "re-plan a job with progress"
            )
        }
        try connection.query(statements.planDelete, [lease.jobID])
        try connection.query(statements.planCreate, [lease.jobID, kind.rawValue, lease.token])
    }

    private static func lockedPlan(
        _ id: JobID,
        on connection: isolated PostgresConnection,
        statements: JobStoreStatements
    ) throws -> JobPlan {
        guard let row = try connection.query(statements.planLock, [id]).first else {
            throw JobStoreError.invalidArgument("job \(id) has no plan; call beginPlan first")
        }
        return try JobPlan(row: row)
    }

    /// Plan entries `[offset, offset + count)` of job `id` (fewer at the plan's end), decoded from the chunks that
    /// cover them, listed or stored as runs.
    private static func planSlice(
        _ id: JobID,
        offset: Int64,
        count: Int,
        on connection: isolated PostgresConnection,
        statements: JobStoreStatements
    ) throws(PostgresError) -> [Int64] {
        let rows = try connection.query(statements.planSlice, [id, offset, Int64(count)], resultFormat: .binary)
        var entries: [Int64] = []
        entries.reserveCapacity(count)
        for row in rows {
            let first: Int64 = try row.decode("first_offset")
            let total: Int = try row.decode("entry_count")
            let start = max(first, offset)
            let end = min(first + Int64(total), offset + Int64(count))
            guard start == offset + Int64(entries.count) else {
                throw PostgresError.decodingFailed(
                    column: "slice",
                    type: "plan",
                    reason: "gap in plan of job \(id) at offset \(offset + Int64(entries.count))"
                )
            }
            let runs: Bool = try row.decode("runs")
            let values = try row["slice"].withBytes { (bytes) throws(PostgresError) -> [Int64] in
                let values =
                    runs
                    ? bytes.flatMap {
                        JobPlanCodec.unpackRuns($0, total: total, skip: Int(start - first), count: Int(end - start))
                    }
                    : bytes.flatMap { JobPlanCodec.unpack($0) }
                guard let values, values.count == Int(end - start) else {
                    throw PostgresError.decodingFailed(
                        column: "slice",
                        type: "plan",
                        reason: "chunk at offset \(first) of job \(id)'s plan does not hold its \(total) entries"
                    )
                }
                return values
            }
            entries.append(contentsOf: values)
        }
        return entries
    }

    private static func appendChunks(
        _ id: JobID,
        _ entries: [Int64],
        at start: Int64,
        on connection: isolated PostgresConnection,
        statements: JobStoreStatements
    ) throws {
        for chunk in JobPlanCodec.chunks(entries, startingAt: start) {
            let stored = JobPlanCodec.encode(chunk.entries)
            try connection.query(
                statements.planChunkInsert,
                [id, chunk.offset, chunk.entries.count, PostgresBind.bytea(stored.bytes), stored.runs]
            )
        }
    }

    /// Merges a job's staged runs into its plan after `start` entries, in order and without repeats, a page of each
    /// run at a time (``SortedRunMerge``), and empties the staging; returns the plan's new total.
    private static func appendStaged(
        _ id: JobID,
        at start: Int64,
        on connection: isolated PostgresConnection,
        statements: JobStoreStatements
    ) throws -> Int64 {
        let runs = try connection.query(statements.planRuns, [id]).map { row throws(PostgresError) in
            (run: try row.decode("run", as: Int.self), count: try row.decode("entry_count", as: Int.self))
        }
        var merge = SortedRunMerge(lengths: runs.map(\.count), pageSize: stagedPage)
        var total = start
        var chunk: [Int64] = []
        chunk.reserveCapacity(JobPlanCodec.maximumChunkEntries)
        func flush() throws {
            try appendChunks(id, chunk, at: total, on: connection, statements: statements)
            total += Int64(chunk.count)
            chunk.removeAll(keepingCapacity: true)
        }
        merging: while true {
            switch merge.next() {
            case .read(let run, let offset, let count):
                let rows = try connection.query(
                    statements.planRunPage,
                    [id, runs[run].run, Int64(offset), Int64(count)],
                    resultFormat: .binary
                )
                let page = try rows.first.flatMap { row throws(PostgresError) in
                    try row["page"].withBytes { bytes in bytes.flatMap { JobPlanCodec.unpack($0) } }
                }
                guard let page, page.count == count else {
                    throw JobStoreError.invalidArgument(
                        "staged run \(runs[run].run) of job \(id) is shorter than its \(runs[run].count) items"
                    )
                }
                merge.pageRead(page, run: run)
            case .emit(let item):
                chunk.append(item)
                if chunk.count == JobPlanCodec.maximumChunkEntries { try flush() }
            case .finished:
                break merging
            }
        }
        if !chunk.isEmpty { try flush() }
        try connection.query(statements.planRunsClear, [id])
        try connection.query(statements.planSetTotal, [id, total])
        return total
    }

    /// Items read per staged run and round trip while merging: runs × 64 KiB in memory.
    private static let stagedPage = 8_192

    private static func completePlan(
        _ id: JobID,
        total: Int64,
        on connection: isolated PostgresConnection,
        statements: JobStoreStatements
    ) throws -> Int64 {
        try connection.query(statements.planSetTotal, [id, total])
        try connection.query(statements.planComplete, [id])
        try connection.query(statements.jobPlanned, [id, total, Int64(0)])
        return total
    }
}
