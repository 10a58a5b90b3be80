/// Decides the size of each batch and the pause after it, from the Bolt latency the application sees, the time windows
/// open, and what the operator imposes. It is a pure value: time comes from the clock it is given (a test clock in
/// tests, `ContinuousClock` in the daemon), it never sleeps, and it does no IO.
///
/// The rate follows AIMD, like TCP: while p99 latency is above the target the rate is cut multiplicatively, batch size
/// first (smaller batches hold locks for less time), then, once batches are at their smallest, by growing the pause
/// between them; while latency is below the target the pause shrinks and then the batch size grows additively. At
/// most one adjustment per `adjustmentInterval`. A cut is judged on the samples measured since the previous
/// adjustment: the effect of the last change, not a spike the window still remembers (which would cut the rate again
/// and again until it aged out). A step up needs the whole window under the target as well: the few samples of one
/// interval say little about a p99, and growing on them alone settles where one interval in a few goes over the target,
/// so the window's p99 hovers at it under a steady load. Holding until the window is clean keeps its p99 under the
/// target and costs at most the window's age after a spike. Work starts, and resumes after any pause, at the smallest
/// batch size: a climb no cut preceded is ramping up (``ThrottleReason/rampingUp(batchSize:limit:p99:target:)``, not
/// throttled), one after a cut is recovering, and the decision that cuts names the latency that made it (a journal
/// entry when the job was not slowed already).
///
/// Pausing and resuming are judged on the window's *sustained* p99 (``LatencyStatistics/sustainedP99``): p99, but
/// never a level that only `outliers` samples reached, so one stall neither stops work nor keeps it stopped. The
/// AIMD steps react to every sample: one slow sample costs a smaller batch for a few seconds, not a pause.
///
/// Above the critical latency work pauses at once, and resumes only when p99 has stayed below the *target* (not the
/// critical level) for the recovery period; the job likewise counts as unthrottled again only after a recovery period
/// under the target at full size. This hysteresis keeps a latency hovering at either threshold from flapping the state.
///
/// Precedence: an operator's pause, then a window's pause, then critical latency; otherwise the strictest of the
/// rate limits (operator, window, configuration) and batch-size limits applies, and the latency control works within
/// them. A rate limit is kept exactly over each batch and the pause after it, even when that pause exceeds `maxPause`.
public struct ThrottleController<C: Clock>: Sendable where C.Duration == Duration {
    public private(set) var configuration: ThrottleConfiguration
    /// The latencies decided on; feed it through `record(_:from:)`.
    public private(set) var window: LatencyWindow<C.Instant>

    private let clock: C
    private var batchSize: Int
    private var pause: Duration
    private var lastAdjustment: C.Instant?
    /// The samples of the signal measured since the last adjustment, within the window's age.
    private var sinceAdjustment = LatencySeries<C.Instant>()
    /// The first decision of the current run of decisions that saw p99 below the target.
    private var belowTargetSince: C.Instant?
    /// The p99 that last exceeded the critical level, while work is paused for it.
    private var criticalP99: Duration?
    /// Latency slowed the job down (a smaller batch, a longer pause, a critical pause) and has not stayed below the
    /// target for the recovery period since: until it has, a job back at full speed is still said to be recovering,
    /// so that latency hovering at the target does not flip its state each batch. A job never slowed is at full
    /// speed from its first batch at full size.
    private var slowedSinceRecovery = false
    /// Latency cut the rate (a smaller batch, a longer pause, a critical pause) and the job has not grown back to its
    /// limit since: its climb is recovering. A climb without a cut (the slow start, after a pause by an operator or a
    /// window, after a rate limit lifted) is ramping up, which is not throttled.
    private var climbingAfterCut = false

    public init(
        configuration: ThrottleConfiguration = ThrottleConfiguration(),
        clock: C
    )
        throws(ThrottleConfigurationError)
    {
        try configuration.validate()
        self.configuration = configuration
        self.clock = clock
        window = LatencyWindow(
            maxAge: configuration.windowAge,
            maxCount: configuration.windowCount,
            outliers: configuration.outliers
        )
        batchSize = configuration.minBatchSize
        pause = configuration.minPause
    }

    /// Decides by `configuration` from now on (a daemon's reload), keeping what was measured and where the job stands:
    /// the window's samples, the batch size and pause (within the new bounds), a pause for critical latency and the
    /// time latency has stayed below the target. Restarting the controller instead would forget the latency that set
    /// the job's pace and start it again at its smallest batches. A configuration that fails validation changes
    /// nothing.
    public mutating func reconfigure(_ new: ThrottleConfiguration) throws(ThrottleConfigurationError) {
        try new.validate()
        if new.signal != configuration.signal {
            // The samples since the last adjustment are the old signal's.
            sinceAdjustment = LatencySeries()
        }
        configuration = new
        window.resize(maxAge: new.windowAge, maxCount: new.windowCount, outliers: new.outliers)
        sinceAdjustment.removeOldest(keeping: new.windowCount)
        batchSize = min(max(batchSize, new.minBatchSize), new.maxBatchSize)
        pause = min(max(pause, new.minPause), new.maxPause)
    }

    /// Adds a latency measured just now.
    public mutating func record(_ latency: Duration, from source: LatencySource) {
        let now = clock.now
        window.record(latency, from: source, at: now)
        if source == configuration.signal {
            sinceAdjustment.append(latency, at: now)
            sinceAdjustment.removeOldest(keeping: configuration.windowCount)
        }
    }

    /// The next batch's size and the pause before it. Call it after each batch (with that batch as `lastBatch`) and,
    /// while paused, again after each decision's pause.
    public mutating func decide(
        cap: ThrottleCap = .none,
        override: ThrottleOverride = .none,
        lastBatch: CompletedBatch? = nil
    ) -> ThrottleDecision {
        let now = clock.now
        window.expire(asOf: now)
        sinceAdjustment.removeArrivals(before: now.advanced(by: .zero - configuration.windowAge))
        let latency = window.statistics(of: configuration.signal)
        track(latency?.sustainedP99, at: now)

        if let reason = pauseReason(cap: cap, override: override) {
            batchSize = configuration.minBatchSize
            // Work starts again from the smallest batch: after a critical pause the climb is a recovery, after any
            // other a start.
            climbingAfterCut = criticalP99 != nil
            markAdjusted(at: now)
            return ThrottleDecision(
                batchSize: batchSize,
                pause: configuration.adjustmentInterval,
                reason: reason,
                latency: latency
            )
        }

        let rate = rateLimit(cap: cap, override: override)
        let (limit, limitReason) = batchLimit(cap: cap, rate: rate)
        batchSize = min(batchSize, limit)
        let recentP99 = sinceAdjustment.statistics()?.p99
        let cut = adapt(to: recentP99, window: latency?.p99, limit: limit, at: now)
        let p99 = recentP99 ?? latency?.p99
        if batchSize >= limit, pause <= configuration.minPause { climbingAfterCut = false }

        var nextPause = pause
        let reason: ThrottleReason
        // The last batch's share of the rate limit: how long its items may take at that rate.
        let share = rate.flatMap { rate in
            lastBatch.flatMap { $0.size > 0 ? Duration.seconds(Double($0.size) / Double(rate.value)) : nil }
        }
        var ratePaces = false
        if let share, let lastBatch, share - lastBatch.duration > nextPause {
            nextPause = share - lastBatch.duration
            ratePaces = true
        }
        if let recentP99, cut {
            // The decision that cuts says so, whatever limit also holds the job: its state and journal entry are how
            // an operator learns that the graph's latency slowed the job.
            reason = .latencyAboveTarget(p99: recentP99, target: configuration.targetP99)
        } else if let rate, ratePaces {
            reason = rate.reason
        } else if batchSize < limit || pause > configuration.minPause {
            reason = climbingReason(p99, window: latency?.p99, limit: limit)
        } else if let limitReason {
            reason = limitReason
        } else if let rate, let share, let lastBatch, lastBatch.duration <= share * Self.rateMargin {
            // A batch that took a little longer than its share still ran at the limit's pace: without this margin a
            // job running at its limit would flip between naming it and not with each batch's jitter (a journal
            // entry each time).
            reason = rate.reason
        } else if slowedSinceRecovery || p99.map({ $0 >= configuration.targetP99 }) ?? true {
            reason = latencyReason(p99)
        } else {
            reason = .unthrottled
        }
        return ThrottleDecision(batchSize: batchSize, pause: nextPause, reason: reason, latency: latency)
    }

    /// How much longer than its share of a rate limit a batch may take and still count as running at the limit.
    static var rateMargin: Double { 1.25 }

    // MARK: - Steps of a decision

    private mutating func track(_ p99: Duration?, at now: C.Instant) {
        // Steered by batch times, a job paused for critical latency measures nothing until it runs a batch: its window
        // empties and stays empty. That silence counts as below the target, so after the recovery period the job tries
        // again at its smallest batch (one as slow as before pauses it again); otherwise the pause would never end.
        // The probe goes on measuring during a pause: its silence is no sign of recovery.
        let silentWhilePaused = p99 == nil && criticalP99 != nil && configuration.signal != .probe
        if p99.map({ $0 < configuration.targetP99 }) ?? silentWhilePaused {
            belowTargetSince = belowTargetSince ?? now
        } else {
            belowTargetSince = nil
        }
        if let p99, p99 > configuration.criticalP99 {
            criticalP99 = p99
            slowedSinceRecovery = true
            climbingAfterCut = true
        } else if criticalP99 != nil, hasRecovered(at: now) {
            criticalP99 = nil
        }
        if hasRecovered(at: now) { slowedSinceRecovery = false }
    }

    private func hasRecovered(at now: C.Instant) -> Bool {
        guard let belowTargetSince else { return false }
        return belowTargetSince.duration(to: now) >= configuration.recoveryPeriod
    }

    /// The pause the operator or a time window imposes, whatever latency says; nil when neither pauses work.
    static func imposedPause(cap: ThrottleCap, override: ThrottleOverride) -> ThrottleReason? {
        if override.paused {
            return .pausedByOperator
        }
        return cap.pausedBy.map { .windowPause($0) }
    }

    private func pauseReason(cap: ThrottleCap, override: ThrottleOverride) -> ThrottleReason? {
        if let imposed = Self.imposedPause(cap: cap, override: override) {
            return imposed
        }
        if let criticalP99 {
            return .criticalLatency(p99: criticalP99, critical: configuration.criticalP99)
        }
        return nil
    }

    /// The lowest rate limit in force; on a tie the operator's, then the window's, is named.
    private func rateLimit(cap: ThrottleCap, override: ThrottleOverride) -> (value: Int, reason: ThrottleReason)? {
        let limits: [(value: Int, reason: ThrottleReason)?] = [
            override.maxItemsPerSecond.map { (max(1, $0), .operatorMaxRate($0)) },
            cap.maxItemsPerSecond.map { ($0.value, .windowMaxRate($0)) },
            configuration.maxItemsPerSecond.map { ($0, .configuredMaxRate($0)) },
        ]
        return limits.compactMap { $0 }.min { $0.value < $1.value }
    }

    /// The largest batch allowed now and what sets it when it is below `maxBatchSize`. A window's `max batch` may go
    /// below `minBatchSize`; the share of a rate limit does not.
    private func batchLimit(
        cap: ThrottleCap,
        rate: (value: Int, reason: ThrottleReason)?
    ) -> (Int, ThrottleReason?) {
        var limit = configuration.maxBatchSize
        var reason: ThrottleReason?
        if let windowLimit = cap.maxBatchSize, windowLimit.value < limit {
            limit = max(1, windowLimit.value)
            reason = .windowMaxBatchSize(windowLimit)
        }
        // Only a share below the limit counts, so it is computed against the limit: a rate near `Int.max` (an
        // operator's cap from the job store, which no parser here checked) must not trap converting back to Int.
        if let rate, Double(rate.value) * configuration.rateInterval.seconds < Double(limit) {
            let share = max(configuration.minBatchSize, Int(Double(rate.value) * configuration.rateInterval.seconds))
            if share < limit {
                limit = share
                reason = rate.reason
            }
        }
        return (limit, reason)
    }

    /// One AIMD step: down on `p99`, the latency measured since the last adjustment (nil when nothing was); up only
    /// while `window`, the p99 of every sample the window holds, is under the target too. Whether it cut the rate (a
    /// smaller batch or a longer pause).
    private mutating func adapt(to p99: Duration?, window: Duration?, limit: Int, at now: C.Instant) -> Bool {
        guard let p99, lastAdjustment.map({ $0.duration(to: now) >= configuration.adjustmentInterval }) ?? true else {
            return false
        }
        let smallest = min(configuration.minBatchSize, limit)
        let pauseStep = (configuration.maxPause - configuration.minPause) * configuration.increaseFraction
        if p99 > configuration.targetP99 {
            slowedSinceRecovery = true
            climbingAfterCut = true
            let before = (batchSize: batchSize, pause: pause)
            if batchSize > smallest {
                batchSize = max(smallest, Int(Double(batchSize) * configuration.decreaseFactor))
            } else {
                let longer = max(configuration.minPause + pauseStep, pause * (1 / configuration.decreaseFactor))
                pause = min(configuration.maxPause, longer)
            }
            markAdjusted(at: now)
            return batchSize < before.batchSize || pause > before.pause
        } else if p99 < configuration.targetP99, let window, window < configuration.targetP99 {
            if pause > configuration.minPause {
                pause = max(configuration.minPause, pause - pauseStep)
                markAdjusted(at: now)
            } else if batchSize < limit {
                let step = max(1, Int((Double(configuration.maxBatchSize) * configuration.increaseFraction).rounded()))
                batchSize = min(limit, batchSize + step)
                markAdjusted(at: now)
            }
        }
        return false
    }

    private mutating func markAdjusted(at now: C.Instant) {
        lastAdjustment = now
        sinceAdjustment = LatencySeries()
    }

    /// Why a job below its limit is there: the slow start while no cut preceded the climb (and no pause grown for
    /// latency remains) and latency, recent (`p99`) and over the whole `window`, is under the target; else the
    /// latency.
    private func climbingReason(_ p99: Duration?, window: Duration?, limit: Int) -> ThrottleReason {
        if !climbingAfterCut, pause <= configuration.minPause, let p99, p99 < configuration.targetP99,
            let window, window < configuration.targetP99
        {
            return .rampingUp(batchSize: batchSize, limit: limit, p99: p99, target: configuration.targetP99)
        }
        return latencyReason(p99)
    }

    private func latencyReason(_ p99: Duration?) -> ThrottleReason {
        guard let p99 else { return .noLatencySignal(configuration.signal, window: configuration.windowAge) }
        if p99 > configuration.targetP99 {
            return .latencyAboveTarget(p99: p99, target: configuration.targetP99)
        }
        return .recovering(p99: p99, target: configuration.targetP99)
    }
}

extension ThrottleController where C == ContinuousClock {
    /// A controller on the system's monotonic clock, as the daemon runs it.
    public init(configuration: ThrottleConfiguration = ThrottleConfiguration()) throws(ThrottleConfigurationError) {
        try self.init(configuration: configuration, clock: ContinuousClock())
    }
}
