import ArgumentParser
import Daemon
import Foundation
import JobStore

/// `sluice status`: where a job is, from the job store alone: progress, rate, ETA, throttle, quarantine.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a job's progress, rate, ETA, throttle reason and quarantined items.",
        discussion: """
            Without JOB: every unfinished job (queued, planning, running, paused), or the newest job when none is \
            unfinished. Reads Postgres only, so it works whether or not a daemon runs; "no worker holds it" on a \
            running job means no daemon has renewed its lease (is the daemon running?). A queued job says what it \
            waits for: its --not-before time, the job before it in its chain, the job ahead of it on the same graph, \
            or a daemon: each running daemon says in the job store which graph server URL it serves, and takes only \
            jobs queued for that URL as written (localhost is not 127.0.0.1).

            The rate is plan entries per second over the last half minute (pauses between batches included), \
            measured by the job store's clock; the ETA is what remains at that rate. A job with no batch for longer \
            than that shows 0 items/s and "no batch for 1m40s", and one whose daemon is gone (its row in the workers \
            table lapsed) says so and when its lease ends. "throttled:" gives the throttle's reason (latency, a time window, an \
            operator's --max-rate).

            --watch redraws the progress line every second (a bar on a terminal, a line every 5 s otherwise) until \
            the job ends or Ctrl-C, and prints each change of state. Its exit status says how the job ended: 0 \
            succeeded, 1 failed or cancelled.

            A dry run (`sluice enqueue --dry-run`) shows what its daemon found, as "preview:" lines: the items \
            each data step would change, the pre-flight checks it could not make.

            --json prints one JSON document: the job object for `status JOB`, {"jobs": [...]} without JOB; each \
            job carries "quarantine", its first \(JobDocument.quarantineLimit) quarantined items, and "preview", a \
            dry run's findings. The shape is in the README ("Job JSON") and stays stable.

            Examples:
              sluice status
              sluice status 12 --watch
              sluice status 12 --json | jq '.progress.percent'
            """
    )

    @OptionGroup var db: DBOptions

    @Argument(help: ArgumentHelp("The job's id (default: the unfinished jobs).", valueName: "job"))
    var job: String?

    @Flag(help: "Print one JSON document (see README, \"Job JSON\").")
    var json = false

    @Flag(help: "Redraw until the job ends or Ctrl-C; exit 0 if it succeeded, 1 otherwise.")
    var watch = false

    func run() async throws {
        if json && watch {
            throw CommandError("--json and --watch exclude each other: poll `sluice status JOB --json` instead")
        }
        let id = try job.map(JobArgument.parse)
        try await db.withClientStore { store in
            if watch {
                try await StatusWatch(store: store, job: try await watchedJob(id, store: store)).run()
                return
            }
            let jobs: [Job]
            let unfinished = try await store.jobs(states: [.queued, .planning, .running, .paused], limit: 1000)
            if let id {
                guard let job = try await store.job(id) else { throw JobStoreError.jobNotFound(id) }
                jobs = [job]
            } else {
                jobs = unfinished.isEmpty ? try await store.jobs(limit: 1) : unfinished.reversed()
            }
            var quarantines: [JobID: [QuarantinedItem]] = [:]
            for job in jobs where job.itemsQuarantined > 0 {
                quarantines[job.id] = try await store.quarantine(of: job.id, limit: JobDocument.quarantineLimit)
            }
            // A dry run's findings, which its daemon kept with the job as it ended.
            var previews: [JobID: [String]] = [:]
            for job in jobs where job.dryRun {
                let events = try await store.events(of: job.id)
                previews[job.id] = events.filter { $0.kind == .preview }.compactMap(\.newValue)
            }
            let (daemons, lapsedDaemons) = try await store.workers()
            let now = Date()
            // One view of each job for the text and the JSON, so that both say the same of its rate and holder.
            var views: [JobView] = []
            for job in jobs {
                let runIsAlive =
                    job.isForeground && !job.state.isFinished ? try await store.isHeldByALiveRun(job.id) : nil
                views.append(
                    JobView(
                        job,
                        now: now,
                        behind: JobView.ahead(of: job, among: unfinished),
                        daemons: daemons,
                        lapsedDaemons: lapsedDaemons,
                        runIsAlive: runIsAlive
                    )
                )
            }
            if json {
                let documents = views.map {
                    JobDocument($0, quarantine: quarantines[$0.job.id] ?? [], preview: previews[$0.job.id] ?? [])
                }
                if id != nil {
                    try JSONOutput.write(documents[0])
                } else {
                    try JSONOutput.write(["jobs": documents])
                }
                return
            }
            var output = StandardOutput()
            if jobs.isEmpty {
                output.write("no jobs yet: queue one with `sluice enqueue VERSION`\n")
                return
            }
            if id == nil, !jobs[0].state.isFinished || jobs.count > 1 {
                output.write(jobs.count == 1 ? "1 unfinished job\n" : "\(jobs.count) unfinished jobs\n")
            } else if id == nil {
                output.write("no unfinished jobs; the newest:\n")
            }
            for (index, view) in views.enumerated() {
                if index > 0 { output.write("\n") }
                let job = view.job.id
                output.write(Self.text(view, quarantine: quarantines[job] ?? [], preview: previews[job] ?? []))
            }
        }
    }

    /// The job to watch: the one named, else the only unfinished one.
    private func watchedJob(_ id: JobID?, store: JobStore) async throws -> Job {
        if let id {
            guard let job = try await store.job(id) else { throw JobStoreError.jobNotFound(id) }
            return job
        }
        let unfinished = try await store.jobs(states: [.queued, .planning, .running, .paused], limit: 1000)
        switch unfinished.count {
        case 0: throw CommandError("no unfinished job to watch: name one (sluice status JOB --watch)")
        case 1: return unfinished[0]
        default:
            let ids = unfinished.map { "\($0.id)" }.reversed().joined(separator: ", ")
            throw CommandError("\(unfinished.count) unfinished jobs (\(ids)): name the one to watch")
        }
    }

    /// A job in lines of `label: value`, the progress line with a bar on a terminal; a dry run's `preview` after its
    /// counts.
    static func text(_ view: JobView, quarantine: [QuarantinedItem], preview: [String]) -> String {
        let job = view.job
        var lines = ["job \(job.id): \(view.title) on \(job.target)"]
        func add(_ label: String, _ value: String) {
            lines.append("  " + (label + ":").padding(toLength: 11, withPad: " ", startingAt: 0) + " " + value)
        }
        add("state", view.stateText)
        add("progress", view.progressLine(bar: isatty(STDOUT_FILENO) == 1))
        if let throttle = view.throttleText { add("throttle", throttle) }
        var items =
            "\(ProgressText.count(job.itemsChanged)) changed, \(ProgressText.count(job.itemsSkipped)) no longer matching, "
        items += "\(ProgressText.count(job.itemsQuarantined)) quarantined"
        if job.lateArrivals > 0 { items += ", \(ProgressText.count(job.lateArrivals)) late arrivals" }
        add("items", items)
        for line in preview { add("preview", line) }
        for item in quarantine.prefix(3) {
            add(
                "quarantine",
                "item \(item.item)" + (item.planOffset.map { " (offset \($0))" } ?? "") + ": \(item.error)"
            )
        }
        if job.itemsQuarantined > 3 {
            add(
                "quarantine",
                "... \(ProgressText.count((job.itemsQuarantined - 3))) more: sluice status \(job.id) --json"
            )
        }
        var queued = "\(JobView.instant(job.createdAt)) by \(job.enqueuedBy), priority \(job.priority)"
        if let started = job.startedAt { queued += "; started \(JobView.instant(started))" }
        add("queued", queued)
        if let error = job.lastError { add("error", error) }
        return lines.joined(separator: "\n") + "\n"
    }
}
