import ArgumentParser
import Bolt
import Daemon
import Dispatch
import Engine
import Foundation
import JobStore
import Logging
import Migrations
import Throttle

/// `sluice run`: one migration as a job in the foreground, through the same engine and job store as
/// the daemon.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one migration as a resumable job in the foreground.",
        discussion: """
            The job is recorded in the job store like a daemon's: Ctrl-C stops it after the batch in flight, \
            and running the same command again resumes it where it stopped, also after a crash (kill -9). \
            When a job of another job store holds the same items in the graph, the run stops before it \
            plans, with one line naming that job and until when it holds them (its lease). \
            Progress shows as a bar on a terminal, as a line every few seconds otherwise.

            The throttle times a probe read on its own connection and keeps its p99 under --target-p99 by \
            shrinking batches and pausing between them; time windows (--window, as in `sluice schedule`) \
            cap or pause the job, and `sluice throttle JOB --max-rate N` caps it from another terminal. It starts \
            from the configuration's [throttle] (--config), as a daemon's job would; each throttle flag overrides \
            one setting, and --window or --windows-file replace the configured windows.
            """
    )

    @OptionGroup var graph: GraphOptions
    @OptionGroup var store: DBOptions
    @OptionGroup var migrations: MigrationsOptions

    @OptionGroup var dialect: DialectOption
    @OptionGroup(title: "Throttle") var throttle: ThrottleOptions

    @Argument(help: "The migration's version, e.g. 007 or 7 (none with --all).")
    var version: String?

    @Flag(help: "Apply every pending migration in version order, stopping at the first that fails.")
    var all = false

    @Flag(help: "Undo the migration (run its down direction).")
    var down = false

    @Option(help: "Items per batch (default: the migration's batch_size, else [engine] batch_size, 10,000).")
    var batchSize: Int?

    @OptionGroup var preflight: PreflightOptions

    @Flag(
        help: "Write nothing: plan read-only, count the items per step, show the batch statement and its EXPLAIN plan."
    )
    var dryRun = false

    @Option(
        help:
            "With --dry-run: run N items through the change in a transaction that is rolled back (only where rollback undoes writes)."
    )
    var sample: Int?

    @Option(
        help: ArgumentHelp(
            "This worker's identity in the job store (default: <host>/<machine id>/sluice-run).",
            discussion: "A run started again under the same identity reclaims its own lease at once.",
            valueName: "name"
        )
    )
    var worker: String?

    @Option(help: "Seconds the lease lasts between checkpoints; after that another worker may take the job over.")
    var leaseSeconds: Int = 60

    @Flag(
        help: """
            Progress as JSON lines on stdout, no bar: one per committed batch ("event": "batch", "done": the plan \
            offset reached, "total", "changed", "batch_size", "batch_ms"), then one for the ending ("event": \
            "succeeded", "failed", "cancelled", "paused", "stopped", "error" or "already_done", with "job" and \
            "message"); errors still go to stderr with the exit status.
            """
    )
    var json = false

    func validate() throws {
        if let refusal = JobRequest.batchSizeRefusal(batchSize) { throw ValidationError(refusal) }
        if leaseSeconds < 1 { throw ValidationError("--lease-seconds must be at least 1") }
        if let worker, worker.isEmpty { throw ValidationError("--worker must not be empty") }
        if all == (version != nil) { throw ValidationError("give one migration version, or --all") }
        if all && down { throw ValidationError("--all applies pending migrations; undo them one by one with --down") }
        if let sample, sample < 1 { throw ValidationError("--sample must be at least 1") }
        if sample != nil && !dryRun { throw ValidationError("--sample needs --dry-run") }
        if all && dryRun { throw ValidationError("--dry-run previews one migration: give its version") }
    }

    func run() async throws {
        let configuration = try store.file.daemonConfiguration()
        let catalog = try migrations.loadCatalog(configured: configuration.migrationsFolder)
        let chosen = try version.map { try Self.migration($0, in: catalog) }
        if dryRun, let migration = chosen {
            try await graph.withConnection(configuration: configuration) { connection, resolved in
                let capabilities = try await dialect.capabilities(connection, settings: resolved)
                try await Self.preview(
                    migration,
                    direction: down ? .down : .up,
                    sample: sample,
                    connection: connection,
                    capabilities: capabilities,
                    database: resolved.database,
                    skip: preflight.checks
                )
            }
            return
        }
        var logger = Logger(label: "sluice.run")
        logger.logLevel = .warning
        let direction: JobDirection = down ? .down : .up
        let throttleSettings = try throttle.settings(over: configuration.throttle)

        // Every statement of the job carries [engine] batch_timeout as its tx_timeout: a connection that hears nothing
        // for longer is lost (a stopped server), and the run ends saying so instead of waiting forever.
        let answerTimeout = configuration.graphAnswerTimeout
        try await graph.withConnection(configuration: configuration, answerTimeout: answerTimeout) {
            connection,
            resolved in
            // The job store opens while the server is probed: neither needs the other, so the job starts sooner.
            async let probed = dialect.capabilities(connection, settings: resolved)
            let jobStore: JobStore
            do {
                jobStore = try await JobStore.open(try store.configuration(), logger: logger, migrate: true)
            } catch {
                throw CommandError("\(error)")
            }
            defer { Task { await jobStore.close() } }
            let capabilities = try await probed
            let target = resolved.target
            var queue: [MigrationFile]
            var blocker: MigrationStatus?
            if let chosen {
                queue = [chosen]
            } else {
                let ledger = try await MigrationLedger.read(jobStore, catalog: catalog, target: target)
                (queue, blocker) = ledger.pending
                var errors = StandardOutput.error
                for changed in ledger.statuses where changed.state == .changedAfterApply {
                    errors.write(
                        "warning: \(Self.changedAfterApply(changed.version, applied: changed.applied?.checksum))\n"
                    )
                }
                if queue.isEmpty && blocker == nil {
                    var output = StandardOutput()
                    output.write("nothing pending on \(target)\n")
                }
            }
            for migration in queue {
                try await runJob(
                    migration,
                    direction: direction,
                    store: jobStore,
                    connection: connection,
                    capabilities: capabilities,
                    graph: resolved,
                    throttle: throttleSettings,
                    engine: configuration.engine,
                    answerTimeout: answerTimeout,
                    logger: logger
                )
            }
            if let blocker {
                throw CommandError(
                    "\(blocker.version) is partially applied: run it again (sluice run \(blocker.version)) or undo it "
                        + "(sluice run \(blocker.version) --down) before the migrations after it"
                )
            }
        }
    }

    /// The catalog's migration of an operator's version argument, or a one-line error.
    static func migration(_ text: String, in catalog: MigrationCatalog) throws -> MigrationFile {
        guard let version = MigrationVersion(text) else {
            throw CommandError("invalid migration version '\(text)': expected a number such as 007")
        }
        guard let migration = catalog.migration(version) else {
            throw CommandError("no migration \(version) in \(catalog.folder)")
        }
        return migration
    }

    /// Runs one migration's job in the foreground to its end; throws when it does not succeed.
    func runJob(
        _ migration: MigrationFile,
        direction: JobDirection,
        store jobStore: JobStore,
        connection: BoltConnection,
        capabilities: BoltCapabilities,
        graph: GraphOptions.Resolved,
        throttle throttleSettings: ThrottleSettings,
        engine: EngineSettings,
        answerTimeout: Duration,
        logger: Logger
    ) async throws {
        let target = graph.target
        let batchSize = migration.batchSize(self.batchSize, configured: engine.batchSize)
        let worker = worker.map(WorkerIdentity.init(rawValue:)) ?? WorkerIdentity.derived(unit: "sluice-run")
        let leaseDuration = Duration.seconds(leaseSeconds)
        let found: (job: Job, lease: JobLease?)
        do {
            found = try await Self.findOrEnqueue(
                jobStore,
                migration: migration,
                direction: direction,
                target: target,
                batchSize: batchSize,
                connection: connection,
                database: graph.database,
                worker: worker,
                leaseDuration: leaseDuration
            )
        } catch let done as AlreadyDone {
            if json {
                Self.writeJSON(EndingEvent(event: "already_done", job: nil, offset: nil, message: done.message))
            } else {
                var output = StandardOutput()
                output.write(done.message + "\n")
            }
            return
        }
        // A job enqueued here is leased to this run as it is inserted; one found unfinished is claimed now.
        let lease: JobLease
        if let leased = found.lease {
            lease = leased
            _ = try await jobStore.lockForRun(leased.jobID)
        } else {
            lease = try await Self.claim(found.job.id, in: jobStore, worker: worker, leaseDuration: leaseDuration)
        }
        let job = lease.job
        let pacer =
            throttle.noThrottle
            ? nil
            : try BatchPacer(
                configuration: throttleSettings.configuration.fitted(toBatchSize: lease.job.requestedBatchSize),
                schedule: { throttleSettings.schedule }
            )
        let connect = { @Sendable () async throws(BoltError) -> BoltConnection in
            try await graph.connect(answerTimeout: answerTimeout)
        }
        let probe = LatencyProbe(
            migration: migration,
            configured: throttleSettings.probe,
            configuration: LatencyProbe.Configuration(interval: throttleSettings.probeInterval),
            options: BoltTransactionOptions(database: graph.database),
            logger: logger,
            connect: connect
        )
        let runner = JobRunner(
            store: jobStore,
            connection: connection,
            capabilities: capabilities,
            migration: migration,
            configuration: .init(
                batchSize: batchSize,
                batchTimeout: engine.batchTimeout,
                skipPreflight: preflight.checks
            ),
            pacer: pacer,
            connectBeside: connect,
            logger: logger
        )
        let display = ProgressDisplay(title: "\(migration.version) \(migration.name) \(direction.rawValue)")
        let run = GracefulJobRun()
        let json = self.json
        let ending: JobRunner.Ending
        do {
            ending = try await Self.runInterruptibly(stopping: run) {
                try await run.run(runner, lease: lease, probe: probe) { progress in
                    // A batch once, when it is committed: not the throttle's decisions and waits between batches.
                    if !json {
                        display.update(progress)
                    } else if progress.committedBatch, let total = progress.total {
                        Self.writeJSON(BatchEvent(progress, total: total))
                    }
                }.get()
            }
        } catch let error as EngineError {
            display.finish()
            // An outage or a server that refuses writes for now (read-only, disk full) leaves the job resumable.
            var resume = ""
            switch error {
            case .store(_, let storeError) where storeError.postgresError?.isTransient == true:
                resume =
                    "; once Postgres accepts writes again, run the command again: the job resumes from its checkpoint"
            case .bolt(let boltError) where boltError.isConnectionGone:
                resume = "; once the graph answers again, run the command again: the job resumes from its checkpoint"
            default: break
            }
            throw endingError(
                "error",
                job: job,
                "\(migration.version) \(direction.rawValue): \(error) (job \(job.id))\(resume)"
            )
        }
        display.finish()
        var output = StandardOutput()
        switch ending {
        case .succeeded(let job) where json:
            Self.writeJSON(
                SucceededEvent(
                    job: job.id.rawValue,
                    planned: job.planDone,
                    changed: job.itemsChanged,
                    skipped: job.itemsSkipped,
                    quarantined: job.itemsQuarantined
                )
            )
        case .succeeded(let job):
            output.write(
                "\(migration.version) \(direction.rawValue): succeeded, \(job.planDone) items planned, "
                    + "\(job.itemsChanged) changed, \(job.itemsSkipped) no longer matching, "
                    + "\(job.itemsQuarantined) quarantined, verified (job \(job.id))\n"
            )
        case .failed(let job, let reason):
            throw endingError(
                "failed",
                job: job,
                "\(migration.version) \(direction.rawValue): failed: \(reason) (job \(job.id))"
            )
        case .stopped(let control?) where control.cancelRequested:
            // The run holds the job: it ends it, as a daemon would; nobody else would.
            let ended = try await runner.cancelJob(lease)
            let kept = JobView(ended).keptChanges.map { "; " + $0 } ?? ""
            throw endingError(
                "cancelled",
                job: ended,
                "\(migration.version) \(direction.rawValue): cancelled by an operator at offset \(ended.planDone) "
                    + "(job \(job.id))\(kept)"
            )
        case .stopped(let control?) where control.state == .paused:
            // The batch in flight when the pause was read went on: the job's own offset, not the control's.
            let offset = try await jobStore.job(job.id)?.planDone ?? control.planDone
            throw endingError(
                "paused",
                job: job,
                offset: offset,
                "\(migration.version) \(direction.rawValue): paused by an operator at offset \(offset) "
                    + "(job \(job.id)): `sluice resume \(job.id)` lets it go on, then run the command again"
            )
        case .stopped(let control):
            let why = control.map { "\($0.state.rawValue)" } ?? "interrupted"
            let message =
                "\(migration.version) \(direction.rawValue): stopped (\(why)); run the command again to resume (job \(job.id))"
            if json {
                writeEnding("stopped", job: job, offset: try? await jobStore.job(job.id)?.planDone, message)
            } else {
                output.write(message + "\n")
            }
            if control == nil { throw ExitCode(130) }
        case .fenced:
            throw endingError(
                "error",
                job: job,
                "job \(job.id) was taken over by another worker; this run stopped, what it committed before is kept"
            )
        case .graphBusy(let holder):
            var left = "run the command again once it ended (job \(job.id))"
            if found.lease != nil, job.planDone == 0, job.itemsChanged == 0 {
                // Queued by this run and refused before its first write: left planning, it would hold this store's
                // graph for every other migration, and no daemon takes a run's job. Ended, as the same store's
                // refusal leaves nothing behind.
                if (try? await jobStore.cancel(job.id, by: Self.requester))?.state == .cancelled {
                    left =
                        "nothing was changed, and this run's own job \(job.id) is cancelled; run the command again once that "
                    left += "one ended"
                }
            }
            throw endingError(
                "error",
                job: job,
                "\(migration.version) \(direction.rawValue): the graph's items are held by \(holder); \(left)"
            )
        }
    }

    /// One `--json` line for a batch: the plan offset it reached and how long it took with its checkpoint.
    struct BatchEvent: Encodable {
        let event = "batch"
        var done: Int64
        var total: Int64
        var changed: Int64
        var batchSize: Int
        var batchMs: Double

        init(_ progress: JobRunner.Progress, total: Int64) {
            let (seconds, attoseconds) = progress.lastBatch.components
            (done, self.total, changed) = (progress.done, total, progress.itemsChanged)
            batchSize = progress.batchSize
            batchMs = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        }

        enum CodingKeys: String, CodingKey {
            case event, done, total, changed
            case batchSize = "batch_size"
            case batchMs = "batch_ms"
        }
    }

    /// The error a run ends with, `message`, its `--json` ending line written first.
    private func endingError(_ event: String, job: Job, offset: Int64? = nil, _ message: String) -> CommandError {
        writeEnding(event, job: job, offset: offset ?? job.planDone, message)
        return CommandError(message)
    }

    /// With `--json`, the line of a run's ending (``EndingEvent``): the errors' through ``endingError``, and a stop's,
    /// which exits 130 or 0 and is no error.
    private func writeEnding(_ event: String, job: Job, offset: Int64?, _ message: String) {
        guard json else { return }
        Self.writeJSON(EndingEvent(event: event, job: job.id.rawValue, offset: offset, message: message))
    }

    /// The `--json` line of a run that did not succeed: how it ended (`failed`, `cancelled`, `paused`, `stopped`,
    /// `error`, `already_done`), the job and its offset where there is one, and the line stderr has too.
    struct EndingEvent: Encodable {
        var event: String
        var job: Int64?
        var offset: Int64?
        var message: String
    }

    /// The `--json` line of a job that succeeded.
    struct SucceededEvent: Encodable {
        let event = "succeeded"
        var job: Int64
        var planned: Int64
        var changed: Int64
        var skipped: Int64
        var quarantined: Int64
    }

    /// Written with `JSONEncoder` (swift-foundation's, no ICU), not `JSONSerialization`, whose sorted keys
    /// compare through ICU's collator: loading its collation data added about 2 MB to every `sluice run --json`.
    static func writeJSON(_ event: some Encodable) {
        guard let text = try? JSONOutput.text(event) else { return }
        var output = StandardOutput()
        output.write(text)
    }

    /// `--dry-run`: what the job would do, without writing.
    static func preview(
        _ migration: MigrationFile,
        direction: MigrationDirection.Kind,
        sample: Int?,
        connection: BoltConnection,
        capabilities: BoltCapabilities,
        database: String?,
        skip: Set<PreflightCheck>
    ) async throws {
        var logger = Logger(label: "sluice.run")
        logger.logLevel = .warning
        let dryRun = DryRun(
            connection: connection,
            capabilities: capabilities,
            migration: migration,
            options: BoltTransactionOptions(database: database),
            skip: skip,
            logger: logger
        )
        let report: DryRun.Report
        do {
            report = try await dryRun.run(direction, sample: sample)
        } catch {
            throw CommandError("\(migration.version) \(direction) --dry-run: \(error)")
        }
        var output = StandardOutput()
        output.write("\(migration.version) \(migration.name) \(direction): dry run, nothing written\n")
        for name in report.parameters.keys.sorted() {
            // Evaluated now: the job binds its own when it is planned.
            output.write(
                "parameter $\(name) = \(report.parameters[name]!) (evaluated now; a job binds it when planned)\n"
            )
        }
        for step in report.steps {
            output.write("\nstep at line \(step.line) (\(step.kind))\n")
            if let planned = step.planned { output.write("items planned: \(planned)\n") }
            output.write(
                (step.kind == "data" ? "batch statement:\n" : "statement (its own auto-commit transaction):\n")
                    + Self.indent(step.statement) + "\n"
            )
            if step.kind == "data" {
                output.write(
                    "EXPLAIN:\n" + Self.indent(step.plan ?? "unavailable: the server returns no plan over Bolt") + "\n"
                )
            }
            if let sampled = step.sampled, let changed = step.sampleChanged {
                output.write("sample: \(sampled) items run, \(changed) changed, rolled back\n")
            }
        }
        for refusal in report.refusals {
            output.write("\npre-flight would refuse: \(refusal)\n")
        }
        for unchecked in report.unchecked {
            output.write("\npre-flight not checked: \(unchecked)\n")
        }
        // A preview that can gate a deploy: the job would be refused.
        if !report.refusals.isEmpty { throw ExitCode(1) }
    }

    private static func indent(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
    }

    /// The unfinished job of this migration, direction and graph (`lease` nil: the caller claims it), or a new one
    /// inserted already leased to `worker` (`lease`), so that no daemon sharing the job store can take it before this
    /// run holds it. A new job that could not start now (another job holds the graph, or an earlier one is queued
    /// first) is not added at all: a one-line error, nothing queued, nothing changed. A new down is refused before
    /// its job is made when the graph behind `connection` says the migration was finalized.
    static func findOrEnqueue(
        _ store: JobStore,
        migration: MigrationFile,
        direction: JobDirection,
        target: JobTarget,
        batchSize: Int,
        connection: BoltConnection,
        database: String?,
        worker: WorkerIdentity,
        leaseDuration: Duration
    ) async throws -> (job: Job, lease: JobLease?) {
        let unfinished = try await store.jobs(states: [.queued, .planning, .running, .paused])
        if let job = unfinished.first(where: {
            $0.migrationVersion == "\(migration.version)" && $0.direction == direction && $0.target == target
                && !$0.dryRun
        }) {
            guard job.migrationChecksum == migration.checksum else {
                throw CommandError(
                    "job \(job.id) for \(migration.version) was started from a different version of \(migration.path); "
                        + "cancel it (sluice cancel \(job.id)) or restore the file"
                )
            }
            if job.state == .paused {
                throw CommandError(
                    "job \(job.id) of \(migration.version) \(direction.rawValue) is paused: `sluice resume \(job.id)` lets "
                        + "it go on, then run the command again"
                )
            }
            return (job, nil)
        }
        // Nothing unfinished: a finished job of this migration decides whether there is work. A run
        // killed after its job succeeded must not apply the migration a second time when started again.
        let history = try await GraphHistory.load(store, target: target)
        if var reason = history.nothingToDo(migration.version, direction, target: target) {
            if direction == .up, let applied = history.latest(migration.version)?.checksum,
                applied != migration.checksum
            {
                reason += "; " + changedAfterApply(migration.version, applied: applied)
            }
            throw AlreadyDone(reason)
        }
        if let refusal = history.refusal(migration, direction) {
            throw CommandError(refusal)
        }
        // What only the graph knows: an up applied there under another URL, a down of a finalized migration.
        let refusal: String?
        do {
            let options = BoltTransactionOptions(database: database)
            refusal =
                switch direction {
                case .up:
                    try await GraphAlias.upRefusal(
                        version: "\(migration.version)",
                        target: target,
                        store: store,
                        connection: connection,
                        options: options
                    )
                case .down: try await Finalizer.downRefusal(migration, connection: connection, options: options)
                }
        } catch {
            let question = direction == .up ? "was applied under another URL" : "was finalized"
            throw CommandError("could not ask the graph whether \(migration.version) \(question): \(error)")
        }
        if let refusal { throw CommandError("\(refusal): nothing was run") }
        let request = JobRequest(
            migrationVersion: "\(migration.version)",
            migrationName: migration.name,
            migrationChecksum: migration.checksum,
            direction: direction,
            dryRun: false,
            target: target,
            batchSize: batchSize,
            priority: 0,
            enqueuedBy: Self.requester
        )
        guard
            let lease = try await store.enqueue(
                request,
                exclusive: true,
                leasedTo: worker,
                leaseDuration: leaseDuration
            )
        else {
            throw CommandError(
                "\(migration.version) \(direction.rawValue) cannot start now on \(target): \(Self.notDue); "
                    + "no job was queued, nothing was changed"
            )
        }
        return (lease.job, lease)
    }

    /// Who a job this command queues or resumes is recorded as requested by: the operator, as `sluice enqueue`
    /// records them, and that it was a foreground run.
    static var requester: String { OperatorName.current(via: "sluice run") }

    /// Why a job is not claimed now, as ``JobStore/claim(_:worker:leaseDuration:)`` refuses it.
    private static let notDue = "another job holds its graph, or an earlier one is queued first"

    /// The migration is already where the command would take it: not an error, nothing to do.
    /// Says that an applied migration's file changed since, which running it cannot bring to the graph.
    static func changedAfterApply(_ version: MigrationVersion, applied checksum: String?) -> String {
        "\(version)'s file changed after it was applied\(checksum.map { " (checksum \($0.prefix(12)) then)" } ?? ""): an "
            + "applied migration is not run again, so the change is not on the graph; put it in a new migration"
    }

    struct AlreadyDone: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    /// Claims `job` as `worker`: by default this host's foreground identity, so that a run killed and
    /// started again reclaims its own lease at once.
    static func claim(
        _ job: JobID,
        in store: JobStore,
        worker: WorkerIdentity,
        leaseDuration: Duration
    ) async throws -> JobLease {
        // Another live process runs it, its lease live: under one worker identity the claim would take that lease as
        // after a crash. One whose lease ran out (a stalled process) is taken over: fencing stops it.
        if try await !store.lockForRun(job), let held = try await store.job(job)?.leaseExpiresAt, held > Date() {
            throw CommandError(
                "job \(job) is being run by another `sluice run` (a process alive now); nothing was changed: follow "
                    + "it with `sluice status \(job) --watch`"
            )
        }
        guard let lease = try await store.claim(job, worker: worker, leaseDuration: leaseDuration) else {
            if let found = try await store.job(job), let owner = found.leaseOwner, let until = found.leaseExpiresAt,
                until > Date()
            {
                throw CommandError(
                    "job \(job) is running by \(owner) (its lease until \(JobView.instant(until))); nothing was "
                        + "changed: follow it with `sluice status \(job) --watch`"
                )
            }
            throw CommandError("job \(job) cannot be claimed now: \(notDue)")
        }
        return lease
    }

    /// Runs `work`, asking `run` to stop after the batch in flight on the first SIGINT or SIGTERM; a second
    /// signal ends the process at once.
    static func runInterruptibly<Result: Sendable>(
        stopping run: GracefulJobRun,
        _ work: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        let sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler {
                if run.isStopRequested { Foundation.exit(130) }
                FileHandle.standardError.write(Data("\nstopping after the batch in flight (again to quit now)\n".utf8))
                run.requestStop()
            }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }
        return try await work()
    }
}
