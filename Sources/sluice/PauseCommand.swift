import ArgumentParser
import JobStore

/// `sluice pause JOB`.
struct PauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause",
        abstract: "Pause a job: its worker stops within a batch or two; `sluice resume` continues it.",
        discussion: """
            A queued job is held back; a planning or running job stops after its current batch (the daemon hears \
            of it within a second; `sluice run` from the answer to a checkpoint, which is written while the next \
            batch runs, so after the batch in flight or the one after it) and keeps its graph reserved, so no \
            other migration runs on a half-migrated graph until it is resumed or cancelled. Pausing a paused job \
            does nothing. A finished job cannot be paused.
            """
    )

    @OptionGroup var db: DBOptions
    @OptionGroup var job: JobArgument

    @Flag(help: "Print the job afterwards as JSON (see README, \"Job JSON\").")
    var json = false

    func run() async throws {
        try await JobControlAction(db: db, job: job, json: json).run({ try await $0.pause($1, by: $2) }) {
            before,
            _ in
            switch before.state {
            case .paused: return "already paused"
            case .queued: return "paused; it will not start until `sluice resume \(before.id)`"
            default:
                guard before.leaseExpiresAt != nil else {
                    return "paused; no worker holds it now. Continue with `sluice resume \(before.id)`"
                }
                return
                    "paused; its worker stops after the batch in flight or the next. Continue with `sluice resume \(before.id)`"
            }
        }
    }
}
