import ArgumentParser
import Engine
import Throttle

/// How `sluice run` paces a job: the latency it keeps the graph at, the probe it times, and the time windows it
/// follows. The defaults are the throttle's (``ThrottleConfiguration``).
struct ThrottleOptions: ParsableArguments {
    @Flag(help: "Run every batch at the full batch size, with no pause, probe or time window.")
    var noThrottle = false

    @Option(help: ArgumentHelp("The probe's p99 latency to keep the graph under.", valueName: "ms"))
    var targetP99: Int = 50

    @Option(help: ArgumentHelp("The probe's p99 latency at which work pauses until it recovers.", valueName: "ms"))
    var criticalP99: Int = 250

    @Option(help: ArgumentHelp("A rate the job never exceeds.", valueName: "items/s"))
    var maxRate: Int?

    @Option(
        help: ArgumentHelp(
            "A representative read of the application to time (the migration's // sluice:probe wins; "
                + "default RETURN 1, which measures neither the store nor locks).",
            valueName: "cypher"
        )
    )
    var probe: String?

    @Option(help: ArgumentHelp("Time between the starts of two probes.", valueName: "ms"))
    var probeInterval: Int = 250

    @OptionGroup var windows: WindowOptions

    func validate() throws {
        guard targetP99 > 0, criticalP99 > targetP99 else {
            throw ValidationError("--critical-p99 must be above --target-p99, and both positive")
        }
        if let maxRate, maxRate < 1 { throw ValidationError("--max-rate must be at least 1") }
        if maxRate != nil, noThrottle {
            throw ValidationError("--max-rate needs the throttle: drop --no-throttle (or the rate cap)")
        }
        guard probeInterval >= 10 else { throw ValidationError("--probe-interval must be at least 10 ms") }
    }

    /// The throttle for a job whose batches are at most `batchSize`.
    func configuration(batchSize: Int) -> ThrottleConfiguration {
        ThrottleConfiguration(
            targetP99: .milliseconds(targetP99),
            criticalP99: .milliseconds(criticalP99),
            maxItemsPerSecond: maxRate
        )
        .fitted(toBatchSize: batchSize)
    }

    var probeConfiguration: LatencyProbe.Configuration {
        LatencyProbe.Configuration(interval: .milliseconds(probeInterval))
    }
}
