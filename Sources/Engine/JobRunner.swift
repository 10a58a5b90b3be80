import Bolt
import Foundation
import JobStore
import Logging
import Migrations
import Systemd
import Throttle

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
        /// Planned ids read from the graph and sent to Postgres per chunk while planning, and read back from
        /// Postgres per round trip while batches run (``PlanReadAhead``).
        public var planChunk: Int
        /// Ids per window where planning reads the graph by id windows (``BatchStatement/PlanReading/idWindows``):
        /// the most one answer holds, and what bounds how long the server serves no other client.
        public var planWindow: Int
        /// The server aborts a batch's transaction after this long.
        public var batchTimeout: Duration
        /// A batch that keeps failing with retryable errors is retried for this long.
        public var retry: BoltRetryPolicy
        /// More failing items than this in one batch stop the job: a statement that fails for every
        /// item (a runtime error the server reports like an item's) must not quarantine the graph.
        public var quarantineLimit: Int
        /// Pre-flight checks the operator chose to skip (besides those the job's options name).
        public var skipPreflight: Set<PreflightCheck>
        /// How long a schema step's index may take to come ONLINE.
        public var indexOnlineTimeout: Duration

        public init(
            batchSize: Int = 10_000,
            planChunk: Int = 100_000,
            planWindow: Int = 50_000,
            batchTimeout: Duration = .seconds(120),
            retry: BoltRetryPolicy = BoltRetryPolicy(),
            quarantineLimit: Int = 100,
            skipPreflight: Set<PreflightCheck> = [],
            indexOnlineTimeout: Duration = .seconds(600)
        ) {
            self.batchSize = batchSize
            self.planChunk = planChunk
            self.planWindow = planWindow
            self.batchTimeout = batchTimeout
            self.retry = retry
            self.quarantineLimit = quarantineLimit
            self.skipPreflight = skipPreflight
            self.indexOnlineTimeout = indexOnlineTimeout
        }
    }

    /// How a run ended.
    public enum Ending: Sendable, Equatable {
        /// Every planned item is done, the verify query passed, and the job is recorded as succeeded.
        case succeeded(Job)
        /// The job ended as failed: its verify query did not pass (the reason quotes its answer).
        case failed(Job, reason: String)
        /// The job was paused or cancelled by an operator, or the caller's task was cancelled: the
        /// lease is released and the job resumes where it stopped.
        case stopped(JobControl?)
        /// Another worker holds the job now; nothing was written after that was noticed.
        case fenced
        /// Another job (of another job store) holds the items the job changes (``GraphHold``): the lease is
        /// released and the job waits for its turn; no batch ran without the hold.
        case graphBusy(GraphHold.Holder)
    }

    /// Progress after each batch, for status lines and progress bars.
    public struct Progress: Sendable {
        public var done: Int64
        /// Nil before the job is planned: it waits for a time window to end before planning.
        public var total: Int64?
        public var itemsChanged: Int64
        public var batchSize: Int
        public var lastBatch: Duration
        /// The throttle's last decision, its reason for status lines and STATUS=; nil when the run is not paced.
        public var throttle: ThrottleDecision?
        /// Whether a batch was just committed; false when the throttle reports a change or a wait between batches.
        public var committedBatch: Bool
    }

    let store: JobStore
    let connection: BoltConnection
    let capabilities: BoltCapabilities
    let migration: MigrationFile
    let configuration: Configuration
    let logger: Logger
    /// Paces the batches when set: sizes them, pauses between them, and hears their latencies.
    let pacer: BatchPacer<ContinuousClock>?
    /// Opens a second connection to the graph, for the verify query to read beside the catch-up re-plan.
    let connectBeside: (@Sendable () async throws(BoltError) -> BoltConnection)?
    /// Told that a step between batches moves on, with the longest it may take until its next sign or the next
    /// batch's report: planning after each stored chunk of the plan, a schema step (which may wait for an index),
    /// the verify query. A watchdog that allows a batch's timeout between reports would otherwise take planning a
    /// hundred million items, or an index building for minutes, for a hang.
    let stillWorking: (@Sendable (_ nextWithin: Duration) -> Void)?

    /// - Parameter connectBeside: opens another connection to the same graph (and database). With it the verify query
    ///   runs while the catch-up re-plan reads the graph, and its answer is used when the re-plan finds nothing; where
    ///   the graph has no id seek (ArcadeDB) each of the two is a scan of the label (0.7-1.2 s at a million nodes).
    ///   Without it they run one after the other.
    /// - Parameter stillWorking: told of progress between batches (see ``stillWorking``).
    public init(
        store: JobStore,
        connection: BoltConnection,
        capabilities: BoltCapabilities,
        migration: MigrationFile,
        configuration: Configuration = Configuration(),
        pacer: BatchPacer<ContinuousClock>? = nil,
        connectBeside: (@Sendable () async throws(BoltError) -> BoltConnection)? = nil,
        stillWorking: (@Sendable (_ nextWithin: Duration) -> Void)? = nil,
        logger: Logger
    ) {
        self.store = store
        self.connection = connection
        self.capabilities = capabilities
        self.migration = migration
        self.configuration = configuration
        self.logger = logger
        self.pacer = pacer
        self.connectBeside = connectBeside
        self.stillWorking = stillWorking
    }

    /// Runs the job held by `lease` until it ends or must stop. An error that running again cannot
    /// cure (``EngineError/isPermanent``) also ends the job as failed before it is thrown.
    public func run(
        _ lease: JobLease,
        progress: @Sendable (Progress) -> Void = { _ in }
    ) async throws(EngineError) -> Ending {
        do {
            return try await runJob(lease, progress: progress)
        } catch {
            if error.isPermanent { try await failJob(lease, reason: "\(error)") }
            throw error
        }
    }

    private func runJob(
        _ lease: JobLease,
        progress: @Sendable (Progress) -> Void
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
        let parameters = try await prepare(lease, direction: direction, options: options, logger: logger)
        guard let step = steps.first else {
            guard try await openNode(lease, options: options) != nil else { return .fenced }
            return try await conclude(
                lease,
                direction: direction,
                items: 0,
                parameters: parameters,
                options: options,
                logger: logger
            )
        }
        let statement = BatchStatement(step: step, capabilities: capabilities)
        // On every run, resumed ones too: an index dropped since the job started would make each batch scan.
        try await preflight(job: job, options: options, logger: logger).checkPlan(statement, parameters: parameters)
        let requested = job.requestedBatchSize > 0 ? job.requestedBatchSize : configuration.batchSize
        var machine = BatchProtocol(
            recorded: job.planDone,
            itemsChanged: job.itemsChanged,
            token: lease.token,
            batchSize: requested,
            quarantineLimit: configuration.quarantineLimit
        )
        var action = machine.start()
        var batchStarted = ContinuousClock.now
        var pacing = Pacing(operatorMaxRate: job.operatorMaxRate)
        /// The batch the throttle sized, once read: its size, and the job store's answer to its checkpoint.
        var batch: (size: Int, control: JobControl?)?
        var lastBatch: CompletedBatch?
        var readAhead = PlanReadAhead(chunk: configuration.planChunk)
        var indexChecked = false
        /// The verify query's answer, read beside the catch-up re-plan that found nothing more to do.
        var verified: VerifyResult?
        /// Items the catch-up found qualifying within what the batches covered, which it did not plan again.
        var passedOver = 0
        var pending: PendingCheckpoint?
        /// Waits for the checkpoint in flight, if any: its answer goes where a checkpoint's answer goes, and its batch
        /// is reported.
        func settle() async throws(EngineError) -> JobControl? {
            guard let checkpoint = pending else { return nil }
            pending = nil
            let control = try await checkpoint.written()
            batch?.control = control
            if let report = checkpoint.progress { progress(report) }
            // A stop asked for in `progress` (GracefulJobRun cancels there) is honoured before the next batch
            // starts, never inside it.
            if Task.isCancelled { machine.requestStop() }
            return control
        }
        /// Asks the throttle for the next batch (after `last`, whose checkpoint answered `control`), reporting its
        /// decisions as progress at `done` of `total` (nil before planning); waits out what it imposes.
        func paced(
            _ pacer: BatchPacer<ContinuousClock>,
            after last: CompletedBatch?,
            control: JobControl?,
            done: Int64,
            total: Int64?
        ) async throws(EngineError) -> Paced {
            try await pace(
                pacer,
                lease: lease,
                after: last,
                control: control,
                requested: machine.batchSize,
                pacing: &pacing,
                logger: logger
            ) { decision in
                progress(
                    Progress(
                        done: done,
                        total: total,
                        itemsChanged: machine.itemsChanged,
                        batchSize: decision.batchSize,
                        lastBatch: lastBatch?.duration ?? .zero,
                        throttle: decision,
                        committedBatch: false
                    )
                )
            } settle: { () async throws(EngineError) in
                try await settle()
            }
        }
        /// Before a full read of the graph (planning, the catch-up re-plan): waits while a time window or the operator
        /// pauses work, as between batches, so that the heaviest read of the job does not run in a window that pauses
        /// it. `total`: the plan's, nil before planning.
        func waitWhilePaused(total: Int64?) async throws(EngineError) -> Paced {
            guard let pacer, pacer.imposedPause(override: pacing.override) != nil else {
                return .next(batchSize: machine.batchSize)
            }
            return try await paced(pacer, after: nil, control: nil, done: machine.done, total: total)
        }
        do throws(EngineError) {
            while true {
                if Task.isCancelled { machine.requestStop() }
                switch action {
                case .readPlan, .apply, .checkpoint: break
                // Anything else reads or writes the job store or ends the run: the checkpoint in flight first. Its
                // answer, or a stop asked for as it was reported, stops a job about to catch up or finish as the
                // machine stops one between batches.
                case .catchUp, .finish:
                    let control = try await settle()
                    if let control, control.shouldStop {
                        action = .release(.stopped(control))
                    } else if Task.isCancelled {
                        action = .release(.stopped(nil))
                    }
                default: _ = try await settle()
                }
                switch action {
                case .openNode:
                    let opened = try await openNode(lease, options: options)
                    if opened != nil, !indexChecked {
                        indexChecked = true
                        await ensureJobNodeIndexes(options: options, logger: logger)
                    }
                    // A run fenced by a newer token asks for nothing more.
                    let hold =
                        opened == nil
                        ? GraphHold.Answer.held : try await acquireHold(lease, step: step, options: options)
                    action = machine.nodeOpened(opened, graph: hold)
                case .loadPlan:
                    // A plan is used only once complete: a run killed while planning leaves a partial one,
                    // which planning again replaces.
                    let plan = try await store(.planEntries) { () async throws(JobStoreError) in
                        try await store.plan(of: job.id)
                    }
                    action = machine.planLoaded(total: plan.flatMap { $0.complete ? $0.total : nil })
                case .plan:
                    if case .stop(let control) = try await waitWhilePaused(total: nil) {
                        action = .release(.stopped(control))
                        continue
                    }
                    action = machine.planned(
                        total: try await plan(
                            lease,
                            statement: statement,
                            parameters: parameters,
                            options: options,
                            logger: logger
                        )
                    )
                case .readPlan(let offset, let count):
                    var count = count
                    if let pacer {
                        let next = try await paced(
                            pacer,
                            after: lastBatch,
                            control: batch?.control,
                            done: offset,
                            total: machine.total
                        )
                        switch next {
                        case .next(let size): count = min(count, size)
                        case .stop(let control):
                            action = .release(.stopped(control))
                            continue
                        }
                    }
                    batchStarted = ContinuousClock.now
                    let ids = try await readAhead.entries(offset: offset, count: count) {
                        offset,
                        count throws(EngineError) in
                        try await planEntries(job.id, offset: offset, count: count)
                    }
                    batch = (ids.count, nil)
                    action = machine.planRead(ids)
                case .apply(let slice):
                    action = machine.applied(
                        try await apply(
                            lease,
                            statement: statement,
                            slice: slice,
                            parameters: parameters,
                            options: options
                        )
                    )
                case .skip(let slice, let item):
                    action = machine.applied(try await skip(lease, slice: slice, item: item, options: options))
                case .readNode:
                    action = machine.nodeRead(try await readNode(lease.job, step: step, options: options))
                case .recordGap(let from, let to, let changed, let quarantined):
                    logger.notice(
                        "graph is ahead of the checkpoint: batches it committed whose checkpoints were not written are recorded now",
                        metadata: ["offset": "\(from)", "graph_done": "\(to)"]
                    )
                    let control = try await checkpoint(
                        lease,
                        from: from,
                        to: to,
                        changed: changed,
                        batchSize: nil,
                        quarantined: quarantined
                    )
                    journalQuarantine(quarantined, logger: logger)
                    action = machine.checkpointed(control)
                case .checkpoint(let from, let to, let changed, let quarantined, let batchSize):
                    // The size the throttle chose, when it chose a smaller one than the machine's.
                    let size = batchSize.map { min($0, batch?.size ?? $0) }
                    let previous = try await settle()
                    var report: Progress?
                    if let size {
                        let elapsed = ContinuousClock.now - batchStarted
                        pacer?.record(elapsed, from: .batchWall)
                        lastBatch = CompletedBatch(size: batch?.size ?? size, duration: elapsed)
                        report = Progress(
                            done: to,
                            total: machine.total,
                            itemsChanged: machine.itemsChanged + changed,
                            batchSize: size,
                            lastBatch: elapsed,
                            throttle: pacer?.latest,
                            committedBatch: true
                        )
                    }
                    let runner = self
                    pending = PendingCheckpoint(progress: report) { () async throws(EngineError) in
                        try await runner.checkpoint(
                            lease,
                            from: from,
                            to: to,
                            changed: changed,
                            batchSize: size,
                            quarantined: quarantined
                        )
                    }
                    guard size != nil, quarantined.isEmpty else {
                        // A part of a bisected batch, or a quarantine: recorded before the machine goes on.
                        let control = try await settle()
                        journalQuarantine(quarantined, logger: logger)
                        action = machine.checkpointed(control)
                        continue
                    }
                    // A whole batch: its checkpoint is written while the next batch runs, and the machine goes on with
                    // the answer to the one before (a stop or a new batch size takes effect a batch later).
                    action = machine.checkpointed(previous)
                case .catchUp:
                    if case .stop(let control) = try await waitWhilePaused(total: machine.total) {
                        action = .release(.stopped(control))
                        continue
                    }
                    // A verify query that counts the step's items to zero answers for the re-plan too: when it passes,
                    // no item came to qualify while the job ran, and the re-plan's scan is not needed; when it fails,
                    // some did, perhaps inside the planned span, and the re-plan looks for them everywhere.
                    var failedFirst: VerifyResult?
                    if let verify = verifyCountingItems(of: step, direction: direction) {
                        let verdict = try await VerifyResult.run(
                            verify,
                            connection: connection,
                            parameters: parameters,
                            options: options
                        )
                        if verdict.passed {
                            logger.debug("verify passed before the catch-up re-plan: nothing to re-plan")
                            verified = verdict
                            action = machine.caughtUp(total: machine.total)
                            continue
                        }
                        failedFirst = verdict
                    }
                    // Nothing is written to the graph between the two: when the re-plan finds no item, the verify
                    // query read beside it answers as it would after it, and so does one read just before it (not
                    // read a second time). Otherwise it runs after the new batches.
                    let everywhere = failedFirst != nil
                    async let beside =
                        everywhere ? nil : verifyBeside(direction, parameters: parameters, options: options)
                    let caughtUp = try await catchUp(
                        lease,
                        statement: statement,
                        parameters: parameters,
                        total: machine.total,
                        everywhere: everywhere,
                        options: options,
                        logger: logger
                    )
                    passedOver = caughtUp.passedOver
                    action = machine.caughtUp(total: caughtUp.total)
                    if case .finish = action { verified = await beside ?? failedFirst }
                case .finish(let items):
                    return try await conclude(
                        lease,
                        direction: direction,
                        items: items,
                        parameters: parameters,
                        options: options,
                        verified: verified,
                        passedOver: passedOver,
                        logger: logger
                    )
                case .release(let ending):
                    if case .stopped = ending { await releaseHold(lease, options: options) }
                    try await release(lease)
                    return ending
                case .fenced:
                    return .fenced
                case .fail(let error):
                    throw error
                }
            }
        } catch {
            // None outlives the run (a batch after it may have committed too: reconciliation records both).
            _ = try? await settle()
            throw error
        }
    }

    // MARK: Batches

    /// Runs the batch statement over `slice` in the server's atomic unit.
    private func apply(
        _ lease: JobLease,
        statement: BatchStatement,
        slice: BatchProtocol.Slice,
        parameters: [String: BoltValue],
        options: BoltTransactionOptions
    ) async throws(EngineError) -> BatchProtocol.Outcome {
        var options = options
        if capabilities.honoursTransactionMetadata {
            options.metadata["sluice_offset"] = .integer(slice.from)
        }
        return try await execute(
            statement.batch,
            parameters: statement.parameters(
                ids: slice.ids,
                job: GraphJobNode.key(lease.job),
                token: lease.token,
                from: slice.from,
                hold: lease.duration,
                bound: parameters
            ),
            options: options
        )
    }

    /// Journals items once the job store recorded them as quarantined, so every entry names an item
    /// `sluice history` shows.
    private func journalQuarantine(_ items: [QuarantinedItem], logger: Logger) {
        for item in items {
            logger.warning(
                "item quarantined: \(item.error)",
                metadata: [
                    SluiceLogKey.messageID: "\(SluiceMessageID.itemQuarantined)",
                    SluiceLogKey.item: "\(item.item)", SluiceLogKey.errorMessage: "\(item.error)",
                    SluiceLogKey.offset: "\(item.planOffset.map { "\($0)" } ?? "")",
                ]
            )
        }
    }

    /// Moves the job node over a quarantined item without changing it, keeping the item on the node.
    private func skip(
        _ lease: JobLease,
        slice: BatchProtocol.Slice,
        item: QuarantinedItem,
        options: BoltTransactionOptions
    ) async throws(EngineError) -> BatchProtocol.Outcome {
        let parameters: [String: BoltValue] = [
            "sluice_job": GraphJobNode.key(lease.job), "sluice_token": .integer(lease.token),
            "sluice_from": .integer(slice.from), "sluice_to": .integer(slice.to),
            "sluice_item": .integer(item.item), "sluice_error": .string(item.error),
        ]
        return try await execute(BatchStatement.skip, parameters: parameters, options: options)
    }

    /// Runs one statement, retrying what may be retried for ``Configuration/retry``, and classifies
    /// how it ended for ``BatchProtocol``.
    private func execute(
        _ query: String,
        parameters: [String: BoltValue],
        options: BoltTransactionOptions
    ) async throws(EngineError) -> BatchProtocol.Outcome {
        var retries = configuration.retry.schedule()
        while true {
            do {
                let changed = try await runInAtomicUnit(query, parameters: parameters, options: options)
                return changed > 0 ? .committed(changed: changed) : .zeroRows
            } catch .unknownOutcome {
                return .unknownOutcome
            } catch .batchTooLarge(let error) {
                return .tooLarge("\(error)")
            } catch .server(let error) where Self.isItemFailure(error) {
                return .itemFailed(error)
            } catch let error where error.isConnectionGone {
                // The runner's one connection is closed: trying again on it fails the same way until the retry time
                // is spent (15 s in which a daemon said nothing of a dead graph server). The caller reconnects.
                throw .bolt(error)
            } catch let error where error.isRetryable {
                guard let delay = retries.nextDelay() else {
                    // Deadlocks and lock timeouts that persist: smaller batches take fewer locks. A follower or a
                    // read-only database is no matter of size: the job waits for the graph.
                    if case .server(let server) = error, server.classification == .transient {
                        return .contended(server)
                    }
                    throw .bolt(error)
                }
                try? await Task.sleep(for: delay)
            } catch {
                throw .bolt(error)
            }
        }
    }

    /// An error one of the batch's items caused (bisect to find it): neither one to retry (a deadlock, a leader
    /// switch, a database read-only for now: quarantining items for them would skip good items) nor one of the
    /// statement itself.
    static func isItemFailure(_ error: BoltServerError) -> Bool {
        !error.isRetryable && error.classification != .transient && !isStatementError(error)
    }

    /// Errors of the statement itself, not of an item: bisecting cannot help. Not `SemanticError`:
    /// ArcadeDB reports an item's unparseable `date()` with it; a statement failing for every item is
    /// stopped by ``Configuration/quarantineLimit`` instead.
    static func isStatementError(_ error: BoltServerError) -> Bool {
        ["SyntaxError", "ParameterMissing", "Security."].contains { error.code.contains($0) }
            && error.code.hasPrefix("Neo.")
    }

    /// Runs one statement as the server's atomic unit and returns its `sluice_changed` (or 1 for a
    /// statement that returns the node's offset).
    private func runInAtomicUnit(
        _ query: String,
        parameters: [String: BoltValue],
        options: BoltTransactionOptions
    ) async throws(BoltError) -> Int64 {
        let pacer = pacer
        let records = try await connection.runAtomically(
            query,
            parameters: parameters,
            options: options,
            unit: capabilities.atomicUnit,
            serverTime: pacer.map { pacer in { pacer.record($0, from: .batchServer) } }
        )
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
        stillWorking?(configuration.batchTimeout)
        try await store(.beginPlan) { () async throws(JobStoreError) in try await store.beginPlan(lease) }
        let reader = planReader(statement, options: options)
        let jobStore = store
        var appends = PlanAppends()
        do throws(EngineError) {
            // Sorted as read, so appended as they come: no staged runs to merge.
            _ = try await reader.readAll(parameters: parameters) { chunk throws(EngineError) in
                try await store(.appendPlan) { () async throws(JobStoreError) in
                    try await appends.next { () async throws(JobStoreError) in
                        _ = try await jobStore.appendSortedPlanEntries(lease, entries: chunk)
                    }
                }
                stillWorking?(configuration.batchTimeout)
            }
            try await store(.appendPlan) { () async throws(JobStoreError) in try await appends.finish() }
        } catch {
            await appends.abandon()
            throw error
        }
        // The stored plan's length is the total: the job store counted what it kept.
        let total = try await store(.completePlan) { () async throws(JobStoreError) in
            try await store.completeStagedPlan(lease)
        }
        logger.notice(
            "job planned: \(total) items",
            metadata: [
                SluiceLogKey.messageID: "\(SluiceMessageID.jobPlanned)", SluiceLogKey.itemsTotal: "\(total)",
                "planning_ms": "\((ContinuousClock.now - started).wholeMilliseconds)",
            ]
        )
        return total
    }

    private func planReader(_ statement: BatchStatement, options: BoltTransactionOptions) -> PlanReader {
        PlanReader(
            connection: connection,
            statement: statement,
            options: options,
            chunkSize: configuration.planChunk,
            window: configuration.planWindow
        )
    }

    /// The direction's verify query on a connection of its own (``connectBeside``), to run beside the catch-up
    /// re-plan; nil without that connection, without a verify query, when schema steps run between the data step and
    /// the verify query, or when it failed (``conclude`` then runs it again itself, and reports why it fails).
    private func verifyBeside(
        _ direction: MigrationDirection,
        parameters: [String: BoltValue],
        options: BoltTransactionOptions
    ) async -> VerifyResult? {
        guard let connectBeside, let verify = direction.verify,
            schemaSteps(of: direction, beforeData: false).isEmpty,
            let beside = try? await connectBeside()
        else { return nil }
        let verdict = try? await VerifyResult.run(verify, connection: beside, parameters: parameters, options: options)
        await beside.close()
        return verdict
    }

    /// The direction's verify query when it counts `step`'s items to zero (``DataStep/isCountedToZero(by:)``) and
    /// nothing runs between the data step and it: then its passing means the catch-up re-plan would find nothing.
    private func verifyCountingItems(of step: DataStep, direction: MigrationDirection) -> MigrationQuery? {
        guard let verify = direction.verify, schemaSteps(of: direction, beforeData: false).isEmpty,
            step.isCountedToZero(by: verify)
        else { return nil }
        return verify
    }

    /// One catch-up re-plan for items that came to qualify while the job ran; returns the new total. It reads the
    /// ids above the plan's highest (a seek where the server has one), or, `everywhere`, every item that qualifies now
    /// (a scan) and plans those the plan lacks: the verify query counted items still qualifying, and they may lie
    /// inside the planned span (``UnplannedItems``). `passedOver`: the items it found and left alone.
    private func catchUp(
        _ lease: JobLease,
        statement: BatchStatement,
        parameters: [String: BoltValue],
        total: Int64,
        everywhere: Bool,
        options: BoltTransactionOptions,
        logger: Logger
    ) async throws(EngineError) -> (total: Int64, passedOver: Int) {
        guard total > 0 else { return (total, 0) }
        let last = try await planEntries(lease.jobID, offset: total - 1, count: 1)
        guard let highest = last.first else { return (total, 0) }
        stillWorking?(configuration.batchTimeout)
        let stage = { (items: [Int64]) async throws(EngineError) in
            _ = try await store(.appendPlan) { () async throws(JobStoreError) in
                try await store.stagePlanItems(lease, items: items)
            }
            stillWorking?(configuration.batchTimeout)
        }
        let reader = planReader(statement, options: options)
        var passedOver = 0
        if everywhere {
            let unplanned = try await unplanned(lease, reader: reader, parameters: parameters, total: total)
            passedOver = unplanned.found - unplanned.items.count
            let items = unplanned.items
            for start in stride(from: 0, to: items.count, by: configuration.planChunk) {
                try await stage(Array(items[start..<min(start + configuration.planChunk, items.count)]))
            }
        } else {
            _ = try await reader.readLate(after: highest, parameters: parameters) { chunk throws(EngineError) in
                try await stage(chunk)
            }
        }
        let newTotal = try await store(.appendPlan) { () async throws(JobStoreError) in
            try await store.appendStagedLateArrivals(lease)
        }
        let count = newTotal - total
        if count > 0 {
            logger.info("late arrivals planned", metadata: ["late_arrivals": "\(count)"])
        }
        return (newTotal, passedOver)
    }

    /// Every item that qualifies now and that the job's plan of `total` entries lacks (``UnplannedItems``), ascending,
    /// and how many qualify (`found`).
    private func unplanned(
        _ lease: JobLease,
        reader: PlanReader,
        parameters: [String: BoltValue],
        total: Int64
    ) async throws(EngineError) -> (items: [Int64], found: Int) {
        var found: [Int64] = []
        _ = try await reader.readAll(parameters: parameters) { chunk throws(EngineError) in
            found.append(contentsOf: chunk)
            stillWorking?(configuration.batchTimeout)
        }
        var unplanned = UnplannedItems(found: found)
        // Range batches need the plan's whole span, read to its end; lists only the found items' absence.
        let ranges = reader.statement.addressing == .idRange
        var span: ClosedRange<Int64>?
        var offset: Int64 = 0
        while offset < total, unplanned.count > 0 {
            let page = try await planEntries(lease.jobID, offset: offset, count: configuration.planChunk)
            guard let lowest = page.min(), let highest = page.max() else { break }
            if ranges {
                span = min(span?.lowerBound ?? lowest, lowest)...max(span?.upperBound ?? highest, highest)
            } else {
                unplanned.remove(planned: page)
            }
            offset += Int64(page.count)
        }
        if let span { unplanned.remove(inside: span) }
        return (unplanned.items, unplanned.foundCount)
    }

    // MARK: Graph node and parameters

    func openNode(
        _ lease: JobLease,
        options: BoltTransactionOptions
    ) async throws(EngineError) -> GraphJobNode.State? {
        let records = try await bolt { () async throws(BoltError) in
            try await connection.run(
                GraphJobNode.open,
                parameters: [
                    "sluice_job": GraphJobNode.key(lease.job), "sluice_token": .integer(lease.token),
                    "sluice_migration": .string("\(migration.version)"),
                    "sluice_direction": .string(lease.job.direction.rawValue),
                ],
                options: options
            ).collect()
        }
        return GraphJobNode.State(records.first)
    }

    private func readNode(
        _ job: Job,
        step: DataStep,
        options: BoltTransactionOptions
    ) async throws(EngineError) -> GraphJobNode.State? {
        let records = try await bolt { () async throws(BoltError) in
            try await connection.run(
                GraphJobNode.read,
                parameters: ["sluice_job": GraphJobNode.key(job), "sluice_graph": .string(GraphHold.key(of: step))],
                options: options
            ).collect()
        }
        return GraphJobNode.State(records.first)
    }

    /// Takes the hold on the step's items for the lease's duration, or says who has it.
    private func acquireHold(
        _ lease: JobLease,
        step: DataStep,
        options: BoltTransactionOptions
    ) async throws(EngineError) -> GraphHold.Answer {
        let job = lease.job
        let holder =
            "job \(job.id) (\(job.migrationVersion) \(job.direction.rawValue)) of job store \"\(store.schema.name)\", "
            + "worker \(lease.owner)"
        return try await bolt { () async throws(BoltError) in
            try await GraphHold.take(
                step,
                for: GraphJobNode.key(job),
                named: holder,
                lasting: lease.duration,
                on: connection,
                options: options,
                unit: capabilities.atomicUnit
            )
        }
    }

    /// Gives up the hold on the items of the job's data step, if it has one, as the job ends or stops. Best effort:
    /// a hold not given up expires with the lease.
    func releaseHold(_ lease: JobLease, options: BoltTransactionOptions) async {
        let kind: MigrationDirection.Kind = lease.job.direction == .up ? .up : .down
        guard let step = migration.direction(kind)?.dataSteps.first else { return }
        let parameters: [String: BoltValue] = [
            "sluice_job": GraphJobNode.key(lease.job), "sluice_token": .integer(lease.token),
            "sluice_graph": .string(GraphHold.key(of: step)),
        ]
        // Auto-commit: one idempotent SET, and on the stop path the task is cancelled, where an explicit transaction
        // cut short would leave the connection inside it.
        _ = try? await connection.run(GraphHold.release, parameters: parameters, options: options).collect()
    }

    /// Evaluates the migration's declared parameters once (`$asOf = date()`) and keeps the values with
    /// the job, so all batches agree, also those of a run resumed days later.
    func bindParameters(
        _ lease: JobLease,
        options: BoltTransactionOptions
    ) async throws(EngineError) -> [String: BoltValue] {
        guard !migration.parameters.isEmpty else { return [:] }
        if let recorded = try BoundParameters.decode(options: lease.job.options) { return recorded }
        let bound = try await Self.bindParameters(of: migration, connection: connection, options: options)
        try await store(.recordParameters) { () async throws(JobStoreError) in
            try await store.recordParameters(lease, BoundParameters.encode(bound))
        }
        return bound
    }

    /// The job's database, and where the server honours them, a timeout and metadata that make the
    /// batch identifiable in `SHOW TRANSACTIONS`.
    func transactionOptions(job: Job) -> BoltTransactionOptions {
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

    func release(_ lease: JobLease) async throws(EngineError) {
        try await store(.release) { () async throws(JobStoreError) in try await store.release(lease) }
    }

    func store<Result>(
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

    /// Runs `body` on the graph, trying it again for ``Configuration/retry`` while the server answers with a
    /// transient error, and reports what remains as an ``EngineError``.
    func bolt<Result>(_ body: () async throws(BoltError) -> Result) async throws(EngineError) -> Result {
        var retries = configuration.retry.schedule()
        while true {
            do {
                return try await body()
            } catch .server(let error) where error.isRetryable && !Task.isCancelled {
                // A deadlock or lock timeout: under load ArcadeDB times out a commit that waits for another job's lock
                // on the file holding the job nodes. Every statement run through here can run again (reads, MERGE,
                // SETs to a fixed value); batches retry in `execute`, where persistent contention splits them.
                guard let delay = retries.nextDelay() else { throw .bolt(.server(error)) }
                try? await Task.sleep(for: delay)
            } catch {
                throw .bolt(error)
            }
        }
    }
}
