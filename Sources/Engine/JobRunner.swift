import Bolt
import Foundation
import JobStore
import Logging
import Migrations

/// Runs one leased job to its end or until it is told to stop: plans it once, then applies its plan
/// batch by batch, each batch fenced by the graph-side job node and checkpointed in Postgres.
///
/// Exactly once comes from the protocol, not from luck: a batch moves the node's `done` from its start
/// offset to its end in the same atomic unit as its changes, so a batch that committed can never
/// commit again, and a crash anywhere is resolved by reading the node (``ProgressReconciliation``).
public struct JobRunner: Sendable {
    public struct Configuration: Sendable {
        /// Items per batch; the job's requested batch size wins when it is set.
        public var batchSize: Int
        /// Planned ids read from the graph and sent to Postgres per chunk while planning.
        public var planChunk: Int
        /// The server aborts a batch's transaction after this long.
        public var batchTimeout: Duration
        /// A batch that keeps failing with retryable errors is retried for this long.
        public var retry: BoltRetryPolicy

        public init(
            batchSize: Int = 10_000,
            planChunk: Int = 100_000,
            batchTimeout: Duration = .seconds(120),
            retry: BoltRetryPolicy = BoltRetryPolicy()
        ) {
            self.batchSize = batchSize
            self.planChunk = planChunk
            self.batchTimeout = batchTimeout
            self.retry = retry
        }
    }

    /// How a run ended.
    public enum Ending: Sendable, Equatable {
        /// Every planned item is done and the job is recorded as succeeded.
        case succeeded(Job)
        /// The job was paused or cancelled by an operator, or the caller's task was cancelled: the
        /// lease is released and the job resumes where it stopped.
        case stopped(JobControl?)
        /// Another worker holds the job now; nothing was written after that was noticed.
        case fenced
    }

    /// Progress after each batch, for status lines and progress bars.
    public struct Progress: Sendable {
        public var done: Int64
        public var total: Int64
        public var itemsChanged: Int64
        public var batchSize: Int
        public var lastBatch: Duration
    }

    let store: JobStore
    let connection: BoltConnection
    let capabilities: BoltCapabilities
    let migration: MigrationFile
    let configuration: Configuration
    let logger: Logger

    public init(
        store: JobStore,
        connection: BoltConnection,
        capabilities: BoltCapabilities,
        migration: MigrationFile,
        configuration: Configuration = Configuration(),
        logger: Logger
    ) {
        self.store = store
        self.connection = connection
        self.capabilities = capabilities
        self.migration = migration
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs the job held by `lease` until it ends or must stop.
    public func run(
        _ lease: JobLease,
        progress: @Sendable (Progress) -> Void = { _ in }
    ) async throws(EngineError) -> Ending {
        let job = lease.job
        let kind: MigrationDirection.Kind = job.direction == .up ? .up : .down
        guard let direction = migration.direction(kind) else {
            throw .migration("\(migration.version) has no \(kind) direction")
        }
        let steps = direction.dataSteps
        guard steps.count <= 1 else {
            throw .migration(
                "\(migration.version) \(kind) has \(steps.count) data steps; one per direction is supported"
            )
        }
        var logger = self.logger
        logger[metadataKey: "sluice_job"] = "\(job.id)"
        logger[metadataKey: "migration"] = "\(migration.version)"
        logger[metadataKey: "direction"] = "\(kind)"

        let options = transactionOptions(job: job)
        let node = try await openNode(lease, options: options)
        guard let node else { return .fenced }
        let parameters = try await bindParameters(options: options)
        guard let step = steps.first else {
            return .succeeded(try await finish(lease, items: 0, logger: logger))
        }
        let statement = BatchStatement(step: step, capabilities: capabilities)

        // A plan is used only once complete: a run killed while planning leaves a partial one, which
        // planning again replaces.
        var total: Int64
        if let plan = try await store(
            .planEntries,
            { () async throws(JobStoreError) in try await store.plan(of: job.id) }
        ),
            plan.complete
        {
            total = plan.total
        } else {
            total = try await plan(
                lease,
                statement: statement,
                parameters: parameters,
                options: options,
                logger: logger
            )
        }
        var done = job.planDone
        switch ProgressReconciliation.decide(recorded: done, graph: node, token: lease.token) {
        case .fenced:
            return .fenced
        case .graphBehind(let graphDone, let recorded):
            throw .graphLostProgress(graphDone: graphDone, recorded: recorded)
        case .nodeMissing:
            throw .graphLostProgress(graphDone: 0, recorded: done)
        case .resume(let at, let recordedUpTo):
            if at > recordedUpTo {
                logger.notice(
                    "graph is ahead of the checkpoint: batches committed before a crash are recorded now",
                    metadata: ["offset": "\(recordedUpTo)", "graph_done": "\(at)"]
                )
                _ = try await checkpoint(lease, from: recordedUpTo, to: at, changed: 0, batchSize: nil)
                done = at
            }
        }

        var batchSize = max(1, job.requestedBatchSize > 0 ? job.requestedBatchSize : configuration.batchSize)
        var itemsChanged = job.itemsChanged
        var caughtUp = false
        while true {
            if done >= total {
                guard !caughtUp else { break }
                caughtUp = true
                total = try await catchUp(
                    lease,
                    statement: statement,
                    parameters: parameters,
                    total: total,
                    options: options,
                    logger: logger
                )
                continue
            }
            if Task.isCancelled {
                try await release(lease)
                return .stopped(nil)
            }
            let ids = try await planEntries(job.id, offset: done, count: batchSize)
            let started = ContinuousClock.now
            let applied = try await applyBatch(
                lease,
                statement: statement,
                ids: ids[...],
                from: done,
                parameters: parameters,
                options: options,
                logger: logger
            )
            if case .fenced = applied { return .fenced }
            let control = try await checkpoint(
                lease,
                from: done,
                to: applied.end,
                changed: applied.changed,
                batchSize: batchSize,
                quarantined: applied.quarantined
            )
            done = applied.end
            itemsChanged += applied.changed
            progress(
                Progress(
                    done: done,
                    total: total,
                    itemsChanged: itemsChanged,
                    batchSize: batchSize,
                    lastBatch: ContinuousClock.now - started
                )
            )
            if control.shouldStop {
                try await release(lease)
                return .stopped(control)
            }
            batchSize = max(1, control.requestedBatchSize > 0 ? control.requestedBatchSize : batchSize)
        }
        return .succeeded(try await finish(lease, items: itemsChanged, logger: logger))
    }

    // MARK: Batches

    /// What one call of ``applyBatch`` achieved: the offset it reached, and items changed on the way.
    enum Applied {
        case done(end: Int64, changed: Int64, quarantined: [QuarantinedItem])
        case fenced

        var end: Int64 {
            if case .done(let end, _, _) = self { return end }
            return 0
        }
        var changed: Int64 {
            if case .done(_, let changed, _) = self { return changed }
            return 0
        }
        var quarantined: [QuarantinedItem] {
            if case .done(_, _, let items) = self { return items }
            return []
        }
    }

    /// Applies the slice `ids` that starts at plan offset `from`, splitting it when the server finds
    /// it too heavy and bisecting it down to the one item a client error comes from, which is
    /// quarantined. Returns the offset reached: the whole slice unless fenced.
    func applyBatch(
        _ lease: JobLease,
        statement: BatchStatement,
        ids: ArraySlice<Int64>,
        from: Int64,
        parameters: [String: BoltValue],
        options: BoltTransactionOptions,
        logger: Logger
    ) async throws(EngineError) -> Applied {
        let to = from + Int64(ids.count)
        switch try await attempt(
            lease,
            statement: statement,
            ids: ids,
            from: from,
            to: to,
            parameters: parameters,
            options: options
        ) {
        case .committed(let changed):
            return .done(end: to, changed: changed, quarantined: [])
        case .fenced:
            return .fenced
        case .itemFailed(let error) where ids.count == 1:
            let item = ids[ids.startIndex]
            logger.warning(
                "item quarantined",
                metadata: ["item": "\(item)", "offset": "\(from)", "error": "\(error)"]
            )
            switch try await skip(lease, from: from, to: to, options: options) {
            case .committed:
                return .done(
                    end: to,
                    changed: 0,
                    quarantined: [QuarantinedItem(item: item, planOffset: from, error: "\(error)")]
                )
            default: return .fenced
            }
        case .itemFailed, .tooLarge:
            // Split in two and apply the halves in order: the offset only ever moves forward.
            let middle = ids.startIndex + ids.count / 2
            let first = try await applyBatch(
                lease,
                statement: statement,
                ids: ids[..<middle],
                from: from,
                parameters: parameters,
                options: options,
                logger: logger
            )
            guard case .done(let end, let changed, let quarantined) = first else { return .fenced }
            let second = try await applyBatch(
                lease,
                statement: statement,
                ids: ids[middle...],
                from: end,
                parameters: parameters,
                options: options,
                logger: logger
            )
            guard case .done(let end2, let changed2, let quarantined2) = second else { return .fenced }
            return .done(end: end2, changed: changed + changed2, quarantined: quarantined + quarantined2)
        }
    }

    enum Attempt {
        case committed(changed: Int64)
        case fenced
        /// The server refused the batch for something in its items (a client or database error).
        case itemFailed(BoltServerError)
        /// Memory limit, lock timeout or a deadlock that outlived its retries: try smaller.
        case tooLarge
    }

    /// Runs the batch statement in the server's atomic unit, retrying what may be retried, and
    /// resolves every ambiguous ending by reading the job node.
    func attempt(
        _ lease: JobLease,
        statement: BatchStatement,
        ids: ArraySlice<Int64>,
        from: Int64,
        to: Int64,
        parameters: [String: BoltValue],
        options: BoltTransactionOptions
    ) async throws(EngineError) -> Attempt {
        var batchParameters = parameters.merging(statement.itemParameters(ids)) { _, item in item }
        batchParameters["sluice_job"] = .integer(lease.jobID.rawValue)
        batchParameters["sluice_token"] = .integer(lease.token)
        batchParameters["sluice_from"] = .integer(from)
        batchParameters["sluice_to"] = .integer(to)
        var options = options
        if capabilities.honoursTransactionMetadata {
            options.metadata["sluice_offset"] = .integer(from)
        }
        return try await execute(
            statement.batch,
            parameters: batchParameters,
            lease: lease,
            from: from,
            to: to,
            options: options
        )
    }

    private func skip(
        _ lease: JobLease,
        from: Int64,
        to: Int64,
        options: BoltTransactionOptions
    ) async throws(EngineError) -> Attempt {
        let parameters: [String: BoltValue] = [
            "sluice_job": .integer(lease.jobID.rawValue), "sluice_token": .integer(lease.token),
            "sluice_from": .integer(from), "sluice_to": .integer(to),
        ]
        return try await execute(
            BatchStatement.skip,
            parameters: parameters,
            lease: lease,
            from: from,
            to: to,
            options: options
        )
    }

    private func execute(
        _ query: String,
        parameters: [String: BoltValue],
        lease: JobLease,
        from: Int64,
        to: Int64,
        options: BoltTransactionOptions
    ) async throws(EngineError) -> Attempt {
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.retry.maximumRetryTime
        var delay = configuration.retry.initialDelay
        while true {
            let result: Result<Int64, BoltError>
            do {
                result = .success(try await runInAtomicUnit(query, parameters: parameters, options: options))
            } catch {
                result = .failure(error)
            }
            let outcome: Attempt?
            switch result {
            case .success(let changed) where changed > 0:
                outcome = .committed(changed: changed)
            case .success, .failure(.unknownOutcome):
                // Zero rows changed, or the commit's answer was lost: the node tells what happened.
                outcome = try await resolve(lease, from: from, to: to, options: options)
            case .failure(.batchTooLarge):
                outcome = .tooLarge
            case .failure(.server(let error)) where error.classification != .transient && !Self.isStatementError(error):
                outcome = .itemFailed(error)
            case .failure(let error) where error.isRetryable:
                guard clock.now + delay < deadline else {
                    if case .server = error { return .tooLarge }  // deadlocks and lock timeouts that persist
                    throw .bolt(error)
                }
                outcome = nil
            case .failure(let error):
                throw .bolt(error)
            }
            if let outcome { return outcome }
            try? await Task.sleep(for: delay)
            delay = delay * configuration.retry.multiplier
        }
    }

    /// Errors of the statement itself, not of an item: bisecting cannot help.
    static func isStatementError(_ error: BoltServerError) -> Bool {
        ["SyntaxError", "SemanticError", "ParameterMissing", "Security."].contains { error.code.contains($0) }
            && error.code.hasPrefix("Neo.")
    }

    /// After an ambiguous batch: committed (the node moved to `to`), not committed (still at `from`:
    /// nil, run it again), or fenced.
    private func resolve(
        _ lease: JobLease,
        from: Int64,
        to: Int64,
        options: BoltTransactionOptions
    ) async throws(EngineError) -> Attempt? {
        let state = try await readNode(lease.jobID, options: options)
        guard let state, state.token == lease.token else { return .fenced }
        if state.done == to { return .committed(changed: 0) }
        if state.done == from { return nil }
        throw .graphLostProgress(graphDone: state.done, recorded: from)
    }

    /// Runs one statement as the server's atomic unit and returns its `sluice_changed` (or 1 for a
    /// statement that returns the node's offset).
    private func runInAtomicUnit(
        _ query: String,
        parameters: [String: BoltValue],
        options: BoltTransactionOptions
    ) async throws(BoltError) -> Int64 {
        let records: [BoltRecord]
        switch capabilities.atomicUnit {
        case .explicitTransaction:
            let transaction = try await connection.beginTransaction(options: options)
            do {
                records = try await transaction.run(query, parameters: parameters).collect()
                try await transaction.commit()
            } catch {
                if connection.isActive, case .server = error {
                    try? await transaction.rollback()
                }
                throw error
            }
        case .singleStatement:
            records = try await connection.run(query, parameters: parameters, options: options).collect()
        }
        guard let record = records.first else { return 0 }
        if let changed = record["sluice_changed"]?.intValue { return changed }
        return record["done"] == nil ? 0 : 1
    }

    // MARK: Planning

    private func plan(
        _ lease: JobLease,
        statement: BatchStatement,
        parameters: [String: BoltValue],
        options: BoltTransactionOptions,
        logger: Logger
    ) async throws(EngineError) -> Int64 {
        let started = ContinuousClock.now
        try await store(.beginPlan) { () async throws(JobStoreError) in try await store.beginPlan(lease) }
        _ = try await streamIDs(statement.planning, parameters: parameters, options: options) {
            chunk throws(EngineError) in
            _ = try await store(.appendPlan) { () async throws(JobStoreError) in
                try await store.appendPlan(lease, entries: chunk)
            }
        }
        // The stored plan's length is the total: the job store counted what it kept.
        let total = try await store(.completePlan) { () async throws(JobStoreError) in
            try await store.completePlan(lease)
        }
        logger.info(
            "job planned",
            metadata: ["items_total": "\(total)", "planning_ms": "\((ContinuousClock.now - started).milliseconds)"]
        )
        return total
    }

    /// One catch-up re-plan for items created while the job ran; returns the new total.
    private func catchUp(
        _ lease: JobLease,
        statement: BatchStatement,
        parameters: [String: BoltValue],
        total: Int64,
        options: BoltTransactionOptions,
        logger: Logger
    ) async throws(EngineError) -> Int64 {
        guard total > 0 else { return total }
        let last = try await planEntries(lease.jobID, offset: total - 1, count: 1)
        guard let highest = last.first else { return total }
        var late = parameters
        late["sluice_after"] = .integer(highest)
        var newTotal = total
        let count = try await streamIDs(statement.latePlanning, parameters: late, options: options) {
            chunk throws(EngineError) in
            newTotal = try await store(.appendPlan) { () async throws(JobStoreError) in
                try await store.appendLateArrivals(lease, entries: chunk)
            }
        }
        if count > 0 {
            logger.info("late arrivals planned", metadata: ["late_arrivals": "\(count)"])
        }
        return newTotal
    }

    /// Streams a query's `sluice_id` column in chunks; returns how many ids it read.
    private func streamIDs(
        _ query: String,
        parameters: [String: BoltValue],
        options: BoltTransactionOptions,
        chunk handle: ([Int64]) async throws(EngineError) -> Void
    ) async throws(EngineError) -> Int64 {
        var chunk: [Int64] = []
        chunk.reserveCapacity(configuration.planChunk)
        var count: Int64 = 0
        do {
            let result = try await connection.run(query, parameters: parameters, options: options, fetchSize: 10_000)
            var iterator = result.makeAsyncIterator()
            while let record = try await iterator.next() {
                guard let id = record[0].intValue else {
                    throw EngineError.migration("planning returned a non-integer id")
                }
                chunk.append(id)
                count += 1
                if chunk.count == configuration.planChunk {
                    try await handle(chunk)
                    chunk.removeAll(keepingCapacity: true)
                }
            }
        } catch let error as BoltError {
            throw .bolt(error)
        } catch let error as EngineError {
            throw error
        } catch {
            throw .bolt(.connectionLost(reason: "\(error)"))
        }
        if !chunk.isEmpty { try await handle(chunk) }
        return count
    }

    // MARK: Graph node and parameters

    private func openNode(
        _ lease: JobLease,
        options: BoltTransactionOptions
    ) async throws(EngineError) -> GraphJobNode.State? {
        let records = try await bolt { () async throws(BoltError) in
            try await connection.run(
                GraphJobNode.open,
                parameters: [
                    "sluice_job": .integer(lease.jobID.rawValue), "sluice_token": .integer(lease.token),
                    "sluice_migration": .string("\(migration.version)"),
                    "sluice_direction": .string(lease.job.direction.rawValue),
                ],
                options: options
            ).collect()
        }
        return GraphJobNode.State(records.first)
    }

    private func readNode(
        _ job: JobID,
        options: BoltTransactionOptions
    ) async throws(EngineError) -> GraphJobNode.State? {
        let records = try await bolt { () async throws(BoltError) in
            try await connection.run(
                GraphJobNode.read,
                parameters: ["sluice_job": .integer(job.rawValue)],
                options: options
            ).collect()
        }
        return GraphJobNode.State(records.first)
    }

    /// Evaluates the migration's declared parameters once (`$asOf = date()`), so all batches agree.
    private func bindParameters(options: BoltTransactionOptions) async throws(EngineError) -> [String: BoltValue] {
        var bound: [String: BoltValue] = [:]
        for parameter in migration.parameters {
            let records = try await bolt { () async throws(BoltError) in
                try await connection.run("RETURN \(parameter.expression) AS value", options: options).collect()
            }
            bound[parameter.name] = records.first?["value"] ?? .null
        }
        return bound
    }

    /// The job's database, and where the server honours them, a timeout and metadata that make the
    /// batch identifiable in `SHOW TRANSACTIONS`.
    private func transactionOptions(job: Job) -> BoltTransactionOptions {
        var options = BoltTransactionOptions(database: job.target.database.isEmpty ? nil : job.target.database)
        if capabilities.honoursTransactionMetadata {
            options.timeout = configuration.batchTimeout
            options.metadata = [
                "application": "sluice", "sluice_job": .integer(job.id.rawValue),
                "sluice_migration": .string("\(migration.version)"),
            ]
        }
        return options
    }

    // MARK: Job store

    private func checkpoint(
        _ lease: JobLease,
        from: Int64,
        to: Int64,
        changed: Int64,
        batchSize: Int?,
        quarantined: [QuarantinedItem] = []
    ) async throws(EngineError) -> JobControl {
        try await store(.checkpoint) { () async throws(JobStoreError) in
            try await store.checkpoint(
                lease,
                JobCheckpoint(
                    from: from,
                    to: to,
                    itemsChanged: changed,
                    itemsSkipped: max(0, to - from - changed - Int64(quarantined.count)),
                    batchSize: batchSize,
                    quarantined: quarantined
                )
            )
        }
    }

    private func planEntries(_ job: JobID, offset: Int64, count: Int) async throws(EngineError) -> [Int64] {
        try await store(.planEntries) { () async throws(JobStoreError) in
            try await store.planEntries(of: job, offset: offset, count: count)
        }
    }

    private func release(_ lease: JobLease) async throws(EngineError) {
        try await store(.release) { () async throws(JobStoreError) in try await store.release(lease) }
    }

    private func finish(_ lease: JobLease, items: Int64, logger: Logger) async throws(EngineError) -> Job {
        _ = try? await bolt { () async throws(BoltError) in
            try await connection.run(
                GraphJobNode.remove,
                parameters: ["sluice_job": .integer(lease.jobID.rawValue), "sluice_token": .integer(lease.token)],
                options: transactionOptions(job: lease.job)
            ).collect()
        }
        let job = lease.job
        let history = MigrationHistoryEntry(
            migrationVersion: job.migrationVersion,
            migrationName: job.migrationName,
            checksum: job.migrationChecksum,
            direction: job.direction,
            target: job.target,
            job: job.id,
            appliedBy: lease.owner,
            duration: .seconds(Date().timeIntervalSince(job.startedAt ?? job.createdAt)),
            items: items,
            status: job.direction == .up ? .applied : .rolledBack
        )
        let finished = try await store(.finish) { () async throws(JobStoreError) in
            try await store.finish(lease, .succeeded, history: history)
        }
        logger.info("job succeeded", metadata: ["items_changed": "\(items)"])
        return finished
    }

    private func store<Result>(
        _ operation: EngineError.StoreOperation,
        _ body: () async throws(JobStoreError) -> Result
    ) async throws(EngineError) -> Result {
        do {
            return try await body()
        } catch .leaseLost {
            throw .leaseLost
        } catch {
            throw .store(operation, error)
        }
    }

    private func bolt<Result>(_ body: () async throws(BoltError) -> Result) async throws(EngineError) -> Result {
        do {
            return try await body()
        } catch {
            throw .bolt(error)
        }
    }
}

extension Duration {
    fileprivate var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
