import Bolt
import Engine
import Foundation
import JobStore
import Logging
import Migrations
import Synchronization
import Systemd
import Throttle

/// One leased job, from claim to its end or the daemon's: finds its migration, connects to its graph, runs it with
/// the engine's ``JobRunner`` while heartbeating the lease, and reports every step to systemd and the journal.
///
/// Outages are not failures: when Postgres or the graph cannot be reached the session ends with
/// ``End/postgresUnavailable(_:)`` or ``End/graphUnavailable(_:since:)`` and the job stays resumable (the daemon waits
/// and claims it again; the same worker identity reclaims its own lease at once). So is a Postgres that refuses
/// writes for now (read-only, out of disk space: ``PostgresError/isServerCondition``): failing the job would turn an
/// operator's fix of the server into a second chore. Only what waiting cannot fix (a migration that cannot run, a
/// graph that lost committed batches) fails the job.
struct JobSession {
    /// How the session ended, for the work loop.
    enum End: Sendable {
        /// The job reached an end (succeeded, failed, cancelled), was paused, was taken over, or the daemon is
        /// stopping: claim again.
        case done
        /// Postgres did not answer, refused writes for now, or refused the connection: the job waits, resumable.
        case postgresUnavailable(PostgresError)
        /// The graph did not answer: the job waits, resumable. `since` is when the server fell silent, when the
        /// connection was closed for its silence (an answer timeout later); nil: the outage began now.
        case graphUnavailable(String, since: ContinuousClock.Instant?)
        /// The graph refused the configured credentials: a configuration problem, not an outage, and no fault of the
        /// job, which stays resumable until the password is fixed.
        case graphRefusedCredentials(String)
        /// A job of another job store holds the items the job changes (``GraphHold``): the job waits, resumable.
        case graphBusy(GraphHold.Holder)
        /// The migrations folder cannot be read now (an unmounted volume, a deploy swapping it): no fault of the job,
        /// which waits, resumable, with its lease let go for a daemon that can read its file.
        case migrationsUnreadable(String)

        /// What the job waits for, kept as its last error for `sluice status`, which reads Postgres alone (the daemon's
        /// STATUS= and journal are on its host); nil when it does not wait, or waits for Postgres, where nothing can
        /// be written.
        var waitingFor: String? {
            switch self {
            case .done, .postgresUnavailable: nil
            case .graphUnavailable(let reason, _): "the graph does not answer: \(reason)"
            case .graphRefusedCredentials(let reason): "the graph refused the credentials: \(reason)"
            case .graphBusy(let holder): "its items are held by \(holder)"
            case .migrationsUnreadable(let reason): "the migrations folder cannot be read: \(reason)"
            }
        }
    }

    let lease: JobLease
    let store: JobStore
    let configuration: DaemonConfiguration
    /// The `[throttle]` section in force now: a reload (SIGHUP) of its time windows and latency settings reaches a job
    /// already running (its probe query and interval stay as the job started with them).
    let throttle: @Sendable () -> ThrottleSettings
    let notifier: SystemdNotifier
    let pulse: WorkLoopPulse
    /// The NOTIFYs about this session's job, which make its heartbeat read the job's control row at once.
    let changes: JobChanges
    /// Ended by the first committed batch: work goes on after an outage.
    let outage: OutageLog
    let metrics: DaemonMetrics
    let fault: TestFault?
    let logger: Logger
    /// Why this daemon let the job go a moment ago, when it did: claiming it again is the same run going on, not a
    /// reclaim after a crash (which the journal's reclaim entry tells an operator of).
    enum Interruption: Sendable {
        /// Postgres or the graph was unreachable: the job is journalled as taken up again once the graph answers, not
        /// at every attempt.
        case outage
        /// The graph refused the credentials: the job is journalled as taken up again once it accepts them.
        case refusedCredentials
        /// A job of another store held its items: the same wait going on, which the work loop journals once, so the
        /// start lines go to the debug level.
        case heldItems
    }

    var interrupted: Interruption?

    /// What the status line and the stuck check know of the job, updated after each batch.
    private struct Progress {
        var done: Int64
        var total: Int64?
        var lastProgress: ContinuousClock.Instant
        var rate = RateMeter()
        var stuckReported = false
        /// Why the throttle holds the job back, when it does.
        var throttle: String?
        /// The throttle pauses work (critical latency, a time window): no rate or ETA is shown meanwhile.
        var pausedByThrottle = false
        /// The control row that made the heartbeat stop the run (a pause, a cancel), for the session's ending.
        var stoppedBy: JobControl?
        /// Another worker took the job over, and the journal has said so (``journalLeaseLost(_:logger:_:)``).
        var leaseLost = false
    }

    /// The progress, shared by the runner's callback and the heartbeat.
    private final class ProgressBox: Sendable {
        let state: Mutex<Progress>
        init(_ progress: Progress) { state = Mutex(progress) }
    }

    private var job: Job { lease.job }

    private var jobLogger: Logger { Self.logger(logger, for: lease) }

    /// `logger` with the fields of `lease`'s job, so that `journalctl SLUICE_JOB=N` (or `MIGRATION=`) finds the entry:
    /// the session's own entries, and the work loop's while it waits on the job's account (an outage, refused
    /// credentials, another store's hold).
    static func logger(_ logger: Logger, for lease: JobLease) -> Logger {
        var logger = logger
        logger[metadataKey: SluiceLogKey.job] = "\(lease.job.id)"
        logger[metadataKey: SluiceLogKey.migration] = "\(lease.job.migrationVersion)"
        logger[metadataKey: SluiceLogKey.direction] = "\(lease.job.direction.rawValue)"
        logger[metadataKey: SluiceLogKey.worker] = "\(lease.owner)"
        return logger
    }

    /// The allowance the watchdog gives the work loop between two beats while a job runs.
    var batchAllowance: Duration { configuration.engine.batchTimeout + configuration.daemon.watchdogMargin }

    /// How long the job's graph connections wait for a server that says nothing: within ``batchAllowance``
    /// (``DaemonConfiguration/graphAnswerTimeout``).
    private var answerTimeout: Duration { configuration.graphAnswerTimeout }

    /// Runs the claimed job until it ends or must wait; a wait is kept as the job's last error (``End/waitingFor``),
    /// which the job's next claim clears.
    func run() async -> End {
        let end = await runClaimed()
        if let waiting = end.waitingFor {
            // Under the lease just let go (its token stays); lost to another worker meanwhile, it is theirs to say.
            try? await store.recordError(lease, "waiting: \(waiting)")
        }
        return end
    }

    private func runClaimed() async -> End {
        let logger = jobLogger
        pulse.beat(allowing: batchAllowance)
        metrics.jobStarted(
            id: "\(job.id)",
            migration: job.migrationVersion,
            direction: job.direction.rawValue,
            done: job.planDone,
            total: job.planTotal,
            at: .now
        )
        // A crash the claim recovers from is journalled even when the job ends at once, cancelled meanwhile.
        await journalClaim(logger: logger)
        if job.cancelRequested {
            return await outOfTheShutdownsReach { await cancelPending(logger: logger) }
        }
        do {
            try configuration.checkMigrationsFolder()
        } catch {
            do {
                try await store.release(lease)
            } catch {
                return storeProblem(error, doing: "release the lease", logger: logger)
            }
            return .migrationsUnreadable("\(error)")
        }
        let migration: MigrationFile
        switch loadMigration(logger: logger) {
        case .success(let found): migration = found
        case .failure(let problem):
            journalStart(logger: logger)
            let end = await fail(problem.reason, logger: logger)
            if case .done = end { await finishInGraphWithoutMigration(logger: logger) }
            return end
        }

        let graph = jobGraph
        let connection: BoltConnection
        let capabilities: BoltCapabilities
        status(
            StatusLine.connecting(
                version: job.migrationVersion,
                name: job.migrationName,
                direction: job.direction.rawValue,
                graph: "\(job.target)"
            )
        )
        do {
            connection = try await connect(graph)
        } catch {
            return await letGo(after: error, logger: logger)
        }
        do {
            capabilities = try await graph.capabilities(of: connection)
        } catch {
            await connection.close()
            if Self.letsTheJobWait(error) {
                return await letGo(after: error, logger: logger)
            }
            // The server answered, and what it said rules the job out (a database it cannot select, a probe it
            // refuses): waiting would not change it.
            journalStart(logger: logger)
            return await fail("\(error)", logger: logger)
        }
        journalStart(logger: logger)
        status(
            job.planTotal == nil
                ? StatusLine.planning(
                    version: job.migrationVersion,
                    name: job.migrationName,
                    direction: job.direction.rawValue
                )
                : progressLine(Progress(done: job.planDone, total: job.planTotal, lastProgress: .now))
        )
        let end =
            job.dryRun
            ? await preview(
                migration: migration,
                graph: graph,
                connection: connection,
                capabilities: capabilities,
                logger: logger
            )
            : await run(
                migration: migration,
                graph: graph,
                connection: connection,
                capabilities: capabilities,
                logger: logger
            )
        await connection.close()
        return end
    }

    /// Journals how the job came to this daemon, when it is news: reclaimed after a crash (its previous holder did not
    /// let the lease go), resumed by an operator (the resume is what this claim follows), or taken up again after its
    /// holder let it go (a stop, a pause, the graph's hold). Not when this daemon claims it again after an outage or a
    /// hold of its own (the same run going on), so once per claim of the job, however many attempts its graph takes
    /// to answer.
    private func journalClaim(logger: Logger) async {
        guard interrupted == nil, let previous = lease.previousOwner else { return }
        // Under one identity, the previous holder may be another process (a configuration copied to a second host).
        let worker = previous == lease.owner ? "this worker (an earlier process of it)" : "worker \(previous)"
        guard lease.previousReleased else {
            logger.notice(
                "job reclaimed: it was left unfinished by \(worker)",
                metadata: [
                    SluiceLogKey.messageID: "\(SluiceMessageID.jobReclaimed)",
                    SluiceLogKey.previousWorker: "\(previous)", SluiceLogKey.offset: "\(job.planDone)",
                ]
            )
            return
        }
        if let resumed = await resumedBy() {
            logger.notice(
                "job resumed by \(resumed) at offset \(job.planDone)",
                metadata: [
                    SluiceLogKey.messageID: "\(SluiceMessageID.jobResumed)", SluiceLogKey.offset: "\(job.planDone)",
                ]
            )
        } else {
            logger.info(
                "job taken up again at offset \(job.planDone), released by \(worker)",
                metadata: [SluiceLogKey.offset: "\(job.planDone)"]
            )
        }
    }

    /// Journals that the job runs: once its graph has answered (or it cannot run at all), so a retry that finds the
    /// graph still down journals nothing and the work loop says once that it waits.
    private func journalStart(logger: Logger) {
        switch interrupted {
        case .heldItems:
            logger.debug(
                "job claimed again after waiting for its items' hold",
                metadata: [SluiceLogKey.offset: "\(job.planDone)"]
            )
        case .outage:
            logger.info(
                "job taken up again after the outage at offset \(job.planDone)",
                metadata: [SluiceLogKey.offset: "\(job.planDone)"]
            )
        case .refusedCredentials:
            logger.notice(
                "job taken up again at offset \(job.planDone): the graph accepted the credentials",
                metadata: [SluiceLogKey.offset: "\(job.planDone)"]
            )
        case nil: break
        }
        let dryRun = job.dryRun ? " (dry run)" : ""
        // Once a job, at the default level: a job that planned or changed anything before was started before, and its
        // claim says how it came back (reclaimed, resumed, taken up again); a dashboard counting this entry counted
        // each of those as a job.
        let startsNow = interrupted != .heldItems && job.planTotal == nil && job.planDone == 0
        var metadata: Logger.Metadata = [
            SluiceLogKey.messageID: "\(SluiceMessageID.jobStarted)", SluiceLogKey.offset: "\(job.planDone)",
            SluiceLogKey.itemsDone: "\(job.planDone)",
        ]
        // Not an empty field before the job is planned.
        if let total = job.planTotal { metadata[SluiceLogKey.itemsTotal] = "\(total)" }
        logger.log(
            level: startsNow ? .info : .debug,
            "job started: \(job.migrationVersion) \(job.migrationName) \(job.direction.rawValue)\(dryRun) on \(job.target)",
            metadata: metadata
        )
    }

    /// A dry-run job (`sluice enqueue --dry-run`) is previewed, never run: what `sluice run --dry-run` shows (the
    /// items each data step would change, the batch statement's plan, what pre-flight would refuse) goes to the
    /// journal, and the job ends without a write to the graph or the migration history: succeeded when the job
    /// would be let run, failed with pre-flight's refusals when not. Its findings are kept with the job too (its
    /// preview events), so that `sluice status` shows them from the job store.
    private func preview(
        migration: MigrationFile,
        graph: GraphSettings,
        connection: BoltConnection,
        capabilities: BoltCapabilities,
        logger: Logger
    ) async -> End {
        let progress = ProgressBox(Progress(done: job.planDone, total: job.planTotal, lastProgress: .now))
        let queryTimeout = configuration.engine.batchTimeout
        let dryRun = DryRun(
            connection: connection,
            capabilities: capabilities,
            migration: migration,
            options: BoltTransactionOptions(database: graph.database),
            skip: JobRunner.JobOptions.skippedChecks(of: job),
            stillWorking: { [self] in stillWorking(progress: progress, within: queryTimeout) },
            logger: logger
        )
        let previewed = await heartbeating(progress: progress, stopping: GracefulJobRun(), logger: logger) {
            () async -> Result<DryRun.Report, EngineError> in
            do throws(EngineError) {
                return .success(try await dryRun.run(job.direction == .up ? .up : .down, sample: nil))
            } catch {
                return .failure(error)
            }
        }
        let report: DryRun.Report
        switch previewed {
        case .success(let found): report = found
        case .failure(let error): return await failed(error, on: connection, progress: progress, logger: logger)
        }
        var preview: [String] = []
        for step in report.steps {
            let planned = step.planned.map { ": \(ProgressText.count($0)) items would be changed" } ?? ""
            let line = "\(step.kind) step at line \(step.line)\(planned)"
            preview.append(line)
            logger.notice(
                "dry run: \(line)",
                metadata: [SluiceLogKey.itemsTotal: "\(step.planned.map { "\($0)" } ?? "")"]
            )
        }
        for unchecked in report.unchecked {
            let line = "pre-flight not checked: \(unchecked)"
            preview.append(line)
            logger.notice("dry run: \(line)")
        }
        guard report.refusals.isEmpty else {
            return await fail(
                "dry run: pre-flight would refuse the job: \(report.refusals.joined(separator: "; "))",
                preview: preview,
                logger: logger
            )
        }
        do {
            _ = try await store.finish(lease, .succeeded, preview: preview)
        } catch {
            return storeProblem(error, doing: "record the dry run's end", logger: logger)
        }
        logger.info(
            "dry run succeeded: nothing was written to the graph",
            metadata: [SluiceLogKey.messageID: "\(SluiceMessageID.jobSucceeded)"]
        )
        return .done
    }

    private func run(
        migration: MigrationFile,
        graph: GraphSettings,
        connection: BoltConnection,
        capabilities: BoltCapabilities,
        logger: Logger
    ) async -> End {
        let runnerLogger = Self.runnerLogger(logger)
        let batchSize = migration.options.batchSize ?? configuration.engine.batchSize
        let throttle = configuration.throttle
        let pacer: BatchPacer<ContinuousClock>
        do {
            // The job's batch size, within the throttle's largest (again after a reload changes that).
            let requested = job.requestedBatchSize > 0 ? job.requestedBatchSize : batchSize
            let fitted = { @Sendable (settings: ThrottleSettings) in
                settings.configuration.fitted(toBatchSize: min(requested, settings.configuration.maxBatchSize))
            }
            let current = self.throttle
            pacer = try BatchPacer(
                configuration: fitted(throttle),
                schedule: { current().schedule },
                reload: { fitted(current()) }
            )
        } catch {
            return await fail("[throttle]: \(error)", logger: logger)
        }
        let answerTimeout = answerTimeout
        let connect = { @Sendable () async throws(BoltError) -> BoltConnection in
            try await graph.connect(answerTimeout: answerTimeout)
        }
        let probe = LatencyProbe(
            migration: migration,
            configured: throttle.probe,
            configuration: LatencyProbe.Configuration(interval: throttle.probeInterval),
            options: BoltTransactionOptions(database: graph.database),
            logger: logger,
            connect: connect
        )
        let progress = ProgressBox(Progress(done: job.planDone, total: job.planTotal, lastProgress: .now))
        let runner = JobRunner(
            store: store,
            connection: connection,
            capabilities: capabilities,
            migration: migration,
            configuration: JobRunner.Configuration(
                batchSize: batchSize,
                planChunk: configuration.engine.planChunk,
                batchTimeout: configuration.engine.batchTimeout
            ),
            pacer: pacer,
            connectBeside: connect,
            stillWorking: { [self] nextWithin in stillWorking(progress: progress, within: nextWithin) },
            logger: runnerLogger
        )
        let run = GracefulJobRun()
        let outcome = await heartbeating(progress: progress, stopping: run, logger: logger) {
            await run.run(runner, lease: lease, probe: probe) { update in
                onBatch(update, progress: progress, logger: logger)
            }
        }
        switch outcome {
        case .success(.succeeded(let finished)):
            logger.info(
                """
                job succeeded: \(ProgressText.count(finished.itemsChanged)) items changed, \
                \(ProgressText.count(finished.itemsSkipped)) no longer matching, \
                \(ProgressText.count(finished.itemsQuarantined)) quarantined
                """,
                metadata: [
                    SluiceLogKey.messageID: "\(SluiceMessageID.jobSucceeded)",
                    SluiceLogKey.itemsDone: "\(finished.planDone)",
                    SluiceLogKey.itemsTotal: "\(finished.planTotal ?? finished.planDone)",
                ]
            )
            return .done
        case .success(.failed(let failed, let reason)):
            // The runner has recorded the failure (its verify query did not pass) in the job store.
            journalFailure(reason, of: failed, logger: logger)
            return .done
        case .success(.stopped(let control)):
            let (stoppedBy, done, leaseLost) = progress.state.withLock { ($0.stoppedBy, $0.done, $0.leaseLost) }
            // Stopped for the lease the heartbeat found lost, and journalled: no shutdown, no operator's control.
            if leaseLost, control == nil, stoppedBy == nil { return .done }
            return await stopped(control ?? stoppedBy, done: done, runner: runner, logger: logger)
        case .success(.fenced):
            journalLeaseLost(progress, logger: logger, "this one stopped without writing")
            return .done
        case .success(.graphBusy(let holder)):
            // Journalled once by the work loop, which waits for its turn.
            return .graphBusy(holder)
        case .failure(let error):
            return await failed(error, on: connection, progress: progress, logger: logger)
        }
    }

    // MARK: Progress

    private func onBatch(
        _ update: JobRunner.Progress,
        progress: ProgressBox,
        logger: Logger
    ) {
        let now = ContinuousClock.now
        pulse.beat(at: now, allowing: batchAllowance)
        let throttle = update.throttle.flatMap { $0.state == .running ? nil : "\($0.reason)" }
        guard update.committedBatch, let total = update.total else {
            // The throttle changed or waits between batches, or before planning: a pause is no lack of progress.
            metrics.throttleDecided(update.throttle, at: now)
            let snapshot = progress.state.withLock { state in
                state.throttle = throttle
                state.pausedByThrottle = update.throttle?.state == .paused
                state.lastProgress = now
                // A job planned, then held back before its first batch, shows its total, not "planning".
                state.total = state.total ?? update.total
                return state
            }
            status(progressLine(snapshot))
            return
        }
        outage.workGoesOn(logger: logger)
        let (from, snapshot) = progress.state.withLock { state -> (Int64, Progress) in
            let from = state.done
            state.done = update.done
            state.total = total
            state.lastProgress = now
            state.stuckReported = false
            state.rate.record(done: update.done, at: now - Self.origin)
            state.throttle = throttle
            state.pausedByThrottle = update.throttle?.state == .paused
            return (from, state)
        }
        let rate = snapshot.rate.itemsPerSecond
        metrics.batchCommitted(
            done: update.done,
            total: total,
            committed: update.done - from,
            latency: update.lastBatch,
            itemsPerSecond: rate,
            throttle: update.throttle,
            at: now
        )
        logger.info(
            "batch committed: \(ProgressText.count(update.done))/\(ProgressText.count(total))",
            metadata: [
                SluiceLogKey.messageID: "\(SluiceMessageID.batchCommitted)",
                SluiceLogKey.offset: "\(from)",
                SluiceLogKey.itemsDone: "\(update.done)",
                SluiceLogKey.itemsTotal: "\(total)",
                SluiceLogKey.rate: "\(rate.map { Int64($0.rounded()) } ?? 0)",
                SluiceLogKey.latencyMilliseconds:
                    "\(update.lastBatch.wholeMilliseconds)",
                "batch_size": "\(update.batchSize)",
            ]
        )
        status(progressLine(snapshot))
        if fault == .hangWorkLoop {
            logger.critical("TEST FAULT hang-work-loop: the work loop hangs now (SLUICE_TEST_FAULT is for tests only)")
            // Blocks this thread for good, as a deadlocked call would: no more beats, so the watchdog must act.
            while true { sleep(3_600) }
        }
    }

    /// A sign of life between batches (planning, a schema step, a preview's query): the watchdog allows `within`
    /// and the margin until the next, and the job does not count as stuck.
    private func stillWorking(progress: ProgressBox, within: Duration) {
        let now = ContinuousClock.now
        pulse.beat(at: now, allowing: within + configuration.daemon.watchdogMargin)
        progress.state.withLock { $0.lastProgress = now }
    }

    /// A fixed origin for the rate meter's times.
    private static let origin = ContinuousClock.now

    private func progressLine(_ progress: Progress, stuckFor: Duration? = nil) -> String {
        guard let total = progress.total else {
            return StatusLine.planning(
                version: job.migrationVersion,
                name: job.migrationName,
                direction: job.direction.rawValue,
                heldBy: progress.pausedByThrottle ? progress.throttle : nil
            ) + StatusLine.stuck(for: stuckFor)
        }
        return StatusLine.job(
            version: job.migrationVersion,
            name: job.migrationName,
            direction: job.direction.rawValue,
            done: progress.done,
            total: total,
            itemsPerSecond: progress.pausedByThrottle ? nil : progress.rate.itemsPerSecond,
            throttle: progress.throttle,
            stuckFor: stuckFor
        )
    }

    /// Runs `work` while ``heartbeat(progress:stopping:changed:logger:)`` renews the lease, hearing the NOTIFYs
    /// about the job. The heartbeat lasts as long as `work`, the batch a shutdown lets finish included (up to its
    /// timeout, longer than a lease): so unstructured, out of the shutdown's reach, like the runner
    /// (``GracefulJobRun``), and ended with `work`. It ends earlier when the lease is lost.
    private func heartbeating<Result: Sendable>(
        progress: ProgressBox,
        stopping run: GracefulJobRun,
        logger: Logger,
        _ work: () async -> Result
    ) async -> Result {
        let changed = Wakeup()
        changes.watch(job.id, wakeup: changed)
        defer { changes.unwatch() }
        let renewing = Task {
            await heartbeat(progress: progress, stopping: run, changed: changed, logger: logger)
        }
        let result = await work()
        renewing.cancel()
        await renewing.value
        return result
    }

    /// Renews the lease every third of its duration, and at once when `changed` says an operator changed the job:
    /// a pause or cancel in the answer stops the runner after its batch in flight. Reports the job stuck when it makes
    /// no progress for `stuck_after`. Returns when the lease is lost (the caller then stops the runner) or the task is
    /// cancelled.
    private func heartbeat(
        progress: ProgressBox,
        stopping run: GracefulJobRun,
        changed: Wakeup,
        logger: Logger
    ) async {
        let interval = configuration.daemon.lease / 3
        while !Task.isCancelled {
            await changed.wait(upTo: interval)
            if Task.isCancelled { return }
            do {
                let control = try await store.heartbeat(lease)
                metrics.leaseRenewed(at: .now)
                if control.shouldStop, !run.isStopRequested {
                    progress.state.withLock { $0.stoppedBy = control }
                    run.requestStop()
                }
            } catch .leaseLost {
                journalLeaseLost(progress, logger: logger, "stopping after the batch in flight")
                run.requestStop()
                return
            } catch {
                // An outage is journalled once, by the work loop that waits it out; anything else is worth a warning.
                if error.postgresError?.isTransient == true {
                    logger.debug("lease heartbeat failed, will retry", metadata: ["error": "\(error)"])
                } else {
                    logger.warning("lease heartbeat failed, will retry", metadata: ["error": "\(error)"])
                }
            }
            let now = ContinuousClock.now
            // Journalled once; STATUS= says at every heartbeat how long it has been stuck.
            let stuck = progress.state.withLock { state -> (silent: Duration, snapshot: Progress, first: Bool)? in
                let silent = now - state.lastProgress
                guard silent >= configuration.daemon.stuckAfter else { return nil }
                defer { state.stuckReported = true }
                return (silent, state, !state.stuckReported)
            }
            if let (silent, snapshot, first) = stuck {
                if first {
                    logger.warning(
                        "job stuck: no progress for \(DurationText.format(silent.roundedToSeconds))",
                        metadata: [
                            SluiceLogKey.messageID: "\(SluiceMessageID.jobStuck)",
                            SluiceLogKey.itemsDone: "\(snapshot.done)",
                            "stuck_seconds": "\(silent.components.seconds)",
                        ]
                    )
                }
                status(progressLine(snapshot, stuckFor: silent))
            }
        }
    }

    // MARK: Endings

    /// The runner stopped after its batch in flight: on an operator's `control`, or for the daemon's shutdown (nil),
    /// with `done` the progress of its last checkpoint.
    private func stopped(_ control: JobControl?, done: Int64, runner: JobRunner, logger: Logger) async -> End {
        guard let control else {
            logger.notice(
                "job stopped for shutdown after its batch in flight; it resumes from offset \(done)",
                metadata: [
                    SluiceLogKey.messageID: "\(SluiceMessageID.jobStoppedForShutdown)", SluiceLogKey.offset: "\(done)",
                    SluiceLogKey.itemsDone: "\(done)",
                ]
            )
            return .done
        }
        if control.cancelRequested {
            return await outOfTheShutdownsReach { await finishCancelled(by: runner, logger: logger) }
        }
        if control.state == .paused {
            let pausedBy = await pausedBy()
            logger.notice(
                // The batch in flight when the pause was read went on: the job's own offset, not the control's.
                "job paused by \(pausedBy) at offset \(done)",
                metadata: [SluiceLogKey.messageID: "\(SluiceMessageID.jobPaused)", SluiceLogKey.offset: "\(done)"]
            )
            return .done
        }
        logger.notice("job stopped: it is \(control.state.rawValue) now")
        return .done
    }

    /// Runs a job's `end` to its finish even when the daemon stops meanwhile, as the runner's own end runs
    /// (``GracefulJobRun``): a cancel recorded in Postgres is mirrored to the graph too, not cut off between the two,
    /// which would leave the job's node unfinished and its `(:Migration)` node without the partial history. The graph's
    /// answer timeout bounds the wait, and it is shorter than the unit's stop timeout.
    private func outOfTheShutdownsReach(_ end: @escaping @Sendable () async -> End) async -> End {
        // Unstructured on purpose: the caller's cancellation must not reach it.
        await Task { await end() }.value
    }

    /// The runner's own info lines (planned, succeeded) are the session's journal events, with message ids.
    private static func runnerLogger(_ logger: Logger) -> Logger {
        var runnerLogger = logger
        runnerLogger.logLevel = max(.notice, logger.logLevel)
        return runnerLogger
    }

    /// Connects to the job's graph with the answer bound. A server that takes the connection and says nothing (a
    /// stopped one) is waited for up to the connect's bounds, which may be longer than a batch's: the watchdog allows
    /// them.
    private func connect(_ graph: GraphSettings) async throws(BoltError) -> BoltConnection {
        pulse.beat(
            allowing: GraphSettings.longestConnect(answerTimeout: answerTimeout) + configuration.daemon.watchdogMargin
        )
        defer { pulse.beat(allowing: batchAllowance) }
        return try await graph.connect(answerTimeout: answerTimeout)
    }

    /// The graph settings with the job's database.
    private var jobGraph: GraphSettings {
        var graph = configuration.graph
        graph.database = job.target.database.isEmpty ? nil : job.target.database
        return graph
    }

    /// Ends a job claimed with its cancel pending (its worker died while it ran or was paused, or stopped before the
    /// cancel reached it) as a running one is ended: when it changed items, its partial history is mirrored to the
    /// graph's `(:Migration)` node and its job node is marked finished, where migration and graph can be reached. The
    /// cancel does not wait for them: without them it ends in Postgres alone (with its history there), and says so.
    private func cancelPending(logger: Logger) async -> End {
        guard job.itemsChanged > 0 else { return await finishCancelled(logger: logger) }
        guard case .success(let migration) = loadMigration(logger: logger) else {
            logger.warning(
                "cancelled job's history not mirrored to the graph's (:Migration) node: its migration file cannot be read"
            )
            let end = await finishCancelled(logger: logger)
            if case .done = end { await finishInGraphWithoutMigration(logger: logger) }
            return end
        }
        let graph = jobGraph
        let connection: BoltConnection
        let capabilities: BoltCapabilities
        do {
            connection = try await connect(graph)
            do {
                capabilities = try await graph.capabilities(of: connection)
            } catch {
                await connection.close()
                throw error
            }
        } catch {
            logger.warning("cancelled job not recorded in the graph: \(error)")
            return await finishCancelled(logger: logger)
        }
        defer { Task { await connection.close() } }
        let runner = JobRunner(
            store: store,
            connection: connection,
            capabilities: capabilities,
            migration: migration,
            configuration: JobRunner.Configuration(batchTimeout: configuration.engine.batchTimeout),
            logger: Self.runnerLogger(logger)
        )
        return await finishCancelled(by: runner, logger: logger)
    }

    /// Ends the job as cancelled: with `runner`, in the graph too (its history node and job node), as the run that
    /// stopped for the cancel; without (``cancelPending(logger:)`` found nothing to mirror, or could not), in
    /// Postgres alone.
    private func finishCancelled(by runner: JobRunner? = nil, logger: Logger) async -> End {
        do throws(JobStoreError) {
            let job: Job
            if let runner {
                do {
                    job = try await runner.cancelJob(lease)
                } catch .store(_, let error) {
                    throw error
                } catch .leaseLost {
                    logger.warning(
                        "lease lost: another worker took the job over before it was cancelled",
                        metadata: [SluiceLogKey.messageID: "\(SluiceMessageID.leaseLost)"]
                    )
                    return .done
                } catch {
                    // The graph's side failed after Postgres recorded the end: the job is cancelled all the same.
                    logger.warning("cancelled job not recorded in the graph: \(error)")
                    guard let ended = try await store.job(lease.jobID) else { throw .jobNotFound(lease.jobID) }
                    job = ended
                }
            } else {
                job = try await store.finish(lease, .cancelled)
            }
            logger.notice(
                "job cancelled by an operator at offset \(job.planDone)",
                metadata: [
                    SluiceLogKey.messageID: "\(SluiceMessageID.jobCancelled)", SluiceLogKey.offset: "\(job.planDone)",
                    SluiceLogKey.itemsDone: "\(job.planDone)",
                    SluiceLogKey.itemsTotal: "\(job.planTotal ?? job.planDone)",
                ]
            )
            return .done
        } catch {
            return storeProblem(error, doing: "record the cancellation", logger: logger)
        }
    }

    /// The run on `connection` ended with `error`: stopping, waiting (resumable), or failing the job.
    private func failed(
        _ error: EngineError,
        on connection: BoltConnection,
        progress: ProgressBox,
        logger: Logger
    ) async -> End {
        if Task.isCancelled {
            // Stopping: whatever broke on the way out is no reason to fail the job; it resumes from its checkpoint.
            // The checkpoint it resumes from, as a clean stop's entry names it.
            let done = progress.state.withLock { $0.done }
            logger.notice(
                "job interrupted by the shutdown: \(error); it resumes from offset \(done)",
                metadata: [SluiceLogKey.offset: "\(done)", SluiceLogKey.itemsDone: "\(done)"]
            )
            try? await store.release(lease)
            return .done
        }
        switch error {
        case .leaseLost:
            journalLeaseLost(progress, logger: logger, "this one stopped")
            return .done
        case .store(_, let storeError):
            if let postgres = storeError.postgresError, postgres.isTransient {
                return .postgresUnavailable(postgres)
            }
            if case .leaseLost = storeError {
                journalLeaseLost(progress, logger: logger, "this one stopped")
                return .done
            }
            return await fail("\(error)", logger: logger)
        case .bolt(let boltError) where Self.letsTheJobWait(boltError):
            return await letGo(after: boltError, silentSince: await connection.silenceBegan(), logger: logger)
        case .bolt, .migration, .graphLostProgress, .tooManyFailingItems, .schema, .preflight:
            return await fail("\(error)", logger: logger)
        }
    }

    /// Journals once per session that another worker took the job over: the heartbeat may hear of it first (and stops
    /// the run), then the runner's next write or the graph-side node's fence says it again.
    private func journalLeaseLost(_ progress: ProgressBox, logger: Logger, _ consequence: String) {
        let first = progress.state.withLock { state in
            defer { state.leaseLost = true }
            return !state.leaseLost
        }
        if first {
            logger.warning(
                "lease lost: another worker took the job over; \(consequence)",
                metadata: [SluiceLogKey.messageID: "\(SluiceMessageID.leaseLost)"]
            )
        }
    }

    /// Errors that waiting can cure: the server is down, restarting, or the connection broke.
    static func isUnavailability(_ error: BoltError) -> Bool {
        if error.isConnectionGone { return true }
        if case .server(let server) = error { return server.classification == .transient || server.isRetryable }
        return false
    }

    /// A wrong password: waiting alone cannot cure it, but it is the daemon's configuration that is wrong, not the
    /// job (``End/graphRefusedCredentials(_:)``).
    static func isRefusedCredentials(_ error: BoltError) -> Bool {
        if case .authenticationFailed = error { return true }
        return false
    }

    /// The graph errors that let the job go to wait (``letGo(after:logger:)``) rather than fail it: an unreachable
    /// graph, or refused credentials.
    static func letsTheJobWait(_ error: BoltError) -> Bool {
        isUnavailability(error) || isRefusedCredentials(error)
    }

    /// Lets the job go, resumable, when the graph is unreachable or refused the credentials: the work loop waits and
    /// says so once (STATUS= at every attempt), so this logs at debug level only.
    private func letGo(
        after error: BoltError,
        silentSince: ContinuousClock.Instant? = nil,
        logger: Logger
    ) async -> End {
        logger.debug("graph \(job.target) did not let the job run: \(error)")
        do {
            try await store.release(lease)
        } catch {
            return storeProblem(error, doing: "release the lease", logger: logger)
        }
        return Self.isRefusedCredentials(error)
            ? .graphRefusedCredentials("\(error)") : .graphUnavailable("\(error)", since: silentSince)
    }

    /// Ends the job as failed for `reason`; a dry run's with its `preview`.
    private func fail(_ reason: String, preview: [String] = [], logger: Logger) async -> End {
        journalFailure(reason, of: job, logger: logger)
        do {
            _ = try await store.finish(lease, .failed(reason), preview: preview)
        } catch {
            return storeProblem(error, doing: "record the failure", logger: logger)
        }
        return .done
    }

    /// The job's failure, with the fields its catalog entry names (`journalctl -x`).
    private func journalFailure(_ reason: String, of job: Job, logger: Logger) {
        logger.error(
            "job failed: \(reason)",
            metadata: [
                SluiceLogKey.messageID: "\(SluiceMessageID.jobFailed)", SluiceLogKey.errorMessage: "\(reason)",
                SluiceLogKey.itemsDone: "\(job.planDone)",
                SluiceLogKey.itemsTotal: "\(job.planTotal ?? job.planDone)",
            ]
        )
    }

    private func storeProblem(_ error: JobStoreError, doing what: String, logger: Logger) -> End {
        if let postgres = error.postgresError, postgres.isTransient {
            return .postgresUnavailable(postgres)
        }
        logger.error("could not \(what): \(error)")
        return .done
    }

    // MARK: Helpers

    /// Who resumed the job, when the resume is what this claim follows: the last change of its state under the
    /// previous lease was out of `paused`. A resume followed by a run that ended in a stop or a crash is no news now.
    private func resumedBy() async -> String? {
        guard let last = await lastStateChange(underLease: lease.token - 1), last.oldValue == JobState.paused.rawValue
        else { return nil }
        return last.actor ?? "an operator"
    }

    /// Who paused the job while this session held it, as its events name them.
    private func pausedBy() async -> String {
        guard let last = await lastStateChange(underLease: lease.token), last.newValue == JobState.paused.rawValue,
            let actor = last.actor
        else { return "an operator" }
        return actor
    }

    /// The job's last change of state recorded under lease token `token`, when its events can be read. Each claim
    /// raises the token by one, and an operator's pause or resume is recorded under the token of the lease it found
    /// (held or let go): so `lease.token - 1` is the previous lease's time, up to this claim.
    private func lastStateChange(underLease token: Int64) async -> JobEvent? {
        (try? await store.events(of: job.id))?.last { $0.kind == .state && $0.leaseToken == token }
    }

    /// The job's migration from the folder, as it was when the job was enqueued (same checksum).
    ///
    /// Only the job's own file counts: another file of the folder that is invalid (a migration added during a long
    /// job, a `git pull` of work in progress) is journaled as a warning and otherwise left alone, since the job does
    /// not need it; `sluice check` and the operator's commands still refuse it.
    private func loadMigration(logger: Logger) -> Result<MigrationFile, MigrationProblem> {
        let folder = MigrationsFolder.toRead(explicit: configuration.migrationsFolder)
        guard let version = MigrationVersion(job.migrationVersion) else {
            return .failure(MigrationProblem(reason: "no migration \(job.migrationVersion) in \(folder)"))
        }
        let found: (migration: MigrationFile?, otherProblems: [MigrationError])
        do {
            found = try MigrationCatalog.migration(version, folder: folder)
        } catch {
            return .failure(MigrationProblem(reason: "the migrations in \(folder) are invalid: \(error.description)"))
        }
        if !found.otherProblems.isEmpty {
            let files = Set(found.otherProblems.map(\.path)).count
            let problems = found.otherProblems.map(\.description).joined(separator: "; ")
            logger.warning(
                "\(files == 1 ? "an invalid file" : "\(files) invalid files") in \(folder) left alone: the job needs only \(version)'s file (\(problems)); sluice check --migrations \(folder) lists the problems"
            )
        }
        guard let migration = found.migration else {
            return .failure(MigrationProblem(reason: "no migration \(job.migrationVersion) in \(folder)"))
        }
        guard migration.checksum == job.migrationChecksum else {
            return .failure(
                MigrationProblem(
                    reason:
                        "\(migration.path) changed since the job was enqueued (checksum \(migration.checksum.prefix(12)), "
                        + "job \(job.migrationChecksum.prefix(12))): a job runs the file it was queued with; queue the migration again "
                        + "to run the file as it is now (`sluice enqueue \(job.migrationVersion)\(job.direction == .down ? " --down" : "")`), after restoring it if "
                        + "the change was a mistake"
                )
            )
        }
        return .success(migration)
    }

    /// Ends in the graph too a job ended in Postgres without its migration file
    /// (``GraphJobNode/finishWithoutMigration(_:connection:options:)``): best effort, for a job claimed before, which
    /// may have a node and a hold there.
    private func finishInGraphWithoutMigration(logger: Logger) async {
        guard lease.previousOwner != nil else { return }
        let graph = jobGraph
        let unreleased = "the job's hold on its items in the graph lapses with its lease, not now"
        let connection: BoltConnection
        do {
            connection = try await connect(graph)
        } catch {
            logger.warning("\(unreleased): \(error)")
            return
        }
        do {
            try await GraphJobNode.finishWithoutMigration(
                lease,
                connection: connection,
                options: BoltTransactionOptions(database: graph.database)
            )
        } catch {
            logger.warning("\(unreleased): \(error)")
        }
        await connection.close()
    }

    /// Why the job's migration cannot be used.
    private struct MigrationProblem: Error {
        var reason: String
    }

    private func status(_ line: String) {
        try? notifier.send(.status(line))
    }
}
