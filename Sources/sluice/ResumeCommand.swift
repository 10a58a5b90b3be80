import ArgumentParser
import Daemon
import JobStore

/// `sluice resume JOB`.
struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Resume a paused job where it stopped.",
        discussion: """
            The job goes back to where it was (queued if it never started) and a daemon claims it within a \
            second, continuing from its last checkpoint. Only a paused job can be resumed; a job with a cancel \
            requested cannot.
            """
    )

    @OptionGroup var db: DBOptions
    @OptionGroup var job: JobArgument

    @Flag(help: "Print the job afterwards as JSON (see README, \"Job JSON\").")
    var json = false

    func run() async throws {
        try await JobControlAction(db: db, job: job, json: json).run({ try await $0.resume($1, by: $2) }) { _, after in
            if after.state == .queued { return "resumed; queued until a daemon claims it" }
            let from = "resumed; \(after.state.rawValue) again from item \(ProgressText.count(after.planDone))"
            // `sluice run`'s job is the run's: no daemon takes it up.
            return after.isForeground
                ? "\(from) once `\(JobView.runCommand(after))` is run again" : "\(from) once a daemon claims it"
        }
    }
}
