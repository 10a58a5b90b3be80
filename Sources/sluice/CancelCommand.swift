import ArgumentParser
import Daemon
import Foundation
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
            next), so the graph is never handed on mid-batch. A job no worker holds that changed items (paused, or \
            its worker gone) is ended by a daemon serving its graph server when one runs, within a second: it \
            records the partial history in the graph's (:Migration) node as well, which this command, connected to \
            Postgres alone, cannot. Jobs queued after it by `sluice enqueue --all` are cancelled with it. \
            Cancelling a cancelled job does nothing; a finished job cannot be cancelled.
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
            } else if let expires = after.leaseExpiresAt, expires > Date() {
                text = "cancel requested; its worker ends the job after the batch in flight"
                // A worker killed since its last heartbeat holds the lease until it runs out.
                if let owner = after.leaseOwner {
                    text += " (if \(owner) is gone, the job ends once its lease runs out, "
                    text += "\(JobView.instant(expires)): a daemon serving its graph takes it up and ends it; "
                    text += "without one, run this command again then)"
                }
            } else {
                text = "cancel requested; the daemon serving \(after.target.url) ends the job and records it in the "
                text += "graph too (`sluice status \(after.id)` shows when)"
            }
            if before.state != .cancelled, let kept = JobView(after).keptChanges {
                text += "; " + kept
            }
            return text
        }
    }
}
