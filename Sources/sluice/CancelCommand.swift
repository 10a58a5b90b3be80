import ArgumentParser
import Daemon
import JobStore

/// `sluice cancel JOB`.
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract:
            "Cancel a job for good; what it already changed stays (an up's changes: undo them with `sluice enqueue VERSION --down`).",
        discussion: """
            A job no worker holds is cancelled at once; a running one is asked to stop, and its worker ends it \
            after the batch in flight (the daemon hears of it within a second; `sluice run` after that batch or the \
            next), so the graph is never handed on mid-batch. Jobs queued after it by `sluice enqueue --all` are \
            cancelled with it. Cancelling a cancelled job does nothing; a finished job cannot be cancelled.
            """
    )

    @OptionGroup var db: DBOptions
    @OptionGroup var job: JobArgument

    @Flag(help: "Print the job afterwards as JSON (see README, \"Job JSON\").")
    var json = false

    func run() async throws {
        try await JobControlAction(db: db, job: job, json: json).run({ try await $0.cancel($1, by: $2) }) {
            before,
            after in
            var text: String
            if before.state == .cancelled {
                text = "already cancelled"
            } else if after.state == .cancelled {
                text = "cancelled"
            } else {
                text = "cancel requested; its worker ends the job after the batch in flight"
                // A worker killed since its last heartbeat holds the lease until it runs out.
                if let owner = after.leaseOwner, let expires = after.leaseExpiresAt {
                    text += " (if \(owner) is gone, the job ends once its lease runs out, "
                    text += "\(JobView.instant(expires)), and a daemon takes it up; or run this command again then "
                    text += "to end it at once)"
                }
            }
            if before.state != .cancelled, let kept = JobView(after).keptChanges {
                text += "; " + kept
            }
            return text
        }
    }
}
