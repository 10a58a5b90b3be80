import Foundation
import Synchronization

/// The throttle as a job runner and its helpers share it: the runner asks it between batches for the next batch size
/// and pause and feeds it each batch's time, and the latency probe feeds it from its own task. A lock around a
/// ``ThrottleController``, with the time windows and the latency settings read at each decision (the windows on the
/// wall clock given), so a configuration the daemon reloads on SIGHUP reaches a job already running. It never sleeps
/// and does no IO itself.
///
/// Generic over the monotonic clock so a test can drive latency and time windows without sleeping; the runner uses
/// `ContinuousClock` and `Date()`.
public final class BatchPacer<C: Clock>: Sendable where C.Duration == Duration {
    private struct State {
        var controller: ThrottleController<C>
        var latest: ThrottleDecision?
        /// The configuration `reload` last gave, applied or refused, so each is tried once.
        var reloaded: ThrottleConfiguration
    }

    /// The monotonic clock latencies and pauses are measured on.
    public let clock: C
    private let wallClock: @Sendable () -> Date
    private let schedule: @Sendable () -> ThrottleSchedule
    private let reload: (@Sendable () -> ThrottleConfiguration)?
    private let state: Mutex<State>

    /// - Parameters:
    ///   - configuration: the latency targets and bounds; ``ThrottleConfiguration/fitted(toBatchSize:)`` makes a job's
    ///     requested batch size its largest.
    ///   - schedule: the time windows in force, asked for at each decision (the daemon's current configuration).
    ///   - wallClock: the civil time windows are judged by; injected in tests.
    ///   - reload: the latency settings in force now (the daemon's current configuration), asked for at each decision;
    ///     one that differs from the last replaces the controller's (``ThrottleController/reconfigure(_:)``), keeping
    ///     its latency window. One that fails validation is ignored and the previous stays in force, as the daemon
    ///     keeps its previous configuration when a reloaded file has an error. Nil: `configuration` for the job's life.
    public init(
        configuration: ThrottleConfiguration,
        clock: C,
        wallClock: @escaping @Sendable () -> Date = Date.init,
        schedule: @escaping @Sendable () -> ThrottleSchedule = { ThrottleSchedule() },
        reload: (@Sendable () -> ThrottleConfiguration)? = nil
    ) throws(ThrottleConfigurationError) {
        self.clock = clock
        self.wallClock = wallClock
        self.schedule = schedule
        self.reload = reload
        let controller = try ThrottleController(configuration: configuration, clock: clock)
        state = Mutex(State(controller: controller, reloaded: configuration))
    }

    public var configuration: ThrottleConfiguration {
        state.withLock { $0.controller.configuration }
    }

    /// Adds a latency measured just now: a batch's (by the runner) or the probe's.
    public func record(_ latency: Duration, from source: LatencySource) {
        state.withLock { $0.controller.record(latency, from: source) }
    }

    /// The next batch's size and the pause before it, under the windows open now and what the operator imposes.
    /// Call it after each batch with that batch, and while paused after each decision's pause with none.
    public func decide(after batch: CompletedBatch?, override: ThrottleOverride = .none) -> ThrottleDecision {
        let cap = schedule().cap(at: wallClock())
        let reloaded = reload?()
        return state.withLock { state in
            if let reloaded, reloaded != state.reloaded {
                state.reloaded = reloaded
                // Refused: the configuration in force stays (see `reload`).
                try? state.controller.reconfigure(reloaded)
            }
            let decision = state.controller.decide(cap: cap, override: override, lastBatch: batch)
            state.latest = decision
            return decision
        }
    }

    /// The pause the operator or a time window imposes now, if any, asked without deciding (nothing measured or
    /// adjusted changes): before planning, a full read of the graph that is no batch but must not run in a window
    /// that pauses work either.
    public func imposedPause(override: ThrottleOverride = .none) -> ThrottleReason? {
        ThrottleController<C>.imposedPause(cap: schedule().cap(at: wallClock()), override: override)
    }

    /// The last decision taken, for status lines between batches.
    public var latest: ThrottleDecision? {
        state.withLock { $0.latest }
    }

    /// The window's statistics of `source`, for status and benchmarks.
    public func statistics(of source: LatencySource) -> LatencyStatistics? {
        state.withLock { $0.controller.window.statistics(of: source) }
    }
}

extension BatchPacer where C == ContinuousClock {
    /// A pacer on the system's monotonic clock and wall clock, as `sluice run` and the daemon use it.
    public convenience init(
        configuration: ThrottleConfiguration,
        schedule: @escaping @Sendable () -> ThrottleSchedule = { ThrottleSchedule() },
        reload: (@Sendable () -> ThrottleConfiguration)? = nil
    ) throws(ThrottleConfigurationError) {
        try self.init(configuration: configuration, clock: ContinuousClock(), schedule: schedule, reload: reload)
    }
}
