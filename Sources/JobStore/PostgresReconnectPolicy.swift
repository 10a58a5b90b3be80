/// Exponential backoff for (re)connecting to a server that is down or restarting.
///
/// Only failures where the server did not answer (libpq's `PQping` says no response, or "rejecting connections"
/// while it starts up or shuts down) are retried; a wrong password or a missing database fails at once, since
/// waiting cannot fix it.
public struct PostgresReconnectPolicy: Sendable, Equatable {
    /// Delay before the second attempt; doubled after each failure.
    public var initialDelay: Duration
    /// Upper bound of a single delay.
    public var maximumDelay: Duration
    /// Total time after which to give up and report the last error.
    public var giveUpAfter: Duration
    /// How long a connection that reconnects by itself (``PostgresListener``) waits after the server refused it
    /// (``PostgresError/connectionRefused(message:)``): long enough that a wrong password is not a failed login a
    /// second in the server's log, short enough that the fixed one is picked up without a restart.
    public var afterRefusal: Duration

    public init(
        initialDelay: Duration,
        maximumDelay: Duration,
        giveUpAfter: Duration,
        afterRefusal: Duration = .seconds(30)
    ) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.giveUpAfter = giveUpAfter
        self.afterRefusal = afterRefusal
    }

    /// For daemons: rides out a Postgres restart or failover (up to a minute), polling fast at first.
    public static let `default` = PostgresReconnectPolicy(
        initialDelay: .milliseconds(50),
        maximumDelay: .seconds(5),
        giveUpAfter: .seconds(60)
    )

    /// For command-line tools: one attempt, and the error right away.
    public static let none = PostgresReconnectPolicy(initialDelay: .zero, maximumDelay: .zero, giveUpAfter: .zero)

    /// The delays to sleep between attempts, in seconds.
    func delays() -> some Sequence<Double> {
        let initial = initialDelay.seconds
        let maximum = maximumDelay.seconds
        return sequence(first: initial) { min($0 * 2, maximum) }
    }
}

extension Duration {
    /// The duration as floating-point seconds (lease lengths, rates).
    public var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}
