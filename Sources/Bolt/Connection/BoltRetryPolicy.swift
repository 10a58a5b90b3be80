/// How long and how often a unit of work is retried: exponential backoff with jitter, as the
/// official drivers do (1 s, doubling, ±20 %, for up to 30 s).
public struct BoltRetryPolicy: Sendable {
    public var maximumRetryTime: Duration
    public var initialDelay: Duration
    public var multiplier: Double
    public var jitter: Double

    public init(
        maximumRetryTime: Duration = .seconds(30),
        initialDelay: Duration = .seconds(1),
        multiplier: Double = 2,
        jitter: Double = 0.2
    ) {
        self.maximumRetryTime = maximumRetryTime
        self.initialDelay = initialDelay
        self.multiplier = multiplier
        self.jitter = jitter
    }

    /// Runs `work` until it succeeds, fails with an error that is not retryable, or the time is up
    /// (then the last error is thrown).
    func run<Result: Sendable>(_ work: () async throws -> Result) async throws -> Result {
        var schedule = schedule()
        while true {
            do {
                return try await work()
            } catch let error as BoltError where error.isRetryable {
                guard let delay = schedule.nextDelay() else { throw error }
                try await Task.sleep(for: delay)
            }
        }
    }

    /// The waits of one unit of work under this policy, starting now: callers that decide themselves which errors
    /// are worth another try (the engine splits a batch that stays contended) share the backoff with ``run(_:)``.
    public func schedule() -> Schedule {
        Schedule(policy: self, deadline: .now + maximumRetryTime)
    }

    /// The backoff of one unit of work: each wait longer than the one before, none ending past the retry time.
    public struct Schedule: Sendable {
        let policy: BoltRetryPolicy
        let deadline: ContinuousClock.Instant
        private var delay: Duration

        init(policy: BoltRetryPolicy, deadline: ContinuousClock.Instant) {
            self.policy = policy
            self.deadline = deadline
            delay = policy.initialDelay
        }

        /// How long to wait before the next try, or nil when that wait would end past the retry time (give up).
        public mutating func nextDelay() -> Duration? {
            let jittered = delay * (1 + Double.random(in: -policy.jitter...policy.jitter))
            guard ContinuousClock.now + jittered < deadline else { return nil }
            delay = delay * policy.multiplier
            return jittered
        }
    }
}
