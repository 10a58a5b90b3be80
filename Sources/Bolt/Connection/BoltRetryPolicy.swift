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
        let clock = ContinuousClock()
        let start = clock.now
        var delay = initialDelay
        while true {
            do {
                return try await work()
            } catch let error as BoltError where error.isRetryable {
                let jittered = delay * (1 + Double.random(in: -jitter...jitter))
                guard clock.now + jittered - start < maximumRetryTime else { throw error }
                try await Task.sleep(for: jittered)
                delay = delay * multiplier
            }
        }
    }
}
