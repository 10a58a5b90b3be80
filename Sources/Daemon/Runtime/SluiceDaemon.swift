import Foundation
import JobStore
import Logging
import ServiceLifecycle
import Synchronization
import Systemd

/// `sluice daemon`'s work: claims jobs from the job table one at a time and runs each to its end, waiting out
/// outages instead of exiting (a restart loop would hit systemd's start limit).
///
/// READY=1 goes out as soon as the configuration is valid, before Postgres is reached: the daemon can work or wait,
/// and STATUS= says which. A graceful shutdown (SIGTERM, SIGINT) lets the batch in flight finish, releases the
/// lease and ends; the job resumes from there, here or on another daemon. The watchdog is fed only while the work
/// loop beats its ``WorkLoopPulse``.
public struct SluiceDaemon: Service {
    let settings: DaemonSettingsStore
    let notifier: SystemdNotifier
    let pulse: WorkLoopPulse
    /// The outage being waited out, shared with the job sessions, whose first batch ends it.
    let outage = OutageLog()
    let metrics: DaemonMetrics
    let fault: TestFault?
    let logger: Logger
    /// This process under its worker identity, as it announces itself in the job store.
    let instance: WorkerInstance

    public init(
        settings: DaemonSettingsStore,
        notifier: SystemdNotifier,
        metrics: DaemonMetrics,
        fault: TestFault?,
        logger: Logger
    ) {
        self.settings = settings
        self.notifier = notifier
        self.metrics = metrics
        self.fault = fault
        self.logger = logger
        let configuration = settings.current
        pulse = WorkLoopPulse(allowance: Self.idleAllowance(configuration))
        // The identity needs a restart to change (DaemonSettingsStore keeps it on reload).
        instance = WorkerInstance(worker: WorkerIdentity(rawValue: configuration.daemon.worker))
    }

    public func run() async throws {
        let configuration = settings.current
        send(.ready, .status("starting: connecting to the job store"))
        logger.notice(
            "sluice daemon started",
            metadata: [
                SluiceLogKey.messageID: "\(SluiceMessageID.daemonStarted)",
                SluiceLogKey.worker: "\(configuration.daemon.worker)", "instance": "\(instance.id)",
                "config": "\(configuration.path ?? "(none: defaults and environment)")",
                "graph": "\(configuration.graph.target.url)",
            ]
        )
        for caution in configuration.cautions {
            logger.warning("\(caution)")
        }
        if let fault {
            logger.critical("TEST FAULT \(fault.rawValue) is switched on (SLUICE_TEST_FAULT): never in production")
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await watchdog() }
            await withGracefulShutdownHandler {
                await cancelWhenGracefulShutdown { await workLoop() }
            } onGracefulShutdown: {
                // The batch in flight may take up to its timeout; ask systemd for that long before it kills.
                let current = settings.current
                send(
                    .stopping,
                    .status("stopping: finishing the batch in flight"),
                    .extendTimeout(current.engine.batchTimeout + current.daemon.watchdogMargin)
                )
                logger.notice(
                    "stopping: a batch in flight finishes first and its lease is released",
                    metadata: [SluiceLogKey.messageID: "\(SluiceMessageID.daemonStopping)"]
                )
            }
            group.cancelAll()
        }
        send(.status("stopped"))
        logger.notice("sluice daemon stopped", metadata: [SluiceLogKey.messageID: "\(SluiceMessageID.daemonStopped)"])
    }

    // MARK: The work loop

    private func workLoop() async {
        let configuration = settings.current
        var backoff = Backoff(initial: configuration.daemon.retryInitial, maximum: configuration.daemon.retryMaximum)
        guard let store = await openStore(&backoff) else { return }
        let wakeup = Wakeup()
        let changes = JobChanges()
        let listenerBackoff = backoff
        let standing = WorkerStanding()
        // Before the first claim, which the job store refuses while another instance's row holds the identity: the
        // first announcement takes it over.
        await announce(store, standing: standing)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await listen(store, wakeup: wakeup, changes: changes, backoff: listenerBackoff) }
            group.addTask { await keepAnnouncing(store, standing: standing) }
            await claimLoop(store, standing: standing, wakeup: wakeup, changes: changes, backoff: &backoff)
            group.cancelAll()
        }
        do {
            try await store.retire(instance)
        } catch {
            logger.debug("could not take this daemon off the job store's workers", metadata: ["error": "\(error)"])
        }
        await store.close()
    }

    /// Tells the job store which graph server this daemon serves, as alive for a lease: a job queued for a server no
    /// live daemon serves is then told so (`sluice enqueue`, `sluice status`) instead of waiting in silence. And learns
    /// whether the worker identity is still this daemon's: the first announcement takes it over (``WorkerStanding``);
    /// a later one that finds another live daemon announced under it since says so once, at error level, and the claim
    /// loop takes no job until that daemon's row is gone or lapses, which is said once more, as a notice. Failures are
    /// Postgres's outage, which the work loop journals.
    private func announce(_ store: JobStore, standing: WorkerStanding) async {
        let current = settings.current
        let other: WorkerPresence?
        do {
            other = try await store.announce(
                instance,
                serving: current.graph.target.url,
                version: SluiceVersion.current,
                aliveFor: current.daemon.lease,
                takingOver: standing.current == .unannounced
            )
        } catch {
            logger.debug("could not announce this daemon in the job store", metadata: ["error": "\(error)"])
            return
        }
        switch (standing.announced(other), other) {
        case (.displaced, nil):
            logger.notice(
                "worker \(instance.worker) is this daemon's again: the other daemon that used it is gone; taking jobs again",
                metadata: [SluiceLogKey.worker: "\(instance.worker)"]
            )
        case (.displaced, .some), (_, nil): break
        case (_, .some(let other)):
            logger.error(
                "\(StatusLine.workerShared(instance.worker.rawValue, by: other))",
                metadata: [
                    SluiceLogKey.messageID: "\(SluiceMessageID.workerShared)",
                    SluiceLogKey.worker: "\(instance.worker)",
                ]
            )
        }
    }

    /// Announces this daemon again (``announce(_:standing:)``) every third of a lease, until cancelled.
    private func keepAnnouncing(_ store: JobStore, standing: WorkerStanding) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: settings.current.daemon.lease / 3) } catch { return }
            await announce(store, standing: standing)
        }
    }

    /// Opens the job store (and brings its schema up to date), waiting as long as it takes.
    private func openStore(_ backoff: inout Backoff) async -> JobStore? {
        while !Task.isCancelled {
            let configuration = settings.current
            pulse.beat(allowing: Self.idleAllowance(configuration))
            do {
                let store = try await JobStore.open(
                    configuration.jobStore,
                    logger: storeLogger,
                    migrate: true
                ) { [outage] _, since in outage.connectionFailed(reaching: "Postgres", at: since) }
                outage.workGoesOn(logger: logger)
                backoff.reset()
                return store
            } catch {
                guard await waitForPostgres(error.postgresError, reason: "\(error)", backoff: &backoff) else {
                    return nil
                }
            }
        }
        return nil
    }

    /// The logger of the job store's connections and listener: their own reconnect attempts stay out of the journal
    /// below warnings, since the daemon says once per outage that it is waiting for Postgres, and why.
    private var storeLogger: Logger {
        var storeLogger = logger
        storeLogger.logLevel = max(.warning, logger.logLevel)
        return storeLogger
    }

    /// Turns NOTIFYs on the control channel into wake-ups of the claim loop, and of the session whose job they are
    /// about. The listener reconnects by itself.
    private func listen(_ store: JobStore, wakeup: Wakeup, changes: JobChanges, backoff: Backoff) async {
        var backoff = backoff
        while !Task.isCancelled {
            let listener: PostgresListener
            do {
                listener = try await store.listen(logger: storeLogger)
            } catch {
                // Postgres unreachable or refusing the connection is what the work loop journals once; anything else
                // is worth a warning.
                let postgres = error.postgresError
                logger.log(
                    level: postgres?.isConnectionProblem == true || postgres?.isRefusedConnection == true
                        ? .debug : .warning,
                    "cannot listen for job changes; polling only until it works",
                    metadata: ["error": "\(error)"]
                )
                do { try await Task.sleep(for: backoff.delay()) } catch { return }
                continue
            }
            // A job enqueued after the claim loop last looked and before the LISTEN took effect sent its NOTIFY to
            // no one: one more claim now finds it, where it would have waited for the next poll.
            wakeup.signal()
            changes.received(.resync)
            await withTaskCancellationHandler {
                for await event in listener.events {
                    guard let signal = JobSignal(event) else { continue }
                    changes.received(signal)
                    wakeup.signal()
                }
            } onCancel: {
                listener.stop()
            }
            listener.stop()
        }
    }

    private func claimLoop(
        _ store: JobStore,
        standing: WorkerStanding,
        wakeup: Wakeup,
        changes: JobChanges,
        backoff: inout Backoff
    ) async {
        /// The idle line last reported, nil while not idle: reported again when the paused jobs it names change.
        var idleLine: String?
        /// The job the last session let go, and why: Postgres or the graph unreachable, refused credentials, held items.
        var interrupted: (job: JobID, why: JobSession.Interruption)?
        while !Task.isCancelled {
            let configuration = settings.current
            pulse.beat(allowing: Self.idleAllowance(configuration))
            if let other = standing.displacedBy {
                // Journalled once by the announcement that found it; the job store would refuse the claim anyway.
                send(.status(StatusLine.workerShared(configuration.daemon.worker, by: other)))
                idleLine = nil
                await wakeup.wait(upTo: configuration.daemon.pollInterval)
                continue
            }
            let lease: JobLease?
            do {
                lease = try await store.claim(
                    as: instance,
                    leaseDuration: configuration.daemon.lease,
                    serving: configuration.graph.target.url
                )
            } catch {
                guard await waitForPostgres(error.postgresError, reason: "\(error)", backoff: &backoff) else { return }
                idleLine = nil
                continue
            }
            guard let lease else {
                // Nothing to claim: a job this daemon waited for went on elsewhere, or ended.
                metrics.jobEnded()
                outage.workGoesOn(logger: logger)
                backoff.reset()
                let served = configuration.graph.target.url
                // A paused job that started holds its graph: no other job on it starts until it is resumed or cancelled.
                let paused = (try? await store.jobs(states: [.paused], limit: 20)) ?? []
                let holding = paused.filter { $0.target.url == served && $0.holdsItsGraph }
                let line = StatusLine.idle(
                    worker: configuration.daemon.worker,
                    paused: holding.map(StatusLine.JobSummary.init)
                )
                if line != idleLine {
                    send(.status(line))
                    logger.info("\(line)")
                    if idleLine == nil { await reportJobsForOtherServers(store, serving: served) }
                    idleLine = line
                }
                await wakeup.wait(upTo: configuration.daemon.pollInterval)
                continue
            }
            idleLine = nil
            let session = JobSession(
                lease: lease,
                store: store,
                configuration: configuration,
                throttle: { [settings] in settings.current.throttle },
                notifier: notifier,
                pulse: pulse,
                changes: changes,
                outage: outage,
                metrics: metrics,
                fault: fault,
                logger: logger,
                interrupted: interrupted?.job == lease.job.id ? interrupted?.why : nil
            )
            let end = await session.run()
            // A job let go to wait stays reported as the daemon's (its progress as it was) until it goes on.
            if case .done = end { metrics.jobEnded() }
            // A refusal is journalled once however many sessions in a row meet it.
            let credentialsRefused = interrupted?.why == .refusedCredentials
            interrupted = nil
            switch end {
            case .done:
                outage.workGoesOn(logger: logger)
                backoff.reset()
            case .postgresUnavailable(let error):
                interrupted = (lease.job.id, .outage)
                guard await waitForPostgres(error, reason: "\(error)", backoff: &backoff, job: lease) else { return }
            case .graphUnavailable(let reason, let since):
                interrupted = (lease.job.id, .outage)
                let what = "the graph \(lease.job.target)"
                guard
                    await wait(
                        for: what,
                        reason: "unreachable: \(reason)",
                        since: since,
                        backoff: &backoff,
                        job: lease
                    )
                else { return }
            case .graphRefusedCredentials(let reason):
                interrupted = (lease.job.id, .refusedCredentials)
                guard
                    await waitForCredentials(
                        refused: configuration.graph,
                        reason: reason,
                        journal: !credentialsRefused,
                        job: lease
                    )
                else { return }
            case .graphBusy(let holder):
                interrupted = (lease.job.id, .heldItems)
                // Not a failure, and no outage of the graph: the job stays as it is (resumable) and is claimed again
                // after the wait.
                let what = "the items of job \(lease.job.id) on the graph \(lease.job.target)"
                guard
                    await wait(
                        for: what,
                        reason: "held by \(holder)",
                        back: "are free again",
                        backoff: &backoff,
                        job: lease
                    )
                else { return }
            case .migrationsUnreadable(let reason):
                interrupted = (lease.job.id, .outage)
                let what = "the migrations folder"
                guard await wait(for: what, reason: reason, back: "can be read again", backoff: &backoff, job: lease)
                else { return }
            }
        }
    }

    /// Names queued jobs this daemon will never take because they are for another graph server: a URL spelled
    /// differently (`localhost` for `127.0.0.1`) would otherwise leave a job waiting in silence.
    private func reportJobsForOtherServers(_ store: JobStore, serving url: String) async {
        guard let queued = try? await store.jobs(states: [.queued], limit: 20) else { return }
        for job in queued where job.target.url != url {
            logger.warning(
                "job \(job.id) is queued for \(job.target.url), which this daemon does not serve (it serves \(url))",
                metadata: [SluiceLogKey.job: "\(job.id)", SluiceLogKey.migration: "\(job.migrationVersion)"]
            )
        }
    }

    /// Waits for Postgres after `error` (described by `reason`): as for any outage, or, when Postgres refused the
    /// connection (a wrong password: waiting alone cannot fix it, and each attempt is a failed login in its log), with
    /// one error entry saying what to fix and attempts only every `[daemon] retry_maximum`. False when stopping.
    private func waitForPostgres(
        _ error: PostgresError?,
        reason: String,
        backoff: inout Backoff,
        job: JobLease? = nil
    ) async -> Bool {
        guard error?.isRefusedConnection == true else {
            return await wait(for: "Postgres", reason: reason, backoff: &backoff, job: job)
        }
        let first = outage.failed(waitingFor: "Postgres", refused: true)
        let delay = settings.current.daemon.retryMaximum
        let line = StatusLine.postgresRefused(reason: reason, retryIn: delay)
        send(.status(line))
        let logger = job.map { JobSession.logger(self.logger, for: $0) } ?? self.logger
        logger.log(
            level: first ? .error : .debug,
            "\(line)",
            metadata: [SluiceLogKey.messageID: "\(SluiceMessageID.postgresRefused)"]
        )
        return await sleep(for: delay)
    }

    /// Says why the daemon waits and sleeps the next backoff delay; false when stopping. STATUS= follows every
    /// attempt; the journal gets the first of an outage as a warning (the retries at debug level), and its end from
    /// ``OutageLog/workGoesOn(logger:at:)``: one entry each, however long the outage. The entries name the job the
    /// wait is for, when it is for one (`job`, the lease it let go); `back` says how the end is put (`answers again`);
    /// `since`, for a failure found only after a silence, is when that silence began: the outage's beginning.
    private func wait(
        for what: String,
        reason: String,
        back: String = "answers again",
        since: ContinuousClock.Instant? = nil,
        backoff: inout Backoff,
        job: JobLease? = nil
    ) async -> Bool {
        let first = outage.failed(waitingFor: what, back: back, at: since ?? .now)
        let delay = backoff.delay()
        let line = StatusLine.waiting(for: what, reason: reason, retryIn: delay, job: job.map { .init($0.job) })
        send(.status(line))
        let logger = job.map { JobSession.logger(self.logger, for: $0) } ?? self.logger
        if first {
            logger.warning(
                "\(line)",
                metadata: [SluiceLogKey.messageID: "\(SluiceMessageID.waiting)"]
            )
        } else {
            logger.debug("\(line)")
        }
        return await sleep(for: delay)
    }

    /// The graph refused the configured credentials: no outage (waiting alone cannot fix it) but no fault of the job
    /// either, which keeps its checkpoint. STATUS= says what to fix and the journal says it once (`journal`) at error
    /// level. The job is tried again as soon as a reload (SIGHUP) brings other credentials (a fixed password file or
    /// credential), else only every ``credentialsRetry``: a server may lock the account out after a few refusals in
    /// a row (ArcadeDB does), for the application too, so the backoff of an outage would do harm here. The entry names
    /// the job that waits (`job`, the lease it let go).
    private func waitForCredentials(
        refused graph: GraphSettings,
        reason: String,
        journal: Bool,
        job: JobLease
    ) async -> Bool {
        let line = StatusLine.credentialsRefused(by: "\(graph.target)", retryIn: Self.credentialsRetry)
        send(.status(line))
        JobSession.logger(logger, for: job).log(
            level: journal ? .error : .debug,
            "\(line)",
            metadata: ["error": "\(reason)", SluiceLogKey.messageID: "\(SluiceMessageID.credentialsRefused)"]
        )
        let deadline = ContinuousClock.now + Self.credentialsRetry
        while ContinuousClock.now < deadline, settings.current.graph.auth == graph.auth {
            guard await sleep(for: .seconds(1)) else { return false }
        }
        return true
    }

    /// How long a job waits for other credentials before the same ones are tried again.
    static let credentialsRetry = Duration.seconds(300)

    /// Sleeps `delay` with the watchdog told to allow it; false when stopping.
    private func sleep(for delay: Duration) async -> Bool {
        pulse.beat(allowing: delay + settings.current.daemon.watchdogMargin)
        do {
            try await Task.sleep(for: delay)
            return true
        } catch {
            return false
        }
    }

    // MARK: Watchdog

    /// Pings systemd's watchdog at half its interval, but only while the work loop keeps within its allowance: a
    /// hung loop stops the pings and systemd restarts the daemon; a long batch has the batch timeout to finish.
    private func watchdog() async {
        guard let interval = notifier.watchdogInterval else { return }
        var silent = false
        while !Task.isCancelled {
            if let overdue = pulse.overdue() {
                if !silent {
                    logger.critical(
                        """
                        work loop made no progress for \(DurationText.format(overdue.roundedToSeconds)): \
                        watchdog pings stop, systemd will restart the daemon
                        """
                    )
                    silent = true
                }
            } else {
                silent = false
                send(.watchdog)
            }
            do { try await Task.sleep(for: interval / 2) } catch { return }
        }
    }

    /// While idle or waiting the loop beats at least every poll interval; the margin covers a slow claim.
    static func idleAllowance(_ configuration: DaemonConfiguration) -> Duration {
        max(configuration.daemon.pollInterval, configuration.daemon.retryMaximum) + configuration.daemon.watchdogMargin
    }

    private func send(_ notifications: SystemdNotification...) {
        do {
            try notifier.send(notifications)
        } catch {
            logger.warning("sd_notify failed", metadata: ["error": "\(error)"])
        }
    }
}
