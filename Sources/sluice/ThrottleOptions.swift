import ArgumentParser
import Daemon
import Engine
import Throttle

/// How `sluice run` paces a job: the latency it keeps the graph at, the probe it times, and the time windows it
/// follows. It starts from the configuration's `[throttle]`, as a daemon with that configuration paces its jobs;
/// each flag overrides one setting.
struct ThrottleOptions: ParsableArguments {
    @Flag(help: "Run every batch at the full batch size, with no pause, probe or time window.")
    var noThrottle = false

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "The probe's p99 latency to keep the graph under (default: [throttle] target_p99, else 50).",
            valueName: "ms"
        )
    )
    var targetP99: Int?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "The probe's p99 latency at which work pauses until it recovers (default: [throttle] critical_p99, "
                + "else 250).",
            valueName: "ms"
        )
    )
    var criticalP99: Int?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "A rate the job never exceeds (default: [throttle] max_items_per_second, else none).",
            valueName: "items/s"
        )
    )
    var maxRate: Int?

    @Option(
        help: ArgumentHelp(
            "A representative read of the application to time (the migration's // sluice:probe wins; "
                + "default: [throttle] probe, else RETURN 1, which measures neither the store nor locks).",
            valueName: "cypher"
        )
    )
    var probe: String?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Time between the starts of two probes (default: [throttle] probe_interval, else 250).",
            valueName: "ms"
        )
    )
    var probeInterval: Int?

    @OptionGroup var windows: WindowOptions

    func validate() throws {
        if let targetP99, targetP99 < 1 { throw ValidationError("--target-p99 must be at least 1 ms") }
        if let criticalP99, criticalP99 < 1 { throw ValidationError("--critical-p99 must be at least 1 ms") }
        if let criticalP99, let targetP99, criticalP99 <= targetP99 {
            throw ValidationError("--critical-p99 must be above --target-p99")
        }
        if let maxRate, !(1...ThrottleConfiguration.maximumItemsPerSecond).contains(maxRate) {
            throw ValidationError("--max-rate must be between 1 and \(ThrottleConfiguration.maximumItemsPerSecond)")
        }
        if maxRate != nil, noThrottle {
            throw ValidationError("--max-rate needs the throttle: drop --no-throttle (or the rate cap)")
        }
        if let probeInterval, probeInterval < 10 {
            throw ValidationError("--probe-interval must be at least 10 ms")
        }
    }

    /// The configuration's `[throttle]` with the flags' values instead; `--window` and `--windows-file` replace its
    /// windows. Fails when a flag and the configuration together cannot work (a critical p99 below the target).
    func settings(over configured: ThrottleSettings) throws -> ThrottleSettings {
        var settings = configured
        if let targetP99 { settings.configuration.targetP99 = .milliseconds(targetP99) }
        if let criticalP99 { settings.configuration.criticalP99 = .milliseconds(criticalP99) }
        if let maxRate { settings.configuration.maxItemsPerSecond = maxRate }
        if let probe { settings.probe = probe }
        if let probeInterval { settings.probeInterval = .milliseconds(probeInterval) }
        settings.schedule = try windows.loadSchedule(configured: configured.schedule)
        do {
            try settings.configuration.validate()
        } catch {
            throw CommandError("the throttle flags with the configuration's [throttle]: \(error)")
        }
        return settings
    }
}
