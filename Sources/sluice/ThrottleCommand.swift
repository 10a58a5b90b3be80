import ArgumentParser
import Daemon
import JobStore
import Throttle

/// `sluice throttle JOB --max-rate N | --clear`: the operator's cap on one job, like gh-ost's interactive throttle.
struct ThrottleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "throttle",
        abstract: "Cap a job's rate in items per second (--max-rate N), or lift the cap (--clear).",
        discussion: """
            The cap is kept with the job in Postgres until cleared, across daemon restarts, and the daemon applies \
            it from its next batch (it hears of it within a second). It is a ceiling: the throttle still slows \
            down below it for latency and time windows, and `sluice status` names whichever limit binds. To stop \
            the job, use `sluice pause`.

            Examples:
              sluice throttle 12 --max-rate 2000
              sluice throttle 12 --clear
            """
    )

    @OptionGroup var db: DBOptions
    @OptionGroup var job: JobArgument

    // Unconditional: a negative value (-5) is refused as out of range, not taken for an option.
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("The most items per second the job may run at, at least 1.", valueName: "items/s")
    )
    var maxRate: Int?

    @Flag(help: "Remove the cap set with --max-rate.")
    var clear = false

    @Flag(help: "Print the job afterwards as JSON (see README, \"Job JSON\").")
    var json = false

    func run() async throws {
        let rate: Int?
        switch (maxRate, clear) {
        case (nil, false): throw CommandError("give --max-rate N (items per second) or --clear")
        case (.some, true): throw CommandError("--max-rate and --clear exclude each other")
        case (let value?, false):
            guard value >= 1 else { throw CommandError("--max-rate must be at least 1 item/s, got \(value)") }
            guard value <= ThrottleConfiguration.maximumItemsPerSecond else {
                throw CommandError(
                    "--max-rate must be at most \(ThrottleConfiguration.maximumItemsPerSecond) items/s, got \(value)"
                )
            }
            rate = value
        case (nil, true):
            rate = nil
        }
        try await JobControlAction(db: db, job: job, json: json).run({ try await $0.setMaxRate($1, rate, by: $2) }) {
            before,
            _ in
            guard let rate else {
                return before.operatorMaxRate == nil ? "no cap was set" : "cap lifted; the throttle alone decides"
            }
            return "capped at \(ProgressText.count(rate)) items/s from its next batch"
        }
    }
}
