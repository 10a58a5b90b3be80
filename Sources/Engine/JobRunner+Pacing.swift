import Bolt
import JobStore
import Logging
import Systemd
import Throttle

extension JobRunner {
    /// Runs the job held by `lease` with `probe` timing the graph for the pacer alongside, for as long as the job
    /// runs: the way to run a paced job.
    public func run(
        _ lease: JobLease,
        probe: LatencyProbe,
        progress: @Sendable (Progress) -> Void = { _ in }
    ) async throws(EngineError) -> Ending {
        guard let pacer else { return try await run(lease, progress: progress) }
        let result = await withTaskGroup(of: Void.self) { group in
            group.addTask { await probe.run(feeding: pacer) }
            let result: Result<Ending, EngineError>
            do throws(EngineError) {
                result = .success(try await run(lease, progress: progress))
            } catch {
                result = .failure(error)
            }
            group.cancelAll()
            return result
        }
        return try result.get()
    }

    /// What the runner remembers of the throttle from one batch to the next.
    struct Pacing {
        /// The last decision reported (journal, job store, progress): the next is reported only if it is a change.
        var reported: ThrottleDecision?
        /// When the job store last heard from this run, so long pauses renew the lease.
        var lastWrite = ContinuousClock.now
        /// The operator's cap (`sluice throttle --max-rate`, nil: none) as the job store last answered: the claim's,
        /// until a checkpoint or heartbeat answers. Kept here, since a batch whose checkpoint is still in flight
        /// brings no answer of its own: falling back to the claim's there put a cap lifted since back on.
        var operatorMaxRate: Int?

        init(operatorMaxRate: Int?) {
            self.operatorMaxRate = operatorMaxRate
        }

        /// The operator's cap as the pacer takes it.
        var override: ThrottleOverride { ThrottleOverride(maxItemsPerSecond: operatorMaxRate) }
    }

    /// What to do after the pause between batches.
    enum Paced {
        case next(batchSize: Int)
        /// Told to stop while waiting (paused or cancelled by an operator, or the task was cancelled): the caller
        /// settles the checkpoint in flight, then gives up the hold and the lease, as after any batch.
        case stop(JobControl?)
    }

    /// Between two batches: asks the pacer for the next batch size and pause, reports a change of throttle state
    /// (one THROTTLE journal entry, the job's throttle columns, the progress line), and waits out the pause,
    /// renewing the lease, listening to the operator and stopping when cancelled meanwhile. While the throttle pauses work (critical latency,
    /// a time window) it asks again after each pause until work may go on.
    ///
    /// - Parameters:
    ///   - batch: the batch that just ran, for the rate limits; nil before the first.
    ///   - requested: the job's batch size, which the throttle never exceeds.
    ///   - report: called with each decision that is a change, for the progress line, and again each second of a wait.
    ///   - settle: waits for the checkpoint of the batch before, when one is in flight; called before the throttle
    ///     pauses work (a time window, critical latency) or waits a second or more (a rate cap), so that its
    ///     progress is reported while the job waits, not once the next batch runs (hours later, under a
    ///     business-hours window).
    func pace(
        _ pacer: BatchPacer<ContinuousClock>,
        lease: JobLease,
        after batch: CompletedBatch?,
        control: JobControl?,
        requested: Int,
        pacing: inout Pacing,
        logger: Logger,
        report: (ThrottleDecision) -> Void,
        settle: () async throws(EngineError) -> JobControl?
    ) async throws(EngineError) -> Paced {
        // The latest control row's cap, even none (an operator's `throttle --clear`), wins.
        if let control { pacing.operatorMaxRate = control.operatorMaxRate }
        var decision = pacer.decide(after: batch, override: pacing.override)
        while true {
            if decision.isChange(from: pacing.reported) {
                logChange(decision, from: pacing.reported, logger: logger)
                let control = try await heartbeat(lease, throttle: decision, pacing: &pacing)
                if control.shouldStop {
                    return .stop(control)
                }
                pacing.reported = decision
                report(decision)
            }
            if decision.state == .paused || decision.pause >= Self.waitSlice, let settled = try await settle(),
                settled.shouldStop
            {
                return .stop(settled)
            }
            let clock = ContinuousClock()
            let end = clock.now + decision.pause
            while clock.now < end {
                do {
                    try await clock.sleep(until: min(end, clock.now + Self.waitSlice))
                } catch {
                    return .stop(nil)
                }
                // No batch is in flight: a caller stopping the run through its progress callback may do it now.
                report(decision)
                if Task.isCancelled {
                    return .stop(nil)
                }
                guard clock.now - pacing.lastWrite >= Self.heartbeatInterval else { continue }
                let capBefore = pacing.operatorMaxRate
                let control = try await heartbeat(lease, throttle: nil, pacing: &pacing)
                if control.shouldStop {
                    return .stop(control)
                }
                if pacing.operatorMaxRate != capBefore {
                    break  // decide again under the new limit rather than sleep out the old one
                }
            }
            if Task.isCancelled {
                return .stop(nil)
            }
            if decision.state != .paused, clock.now >= end {
                return .next(batchSize: max(1, min(decision.batchSize, requested)))
            }
            decision = pacer.decide(after: nil, override: pacing.override)
        }
    }

    /// A paused job renews its lease this often, and notices an operator's command at least this soon.
    static var heartbeatInterval: Duration { .seconds(5) }

    /// A wait between batches reports progress this often, so a stop asked for meanwhile is not held up by it.
    static var waitSlice: Duration { .seconds(1) }

    /// Renews the lease; with a decision, records the throttle's state and reason on the job (an event in its log).
    /// The answer's operator cap becomes the pacing's.
    private func heartbeat(
        _ lease: JobLease,
        throttle decision: ThrottleDecision?,
        pacing: inout Pacing
    ) async throws(EngineError) -> JobControl {
        let control = try await store(.heartbeat) { () async throws(JobStoreError) in
            try await store.heartbeat(
                lease,
                throttle: decision.map(JobThrottle.init),
                batchSize: decision?.batchSize
            )
        }
        pacing.lastWrite = ContinuousClock.now
        pacing.operatorMaxRate = control.operatorMaxRate
        return control
    }

    /// One THROTTLE journal entry per change of state, reason or limit (not per batch).
    private func logChange(_ decision: ThrottleDecision, from previous: ThrottleDecision?, logger: Logger) {
        var metadata: Logger.Metadata = [
            SluiceLogKey.messageID: "\(SluiceMessageID.throttled)",
            SluiceLogKey.throttle: "\(decision.reason == .unthrottled ? "" : "\(decision.reason)")",
            "throttle_state": "\(decision.state)",
            "batch_size": "\(decision.batchSize)",
            "pause_ms": "\(Int((decision.pause / .milliseconds(1)).rounded()))",
        ]
        if let previous {
            metadata["previous_throttle_state"] = "\(previous.state)"
        }
        if let latency = decision.latency {
            metadata[SluiceLogKey.latencyMilliseconds] = "\(Int((latency.p99 / .milliseconds(1)).rounded()))"
        }
        switch (decision.state, decision.reason) {
        // The slow start after a start or a pause: nothing slowed the job.
        case (.running, .rampingUp): logger.notice("throttle: ramping up", metadata: metadata)
        case (.running, _): logger.notice("throttle: full speed", metadata: metadata)
        // The climb back after a cut: not a slow-down.
        case (.throttled, .recovering): logger.notice("throttle: speeding up", metadata: metadata)
        case (.throttled, .noLatencySignal): logger.notice("throttle: holding the rate", metadata: metadata)
        case (.throttled, _): logger.notice("throttle: slowed down", metadata: metadata)
        case (.paused, _): logger.notice("throttle: paused", metadata: metadata)
        }
    }
}

extension JobThrottle {
    /// The throttle's state as the job store records it: `none` at full speed, else `throttled` or `paused` and why.
    init(_ decision: ThrottleDecision) {
        self =
            decision.state == .running ? .none : JobThrottle(state: "\(decision.state)", reason: "\(decision.reason)")
    }
}
