import Bolt
import Foundation
import JobStore
import Logging
import Migrations

/// The job-level parts of running a migration, around the batches: pre-flight, schema steps, verify,
/// and the history in Postgres and the graph. `sluice run` and the daemon both get them from
/// ``JobRunner/run(_:progress:)``.
extension JobRunner {
    /// What a job's `options` document may say to the engine, as `sluice enqueue` writes it.
    public struct JobOptions: Codable, Sendable {
        /// Pre-flight checks the operator skipped when enqueueing (`--skip-preflight`).
        public var skipPreflight: [PreflightCheck]?

        /// Sorted, so the same checks give the same document.
        public init(skipPreflight: Set<PreflightCheck>) {
            self.skipPreflight = skipPreflight.isEmpty ? nil : skipPreflight.sorted { $0.rawValue < $1.rawValue }
        }

        enum CodingKeys: String, CodingKey {
            case skipPreflight = "skip_preflight"
        }

        /// The checks `job`'s options skip (none when its options say nothing of them).
        public static func skippedChecks(of job: Job) -> Set<PreflightCheck> {
            Set((try? job.options.decode(JobOptions.self))?.skipPreflight ?? [])
        }
    }

    /// Before the first write: pre-flight (for a job not yet planned), then the schema steps that come
    /// before the data step, then the checks that need those steps' indexes. Returns the migration's
    /// parameters, bound after the server's features were checked.
    func prepare(
        _ lease: JobLease,
        direction: MigrationDirection,
        options: BoltTransactionOptions,
        logger: Logger
    ) async throws(EngineError) -> [String: BoltValue] {
        let job = lease.job
        let fresh = job.planDone == 0 && job.planTotal == nil
        let preflight = preflight(job: job, options: options, logger: logger)
        if fresh, job.direction == .down,
            let refusal = try await bolt({ () async throws(BoltError) in
                try await Finalizer.downRefusal(migration, connection: connection, options: options)
            })
        {
            throw .migration(refusal)
        }
        if fresh, job.direction == .up,
            let refusal = try await GraphAlias.upRefusal(
                version: job.migrationVersion,
                target: job.target,
                store: store,
                connection: connection,
                options: options
            )
        {
            throw .migration(refusal)
        }
        if fresh { try await preflight.checkServer(migration) }
        if fresh, job.direction == .up {
            try await preflight.checkGraphHistory(migration, target: job.target, store: store)
        }
        let parameters = try await bindParameters(lease, options: options)
        if fresh { try await preflight.checkCount(migration, direction: direction, parameters: parameters) }
        for step in schemaSteps(of: direction, beforeData: true) {
            try await run(step, options: options, logger: logger)
        }
        // The batch statement's plan is checked by run() once it is built (`plan`).
        if fresh { try await preflight.checkIndexes(migration) }
        return parameters
    }

    /// Pre-flight for `job`, skipping the checks the run's configuration and the job's options (`sluice enqueue
    /// --skip-preflight`) name.
    func preflight(job: Job, options: BoltTransactionOptions, logger: Logger) -> Preflight {
        Preflight(
            connection: connection,
            capabilities: capabilities,
            options: options,
            skip: configuration.skipPreflight.union(JobOptions.skippedChecks(of: job)),
            logger: logger
        )
    }

    /// Creates the indexes on `:SluiceJob(id)` and `:SluiceGraph(key)` where the server lists its indexes and has
    /// none (the first job on a graph). Best effort: a server that cannot list or create one (or a second worker that
    /// created it first) only costs each batch a scan of those nodes, so it is logged, never fatal.
    func ensureJobNodeIndexes(options: BoltTransactionOptions, logger: Logger) async {
        let catalog = IndexCatalog(connection: connection, options: options)
        let wanted = [
            (":SluiceJob(id)", GraphJobNode.index, GraphJobNode.isIndex),
            (":SluiceGraph(key)", GraphHold.index, GraphHold.isIndex),
        ]
        do {
            let indexes = try await catalog.indexes()
            for (name, statement, isIndex) in wanted where !indexes.contains(where: isIndex) {
                _ = try await bolt { () async throws(BoltError) in
                    try await connection.run(statement, options: options).consume()
                }
                logger.info("index created on \(name)")
            }
        } catch {
            logger.notice(
                "no index on :SluiceJob(id) or :SluiceGraph(key): each batch scans those nodes",
                metadata: ["reason": "\(error)"]
            )
        }
    }

    /// After the last batch: the schema steps that follow the data step, then the verify query (unless `verified`
    /// is its answer, read after the last batch already). The job succeeds only when it passes; otherwise it is
    /// recorded as failed with the query's answer, and with `passedOver`, the items the catch-up found still
    /// qualifying where the batches had been and left alone.
    func conclude(
        _ lease: JobLease,
        direction: MigrationDirection,
        items: Int64,
        parameters: [String: BoltValue],
        options: BoltTransactionOptions,
        verified: VerifyResult? = nil,
        passedOver: Int = 0,
        logger: Logger
    ) async throws(EngineError) -> Ending {
        for step in schemaSteps(of: direction, beforeData: false) {
            try await run(step, options: options, logger: logger)
        }
        var verdict = VerifyResult(passed: true, columns: [], values: [])
        if let verified {
            verdict = verified
        } else if let verify = direction.verify {
            stillWorking?(configuration.batchTimeout)
            verdict = try await VerifyResult.run(
                verify,
                connection: connection,
                parameters: parameters,
                options: options
            )
        }
        await finishNode(lease, options: options)
        guard verdict.passed else {
            var reason = "verify (line \(direction.verify?.line ?? 0)) did not pass: \(verdict)"
            if passedOver > 0 {
                // Why the catch-up left items the verify query counts, so that the author need not guess.
                reason += "; \(passedOver) \(passedOver == 1 ? "item" : "items") within what the batches covered "
                reason += "still match the data step's predicate and were not changed again: the change leaves the "
                reason += "predicate true, the item is quarantined (sluice status), or it came to match after its batch"
            } else if let quarantined = try? await store.job(lease.jobID)?.itemsQuarantined, quarantined > 0 {
                // The items set aside are what such a query usually counts: say so, and where they are listed.
                reason += "; \(quarantined) \(quarantined == 1 ? "item was" : "items were") quarantined, not changed "
                reason += "(`sluice status \(lease.jobID)` lists them with their errors): fix them and run the "
                reason += "migration again, which plans only what still matches"
            }
            let job = try await finish(lease, outcome: .failed(reason), items: items, status: .failed, options: options)
            return .failed(job, reason: reason)
        }
        let job = try await finish(
            lease,
            outcome: .succeeded,
            items: items,
            status: lease.job.direction == .up ? .applied : .rolledBack,
            options: options
        )
        logger.info("job succeeded", metadata: ["items_changed": "\(items)", "verify": "\(verdict)"])
        return .succeeded(job)
    }

    /// Ends a job as failed for an error that running it again cannot cure; best effort, since the
    /// error itself is what the caller reports.
    func failJob(_ lease: JobLease, reason: String) async throws(EngineError) {
        let options = transactionOptions(job: lease.job)
        // What the job changed before it failed decides whether the migration is partially applied.
        let changed = (try? await store.job(lease.jobID))?.itemsChanged ?? lease.job.itemsChanged
        // A job that changed no item (refused by pre-flight before its first write) leaves the migration where it was:
        // no history entry, in the job store or the graph, however often it is tried. The job itself ends failed with
        // its reason (`sluice status`), as a failed job the store ends alone does (`insertHistoryOfEndedJob`).
        let failed = try? await finish(
            lease,
            outcome: .failed(reason),
            items: changed,
            status: .failed,
            options: options,
            mirror: changed > 0,
            recordsHistory: changed > 0
        )
        // The node says finished only once Postgres does: a node finished beside a job still running in Postgres
        // (its finish lost) would send the job, claimed again, straight to its verify query past the rest of its
        // plan. Unfinished, the job resumes at its checkpoint and meets its error again.
        if failed != nil {
            await finishNode(lease, options: options)
        } else {
            await releaseHold(lease, options: options)
        }
    }

    /// Ends a job an operator cancelled (its run stopped after the batch in flight): in Postgres with its history
    /// entry (`partial` when it changed items), then in the graph, as a job's other endings are: the `(:Migration)`
    /// node says what the history says (a down cancelled part-way left the migration partly undone, not applied)
    /// and the job's node is marked finished.
    ///
    /// The job's node is opened under this lease first: a job claimed with its cancel pending (its worker died) takes
    /// it over, which fences that worker, and counts what the node says its batches changed where the checkpoint
    /// lagged. Best effort, as the rest of the graph's side: it never holds up the end in Postgres.
    public func cancelJob(_ lease: JobLease) async throws(EngineError) -> Job {
        let options = transactionOptions(job: lease.job)
        let node = try? await openNode(lease, options: options)
        let recorded = try await store(.finish) { () async throws(JobStoreError) in
            try await store.job(lease.jobID)?.itemsChanged ?? lease.job.itemsChanged
        }
        let changed = max(recorded, node?.changed ?? 0)
        let job = try await finish(
            lease,
            outcome: .cancelled,
            items: changed,
            status: .partial,
            options: options,
            mirror: changed > 0,
            recordsHistory: changed > 0
        )
        await finishNode(lease, options: options)
        return job
    }

    /// Records the job's end in Postgres (job and history in one transaction), then mirrors the
    /// history entry into the graph's `(:Migration)` nodes.
    private func finish(
        _ lease: JobLease,
        outcome: JobOutcome,
        items: Int64,
        status: MigrationHistoryEntry.Status,
        options: BoltTransactionOptions,
        mirror: Bool = true,
        recordsHistory: Bool = true
    ) async throws(EngineError) -> Job {
        let job = lease.job
        var history = MigrationHistoryEntry(
            migrationVersion: job.migrationVersion,
            migrationName: job.migrationName,
            checksum: job.migrationChecksum,
            direction: job.direction,
            target: job.target,
            job: job.id,
            appliedBy: lease.owner,
            duration: .seconds(Date().timeIntervalSince(job.startedAt ?? job.createdAt)),
            items: items,
            status: status
        )
        let entry = recordsHistory ? history : nil
        let finished = try await store(.finish) { () async throws(JobStoreError) in
            try await store.finish(lease, outcome, history: entry)
        }
        history.appliedAt = finished.finishedAt
        guard mirror else { return finished }
        try await bolt { () async throws(BoltError) in
            try await GraphMigrationNodes.mirror(history, connection: connection, options: options)
        }
        return finished
    }

    /// Marks the job's graph-side node finished and gives up the hold; best effort: a node left unmarked (connection
    /// lost) only makes a job claimed again run its verify query once more.
    private func finishNode(_ lease: JobLease, options: BoltTransactionOptions) async {
        let parameters: [String: BoltValue] = [
            "sluice_job": GraphJobNode.key(lease.job), "sluice_token": .integer(lease.token),
        ]
        // Through `bolt`: under load ArcadeDB times out a write waiting on another job's lock on the job nodes' file,
        // which would leave the node unfinished (a CI run's cancelled job did).
        _ = try? await bolt { () async throws(BoltError) in
            try await connection.run(GraphJobNode.finish, parameters: parameters, options: options).collect()
        }
        await releaseHold(lease, options: options)
    }

    /// The direction's schema steps before its (first) data step, or after it.
    func schemaSteps(of direction: MigrationDirection, beforeData: Bool) -> [SchemaStep] {
        let firstData = direction.steps.firstIndex { if case .data = $0 { true } else { false } }
        let steps =
            beforeData
            ? direction.steps[..<(firstData ?? direction.steps.endIndex)]
            : direction.steps[(firstData ?? direction.steps.endIndex)...]
        return steps.compactMap { if case .schema(let step) = $0 { step } else { nil } }
    }

    /// Evaluates the migration's declared parameters (`$asOf = date()`) on the server: for a job (which
    /// keeps them), a dry run, `sluice verify` and `sluice finalize`.
    public static func bindParameters(
        of migration: MigrationFile,
        connection: BoltConnection,
        options: BoltTransactionOptions
    ) async throws(EngineError) -> [String: BoltValue] {
        var bound: [String: BoltValue] = [:]
        for parameter in migration.parameters {
            do {
                let records = try await connection.run("RETURN \(parameter.expression) AS value", options: options)
                    .collect()
                bound[parameter.name] = records.first?["value"] ?? .null
            } catch {
                throw .bolt(error)
            }
        }
        return bound
    }

    /// A schema step, which may wait up to ``Configuration/indexOnlineTimeout`` for its index after the statement.
    private func run(_ step: SchemaStep, options: BoltTransactionOptions, logger: Logger) async throws(EngineError) {
        stillWorking?(configuration.batchTimeout + configuration.indexOnlineTimeout)
        try await SchemaStepRunner(
            connection: connection,
            options: options,
            onlineTimeout: configuration.indexOnlineTimeout,
            logger: logger
        ).run(step, of: migration)
    }
}

extension EngineError {
    /// Running the job again as it is would fail the same way: the job ends as failed, so that the
    /// operator can fix the file or the graph and start it afresh.
    public var isPermanent: Bool {
        switch self {
        case .migration, .schema, .preflight, .tooManyFailingItems: true
        case .bolt(.server(let error)): JobRunner.isStatementError(error)
        case .graphLostProgress, .leaseLost, .bolt, .store: false
        }
    }
}
