/// How the throttle paces a job. The defaults suit an OLTP graph whose application expects reads in tens of
/// milliseconds; every value can be set in the configuration file.
public struct ThrottleConfiguration: Sendable, Hashable {
    /// The p99 latency the application should keep: above it the rate is cut, below it the rate grows.
    public var targetP99: Duration
    /// A p99 at which the application is suffering: work pauses until latency has stayed below the target for
    /// `recoveryPeriod`.
    public var criticalP99: Duration
    /// Batches never get smaller than this, so bookkeeping stays a small share of the work (a time window's
    /// `max batch` may go lower).
    public var minBatchSize: Int
    /// The size a job runs at when nothing holds it back.
    public var maxBatchSize: Int
    /// The shortest pause between batches.
    public var minPause: Duration
    /// The longest pause the latency control adds between batches once batches are at their smallest. A rate limit
    /// may need longer pauses, and gets them.
    public var maxPause: Duration
    /// A rate the job never exceeds, whatever the latency.
    public var maxItemsPerSecond: Int?

    /// The highest rate limit accepted where one is written (configuration, window rule, flag): far above any graph's
    /// speed, and far enough below `Int.max` that the controller's arithmetic on it (in `Double`) stays in range.
    public static let maximumItemsPerSecond = 1_000_000_000
    /// How long latency must stay below the target before a pause for critical latency ends and before a job counts
    /// as unthrottled again: the hysteresis that keeps a latency hovering at a threshold from flapping the state.
    public var recoveryPeriod: Duration
    /// The additive increase, as a fraction of `maxBatchSize` per adjustment (and of the pause range, when pausing).
    public var increaseFraction: Double
    /// The multiplicative decrease: a batch size is multiplied by it, a pause divided by it.
    public var decreaseFactor: Double
    /// The least time between two adjustments, so the window can show the effect of one before the next.
    public var adjustmentInterval: Duration
    /// Under a rate limit, a batch holds at most the items of this interval (but at least `minBatchSize`), so a limit
    /// spreads work evenly instead of running a large batch and then pausing long.
    public var rateInterval: Duration
    /// The latency the controller steers by. The probe's is what the application sees; a batch's time grows with its
    /// size, so it suits only a target set for batches.
    public var signal: LatencySource
    /// How far back the latency window looks.
    public var windowAge: Duration
    /// The most samples the window keeps per source.
    public var windowCount: Int
    /// The highest samples in the window that a decision ignores: a latency counts as reached only when more samples
    /// than this reached it. p99 ignores one sample in a hundred anyway; a window of a few dozen probes needs this so
    /// that one stall (a GC pause, a starved scheduler on the client) neither pauses a job nor keeps it paused.
    public var outliers: Int

    public init(
        targetP99: Duration = .milliseconds(50),
        criticalP99: Duration = .milliseconds(250),
        minBatchSize: Int = 1_000,
        maxBatchSize: Int = 10_000,
        minPause: Duration = .zero,
        maxPause: Duration = .seconds(5),
        maxItemsPerSecond: Int? = nil,
        recoveryPeriod: Duration = .seconds(10),
        increaseFraction: Double = 0.1,
        decreaseFactor: Double = 0.5,
        adjustmentInterval: Duration = .seconds(1),
        rateInterval: Duration = .seconds(1),
        signal: LatencySource = .probe,
        windowAge: Duration = .seconds(10),
        windowCount: Int = 1_000,
        outliers: Int = 2
    ) {
        self.targetP99 = targetP99
        self.criticalP99 = criticalP99
        self.minBatchSize = minBatchSize
        self.maxBatchSize = maxBatchSize
        self.minPause = minPause
        self.maxPause = maxPause
        self.maxItemsPerSecond = maxItemsPerSecond
        self.recoveryPeriod = recoveryPeriod
        self.increaseFraction = increaseFraction
        self.decreaseFactor = decreaseFactor
        self.adjustmentInterval = adjustmentInterval
        self.rateInterval = rateInterval
        self.signal = signal
        self.windowAge = windowAge
        self.windowCount = windowCount
        self.outliers = outliers
    }

    /// The configuration for a job that asks for batches of `batchSize`: that is its largest batch, and its smallest
    /// is no larger. An operator's batch size is a ceiling the throttle works under, never a size it exceeds.
    public func fitted(toBatchSize batchSize: Int) -> ThrottleConfiguration {
        var fitted = self
        fitted.maxBatchSize = max(1, batchSize)
        fitted.minBatchSize = min(minBatchSize, fitted.maxBatchSize)
        return fitted
    }

    /// Refuses settings the controller could not honour, naming the first.
    public func validate() throws(ThrottleConfigurationError) {
        guard targetP99 > .zero else { throw .notPositive("target_p99") }
        guard criticalP99 > targetP99 else { throw .criticalNotAboveTarget(target: targetP99, critical: criticalP99) }
        guard minBatchSize >= 1 else { throw .notPositive("min_batch_size") }
        guard maxBatchSize >= minBatchSize else {
            throw .minAboveMax("batch_size", min: "\(minBatchSize)", max: "\(maxBatchSize)")
        }
        guard minPause >= .zero else { throw .negative("min_pause") }
        guard maxPause >= minPause else {
            throw .minAboveMax(
                "pause",
                min: ThrottleFormat.duration(minPause),
                max: ThrottleFormat.duration(maxPause)
            )
        }
        if let maxItemsPerSecond, maxItemsPerSecond < 1 { throw .notPositive("max_items_per_second") }
        guard recoveryPeriod >= .zero else { throw .negative("recovery_period") }
        guard increaseFraction > 0, increaseFraction <= 1 else {
            throw .outOfRange("increase_fraction", increaseFraction)
        }
        guard decreaseFactor > 0, decreaseFactor < 1 else { throw .outOfRange("decrease_factor", decreaseFactor) }
        guard adjustmentInterval > .zero else { throw .notPositive("adjustment_interval") }
        guard rateInterval > .zero else { throw .notPositive("rate_interval") }
        guard windowAge > .zero else { throw .notPositive("window_age") }
        guard windowCount >= 1 else { throw .notPositive("window_count") }
        guard outliers >= 0 else { throw .negative("ignore_outliers") }
    }
}
