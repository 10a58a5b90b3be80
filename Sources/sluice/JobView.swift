import Daemon
import Foundation
import JobStore

/// A job as the client commands show it: what its numbers mean at `now` (a rate only while a worker holds it, an ETA
/// from that rate), in words for the terminal and as the values of `--json`.
struct JobView {
    let job: Job
    let now: Date
    /// For a queued job: the unfinished job on the same graph that a daemon takes first, as ``ahead(of:among:)``
    /// finds it; nil when none is known.
    var behind: Job?
    /// The daemons alive now, when known: a queued job no live daemon serves says so.
    var daemons: [WorkerPresence]?
    /// The daemons whose time alive lapsed (``JobStore/workers()``), when known: a job one of them holds says
    /// that its daemon is gone.
    var lapsedDaemons: [WorkerPresence]?

    /// For a job `sluice run` holds: whether its process is alive now (``JobStore/isHeldByALiveRun(_:)``); nil when
    /// not known.
    var runIsAlive: Bool?

    init(
        _ job: Job,
        now: Date = Date(),
        behind: Job? = nil,
        daemons: [WorkerPresence]? = nil,
        lapsedDaemons: [WorkerPresence]? = nil,
        runIsAlive: Bool? = nil
    ) {
        self.job = job
        self.now = now
        self.behind = behind
        self.daemons = daemons
        self.lapsedDaemons = lapsedDaemons
        self.runIsAlive = runIsAlive
    }

    /// Why a job queued for graph server `url` is taken by none of `daemons` (the live ones), or nil when one serves
    /// it. A daemon takes only jobs queued for its configured URL as written: `localhost` is not `127.0.0.1`.
    static func unserved(_ url: String, by daemons: [WorkerPresence]) -> String? {
        guard !daemons.contains(where: { $0.url == url }) else { return nil }
        guard !daemons.isEmpty else { return "no daemon runs for this job store now" }
        let served = Set(daemons.map(\.url)).sorted().joined(separator: ", ")
        return "no daemon serves \(url) now (the running ones serve \(served))"
    }

    /// The unfinished job on `job`'s graph that runs before it, when `job` is queued: the one that holds the graph
    /// (``Job/holdsItsGraph``), else the queued one a daemon claims first (higher priority, then older), as the job
    /// store's claim orders them. A queued job that waits for the job before it in its chain holds up no one: the
    /// claim passes it over, and so does this. `jobs` are the unfinished jobs.
    static func ahead(of job: Job, among jobs: [Job]) -> Job? {
        guard job.state == .queued else { return nil }
        let others = jobs.filter { $0.id != job.id && $0.target == job.target }
        if let holder = others.first(where: \.holdsItsGraph) { return holder }
        let unfinished = Set(jobs.map(\.id))
        /// The claim's order among queued jobs: higher priority, then older.
        func rank(_ job: Job) -> (Int, Int64) { (job.priority, -job.id.rawValue) }
        return others.filter { other in
            other.state == .queued && !(other.after.map(unfinished.contains) ?? false) && rank(other) > rank(job)
        }
        .max { rank($0) < rank($1) }
    }

    /// What a job cancelled part-way leaves, and the command that deals with it; nil when it changed nothing. An up's
    /// changes are undone by the down; a down's undo is finished by the down again, or redone by the up.
    var keptChanges: String? {
        guard job.planDone > 0, !job.dryRun else { return nil }
        let done = ProgressText.count(job.planDone)
        let version = job.migrationVersion
        return switch job.direction {
        case .up: "the \(done) items done stay changed: `sluice enqueue \(version) --down` undoes them"
        case .down:
            "the \(done) items done stay undone: `sluice enqueue \(version) --down` finishes the undo, "
                + "`sluice enqueue \(version)` applies them again"
        }
    }

    /// The `sluice run` that goes on with `job` (`sluice run 007 --down`).
    static func runCommand(_ job: Job) -> String {
        "sluice run \(job.migrationVersion)" + (job.direction == .down ? " --down" : "")
    }

    /// `007 normalize_project_names up`, `(dry run)` added for a dry run.
    var title: String {
        "\(job.migrationVersion) \(job.migrationName) \(job.direction.rawValue)" + (job.dryRun ? " (dry run)" : "")
    }

    /// A worker holds a lease that has not expired (the comparison is on this machine's clock: display only).
    var hasLiveWorker: Bool {
        job.state.isActive && (job.leaseExpiresAt.map { $0 > now } ?? false)
    }

    /// The lapsed daemon (killed or hung) that holds the job's lease: it runs no batch, and the job is taken over only
    /// when the lease runs out.
    var lapsedHolder: WorkerPresence? {
        guard hasLiveWorker, !job.isForeground, let owner = job.leaseOwner else { return nil }
        return lapsedDaemons?.first { $0.worker.rawValue == owner }
    }

    /// The rate is measured only at a batch's checkpoint: it stands for this long after the last one.
    static let rateWindow: TimeInterval = 30

    /// How long no batch was recorded, once that is longer than the rate's window while the job has a rate since its
    /// claim: it stands still (its graph hangs, its worker is gone, a rate cap's pause is that long). Nil otherwise.
    var noBatchFor: TimeInterval? {
        guard job.state == .running, job.rate != nil, let batchAt = job.batchAt else { return nil }
        let since = now.timeIntervalSince(batchAt)
        return since > Self.rateWindow ? since : nil
    }

    /// Items per second, while a worker runs the job and the throttle does not pause it (a time window, critical
    /// latency: the rate before the pause says nothing of when it ends); 0 when no batch came for longer than the
    /// rate's window, and none when the holder is known to be gone (a dead `sluice run`, a lapsed daemon).
    var rate: Double? {
        guard job.state == .running, hasLiveWorker, runIsAlive != false, lapsedHolder == nil,
            throttle.state != "paused", let rate = job.rate
        else { return nil }
        return noBatchFor == nil ? rate : 0
    }

    /// Seconds to the end of the plan at the current rate.
    var etaSeconds: Int? {
        guard let rate, rate > 0, let total = job.planTotal, total > job.planDone else { return nil }
        return Int((Double(total - job.planDone) / rate).rounded(.up))
    }

    /// Percent of the plan done, one decimal; `nil` before the plan is known.
    var percent: Double? {
        guard let total = job.planTotal else { return nil }
        guard total > 0 else { return 100 }
        return (Double(job.planDone) / Double(total) * 1000).rounded() / 10
    }

    /// The throttle as its worker last reported it; none for a finished job, which nothing slows any more.
    var throttle: JobThrottle { job.state.isFinished ? .none : job.throttle }

    /// Why the job runs slower than it could: the throttle's reason, or the operator's cap while the throttle has
    /// not reported (no worker yet). Nil for a finished job.
    var throttleText: String? {
        guard !job.state.isFinished else { return nil }
        var parts: [String] = []
        if !["none", "running"].contains(throttle.state) {
            parts.append(throttle.reason ?? throttle.state)
        }
        if let cap = job.operatorMaxRate, !parts.contains(where: { $0.contains("operator") }) {
            parts.append("operator max \(ProgressText.count(cap)) items/s")
        }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    var snapshot: ProgressDisplay.Snapshot {
        ProgressDisplay.Snapshot(
            done: job.planDone,
            total: job.planTotal,
            rate: rate,
            batchSize: job.currentBatchSize ?? job.requestedBatchSize,
            throttle: throttleText,
            quarantined: job.itemsQuarantined,
            state: job.state == .running && !job.cancelRequested ? nil : job.state.rawValue
        )
    }

    /// The progress line `sluice status` prints, a bar in front when `bar`.
    func progressLine(bar: Bool) -> String {
        ProgressDisplay.format(title: title, snapshot: snapshot, bar: bar)
    }

    /// The state with what it means now: who works on it, what it waits for, how it ended.
    var stateText: String {
        var text = job.state.rawValue
        switch job.state {
        case .queued:
            var waits: [String] = []
            if let notBefore = job.notBefore, notBefore > now {
                waits.append("not before \(Self.instant(notBefore))")
            }
            if let after = job.after { waits.append("after job \(after)") }
            if let behind { waits.append("behind job \(behind.id), \(behind.state.rawValue) on the same graph") }
            if let daemons, let unserved = Self.unserved(job.target.url, by: daemons) { waits.append(unserved) }
            if !waits.isEmpty { text += " (\(waits.joined(separator: ", ")))" }
        case .planning, .running:
            if hasLiveWorker, let owner = job.leaseOwner, runIsAlive == false, let until = job.leaseExpiresAt {
                // Killed since its last checkpoint: its lease outlives it.
                text += " by \(owner), whose process is gone (its lease runs out \(Self.instant(until))): "
                text += "`\(Self.runCommand(job))` goes on with it when run again"
            } else if let lapsed = lapsedHolder, let owner = job.leaseOwner, let until = job.leaseExpiresAt {
                text += " by \(owner) (its daemon was last seen \(Self.instant(lapsed.seenAt)); the job is taken over "
                text += "when its lease ends at \(Self.instant(until)))"
            } else if hasLiveWorker, let owner = job.leaseOwner {
                text += " by \(owner)"
                if let noBatchFor {
                    text += ", no batch for \(ProgressText.duration(seconds: noBatchFor.rounded(.down)))"
                }
            } else if job.isForeground {
                text +=
                    ", no worker holds it now: `\(Self.runCommand(job))` started it, and goes on with it when run again"
            } else if let daemons, let serving = daemons.first(where: { $0.url == job.target.url }) {
                // Let go to wait (the graph or the migrations folder unreachable, the password refused, its items
                // held): the daemon says why, not the job store.
                text += ", no worker holds it now: daemon \(serving.worker) serves its graph and takes it up again "
                text += "when it can (what it waits for: the error line, and the daemon's status line and journal)"
            } else {
                text += ", no worker holds it now (is the daemon running?)"
            }
        case .paused:
            if let owner = job.leaseOwner, let until = job.leaseExpiresAt, until > now {
                // The pause is read with a batch's checkpoint, while the next batch runs: that one still commits.
                text += " (asked: \(owner) still commits its batch in flight, then lets the job go)"
            } else if job.startedAt != nil {
                text += " (keeps its graph until resumed or cancelled)"
            }
        case .succeeded, .failed, .cancelled:
            if let finished = job.finishedAt {
                text += " at \(Self.instant(finished))"
                if let started = job.startedAt {
                    text += " after \(ProgressText.duration(seconds: finished.timeIntervalSince(started)))"
                }
            }
        }
        if job.cancelRequested && !job.state.isFinished { text += ", cancel requested" }
        return text
    }

    /// `2026-11-25 16:21:45 UTC`: instants in UTC, as the journal's `--utc` and the JSON show them.
    static func instant(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate, .withSpaceBetweenDateAndTime, .withTime, .withColonSeparatorInTime]
        return formatter.string(from: date) + " UTC"
    }
}
