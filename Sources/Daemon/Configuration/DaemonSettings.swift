import Logging

/// The `[daemon]` section: who the daemon is and how it waits.
public struct DaemonSettings: Sendable, Equatable {
    /// The stable worker identity in the job table's lease columns (default: host, machine id and unit).
    public var worker: String
    /// How long a lease lasts without a heartbeat, on Postgres's clock; heartbeats come at a third of it.
    public var lease: Duration
    /// How often to look for work when no NOTIFY arrives (a missed notification, a `not_before` that passed).
    public var pollInterval: Duration
    /// The first and the longest wait between attempts while Postgres or the graph is unreachable.
    public var retryInitial: Duration
    public var retryMaximum: Duration
    /// A job that makes no progress for this long is reported stuck (journal and status).
    public var stuckAfter: Duration
    /// The watchdog's allowance beyond a batch's timeout before a silent work loop counts as hung.
    public var watchdogMargin: Duration
    public var logLevel: Logger.Level
}

/// The `[engine]` section: the defaults for every job (a job's own batch size, then its migration's, win).
public struct EngineSettings: Sendable, Equatable {
    public var batchSize: Int
    public var batchTimeout: Duration
    public var planChunk: Int
}
