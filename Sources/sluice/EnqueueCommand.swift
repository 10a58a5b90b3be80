import ArgumentParser
import Bolt
import Daemon
import Engine
import Foundation
import JobStore
import Migrations

/// `sluice enqueue`: queues a migration (or every pending one) as a job for the daemon, and returns at once.
struct EnqueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enqueue",
        abstract: "Queue a migration as a job for the daemon; prints the job id and returns at once.",
        discussion: """
            Talks to Postgres only: no daemon needs to run, and the graph is not contacted (the daemon plans the \
            job when it claims it), except by --down, which asks the graph whether the migration was finalized. \
            The job is for the graph named by --url and --database, else by the daemon's configuration file \
            (--config): a daemon takes jobs for its configured graph server only.

            Refused, with nothing queued: an unknown version; an up of a migration the history shows applied on \
            that graph, or a down of one that is not, or that was finalized (sluice finalize); a migration that \
            already has an unfinished job on that graph (dry runs excepted); a time without a time zone.

            --all queues every pending migration in version order as a chain: each job waits until the one before \
            it has succeeded, and when one fails or is cancelled, the rest of the chain is cancelled (as `sluice \
            run --all` stops at the first failure). The chain waits for the newest unfinished job already queued \
            for the graph. Migrations that already have an unfinished job are left out and named.

            On one graph, jobs run one at a time, by priority (higher first), then in the order they were queued.

            Examples:
              sluice enqueue 007
              sluice enqueue 7 --not-before '2026-11-26 22:00 Europe/Berlin'
              sluice enqueue 007 --down
              sluice enqueue --all --dry-run
              sluice enqueue 008 --json | jq '.jobs[0].id'
            """
    )

    @OptionGroup var target: GraphTargetOptions
    @OptionGroup var db: DBOptions
    @OptionGroup var migrations: MigrationsOptions
    @OptionGroup var preflight: PreflightOptions

    @Argument(help: ArgumentHelp("The migration's version, e.g. 007 or 7.", valueName: "version"))
    var version: String?

    @Flag(help: "Queue every pending migration in version order, each after the one before.")
    var all = false

    @Flag(help: "Undo the migration (run its down direction).")
    var down = false

    @Flag(
        help: """
            Preview only: the daemon counts the items each step would change and runs pre-flight's checks, \
            journals what it found (journalctl -u sluice SLUICE_JOB=ID), and writes nothing to the graph or the \
            history; the job fails if pre-flight would refuse it.
            """
    )
    var dryRun = false

    @Option(
        help: "Items per batch, at least 1 (default: the migration's batch_size, else [engine] batch_size, 10,000)."
    )
    var batchSize: Int?

    // Unconditional: a negative priority (-5) is the value, not an option.
    @Option(parsing: .unconditional, help: "Higher runs first among the jobs queued for one graph; may be negative.")
    var priority = 0

    @Option(
        help: ArgumentHelp(
            "Do not start before this time, with its zone: \(ZonedInstant.examples).",
            valueName: "time"
        )
    )
    var notBefore: String?

    @Flag(help: "Print the queued jobs as one JSON document: {\"jobs\": [...]} (see README, \"Job JSON\").")
    var json = false

    func run() async throws {
        var requestTemplate = try validatedTemplate()
        let configuration = try db.file.daemonConfiguration()
        requestTemplate.batchSize = configuration.engine.batchSize
        let catalog = try migrations.loadCatalog(configured: configuration.migrationsFolder)
        let target = try self.target.jobTarget(configuration: configuration)
        let (jobs, daemons): ([Job], [WorkerPresence]) = try await db.withClientStore(migrate: true) { store in
            let history = try await GraphHistory.load(store, target: target)
            let jobs =
                all
                ? try await enqueueAll(catalog, history: history, target: target, store: store, requestTemplate)
                : [
                    try await enqueueOne(
                        catalog,
                        history: history,
                        target: target,
                        configuration: configuration,
                        store: store,
                        requestTemplate
                    )
                ]
            return (jobs, try await store.liveWorkers())
        }
        if !jobs.isEmpty, let unserved = JobView.unserved(target.url, by: daemons) {
            var errors = StandardOutput.error
            errors.write("warning: \(unserved): queued anyway, the job waits until one does\n")
        }
        if json {
            try JSONOutput.write(["jobs": jobs.map { JobDocument(JobView($0)) }])
            return
        }
        var output = StandardOutput()
        if jobs.isEmpty {
            output.write(
                "nothing to queue on \(target): every migration in \(catalog.folder) is applied or has a job\n"
            )
            return
        }
        for job in jobs {
            var line = "queued job \(job.id): \(JobView(job).title) on \(target)"
            if let after = job.after { line += ", after job \(after)" }
            if let notBefore = job.notBefore { line += ", not before \(JobView.instant(notBefore))" }
            output.write(line + "\n")
        }
        let last = jobs.last!.id
        output.write("follow it with: sluice status \(last) --watch\n")
    }

    /// Checks the options that do not need the files or the store; the request's migration fields are filled in
    /// later.
    private func validatedTemplate() throws -> JobRequest {
        switch (version, all) {
        case (nil, false):
            throw CommandError("missing VERSION: name a migration (sluice enqueue 007) or use --all")
        case (.some(let version), true):
            throw CommandError("VERSION '\(version)' and --all exclude each other: name one migration or use --all")
        case (nil, true) where down:
            throw CommandError("--all queues pending migrations up; undo one at a time: sluice enqueue VERSION --down")
        default:
            break
        }
        if let refusal = JobRequest.batchSizeRefusal(batchSize) ?? JobRequest.priorityRefusal(priority) {
            throw CommandError(refusal)
        }
        let notBefore = try self.notBefore.map { try ZonedInstant.parse($0, option: "--not-before") }
        return JobRequest(
            migrationVersion: "",
            migrationChecksum: "",
            direction: down ? .down : .up,
            dryRun: dryRun,
            target: JobTarget(url: ""),
            priority: priority,
            notBefore: notBefore,
            enqueuedBy: OperatorName.current(),
            options: try PostgresJSON(encoding: JobRunner.JobOptions(skipPreflight: preflight.checks))
        )
    }

    /// `template`'s batch size is the configured one, `[engine] batch_size`.
    private func request(_ template: JobRequest, _ migration: MigrationFile, target: JobTarget) -> JobRequest {
        var request = template
        request.migrationVersion = "\(migration.version)"
        request.migrationName = migration.name
        request.migrationChecksum = migration.checksum
        request.target = target
        request.batchSize = migration.batchSize(batchSize, configured: template.batchSize)
        return request
    }

    private func enqueueOne(
        _ catalog: MigrationCatalog,
        history: GraphHistory,
        target: JobTarget,
        configuration: DaemonConfiguration,
        store: JobStore,
        _ template: JobRequest
    ) async throws -> Job {
        let text = version ?? ""
        guard let version = MigrationVersion(text) else {
            throw CommandError("invalid VERSION '\(text)': expected a migration number such as 007")
        }
        guard let migration = catalog.migration(version) else {
            throw CommandError("no migration \(version) in \(catalog.folder) (sluice list shows them)")
        }
        if let reason = history.nothingToDo(version, template.direction, target: target) {
            throw CommandError(reason + ": nothing queued")
        }
        if let refusal = history.refusal(migration, template.direction) {
            throw CommandError(refusal + ": nothing queued")
        }
        if template.direction == .down, let refusal = await finalizedRefusal(migration, configuration: configuration) {
            throw CommandError(refusal + ": nothing queued")
        }
        return try await store.enqueue(request(template, migration, target: target), exclusive: true)
    }

    /// Why `migration`'s down must not be queued: the graph says it was finalized (what the daemon would find before
    /// the down's first write, failing the job). The one question enqueue asks the graph; when the graph cannot be
    /// asked, a warning, and nil: the job is queued and the daemon checks again.
    /// A user without a password here (the daemon's comes from a systemd credential only it is handed) is not tried:
    /// the login would fail, and failed logins lock accounts out on some servers, the daemon's own with it.
    private func finalizedRefusal(_ migration: MigrationFile, configuration: DaemonConfiguration) async -> String? {
        do {
            let settings = try target.settings(configuration: configuration)
            let environment = ProcessInfo.processInfo.environment
            if case .basic(let user, _) = settings.auth,
                try GraphSettings.password(passwordFile: configuration.graph.passwordFile, environment: environment)
                    == nil
            {
                throw CommandError(
                    "no password for graph user \(user) here: SLUICE_BOLT_PASSWORD, or [graph] password_file readable "
                        + "by you; not tried, a failed login counts against the account"
                )
            }
            let connection = try await settings.connect()
            let answer: Result<String?, BoltError>
            do {
                answer = .success(
                    try await Finalizer.downRefusal(
                        migration,
                        connection: connection,
                        options: BoltTransactionOptions(database: settings.database)
                    )
                )
            } catch {
                answer = .failure(error)
            }
            await connection.close()
            return try answer.get()
        } catch {
            var errors = StandardOutput.error
            errors.write(
                "warning: could not ask the graph whether \(migration.version) was finalized (\(error)); queued anyway: "
                    + "the daemon refuses its down if it was\n"
            )
            return nil
        }
    }

    private func enqueueAll(
        _ catalog: MigrationCatalog,
        history: GraphHistory,
        target: JobTarget,
        store: JobStore,
        _ template: JobRequest
    ) async throws -> [Job] {
        let pending = catalog.statuses(applied: history.applied).filter { $0.state == .pending }.compactMap(\.file)
        let unfinished = try await store.jobs(states: [.queued, .planning, .running, .paused], limit: 10_000)
            .filter { $0.target == target }
        var requests: [JobRequest] = []
        var errors = StandardOutput.error
        for migration in pending {
            if !dryRun,
                let job = unfinished.first(where: { !$0.dryRun && $0.migrationVersion == "\(migration.version)" })
            {
                errors.write("\(migration.version): left out, it already has job \(job.id) (\(job.state.rawValue))\n")
                continue
            }
            requests.append(request(template, migration, target: target))
        }
        guard !requests.isEmpty else { return [] }
        // Behind whatever is already queued for the graph, so the chain stops if that fails too.
        requests[0].after = unfinished.filter { !$0.dryRun }.map(\.id).max()
        return try await store.enqueueChain(requests, exclusive: true)
    }
}
