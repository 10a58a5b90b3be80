import ArgumentParser
import Daemon
import Foundation
import JobStore

/// `sluice jobs`: the job table, newest first.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "List jobs, newest first: id, state, migration, progress, graph, who queued them.",
        discussion: """
            Reads Postgres only. --state filters (repeatable: --state running --state paused); --active is \
            shorthand for the unfinished states (queued, planning, running, paused). --json prints one document, \
            {"jobs": [...]}, each job as `sluice status --json` has it (without "quarantine").

            Examples:
              sluice jobs --active
              sluice jobs --state failed --limit 5
              sluice jobs --json | jq '.jobs[] | select(.state == "paused") | .id'
            """
    )

    @OptionGroup var db: DBOptions

    @Option(
        name: .customLong("state"),
        help: ArgumentHelp(
            "Only jobs in this state; repeatable. One of \(JobState.allCases.map(\.rawValue).joined(separator: ", ")).",
            valueName: "state"
        )
    )
    var states: [String] = []

    @Flag(help: "Only unfinished jobs (queued, planning, running, paused).")
    var active = false

    // Unconditional: `--limit -1` reaches the range check instead of failing as a missing value.
    @Option(parsing: .unconditional, help: "At most this many jobs.")
    var limit = 50

    @Flag(help: "Print one JSON document: {\"jobs\": [...]}.")
    var json = false

    func run() async throws {
        var filter: [JobState] = []
        for text in states {
            guard let state = JobState(rawValue: text) else {
                let known = JobState.allCases.map(\.rawValue).joined(separator: ", ")
                throw CommandError("unknown --state '\(text)': one of \(known)")
            }
            filter.append(state)
        }
        if active { filter += [.queued, .planning, .running, .paused] }
        guard limit >= 1 else { throw CommandError("--limit must be at least 1, got \(limit)") }
        let jobs = try await db.withClientStore { store in
            try await store.jobs(states: filter.isEmpty ? nil : filter, limit: limit)
        }
        let now = Date()
        if json {
            try JSONOutput.write(["jobs": jobs.map { JobDocument(JobView($0, now: now)) }])
            return
        }
        var output = StandardOutput()
        guard !jobs.isEmpty else {
            output.write(filter.isEmpty ? "no jobs yet: queue one with `sluice enqueue VERSION`\n" : "no such jobs\n")
            return
        }
        let header = ["JOB", "STATE", "MIGRATION", "PROGRESS", "GRAPH", "QUEUED", "BY"]
        let rows = jobs.map { job in
            let view = JobView(job, now: now)
            var state = job.state.rawValue
            if job.cancelRequested && !job.state.isFinished { state += " (cancelling)" }
            if job.state.isActive && !view.hasLiveWorker { state += " (no worker)" }
            var progress = "-"
            if let total = job.planTotal {
                progress = "\(view.percent.map { String(format: "%.1f", $0) } ?? "?")% of \(ProgressText.count(total))"
            }
            if let rate = view.rate { progress += ", \(ProgressText.count(Int64(rate.rounded())))/s" }
            return [
                "\(job.id)", state, view.title, progress, job.target.description, JobView.instant(job.createdAt),
                job.enqueuedBy,
            ]
        }
        output.write(TextTable.render(header: header, rows: rows))
    }
}
