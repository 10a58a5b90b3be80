import Bolt
import Logging
import Migrations
import Throttle

/// Times a representative read of the application every `interval`, on a connection of its own, and feeds the
/// pacer: the latency the graph's users see while a job runs, which is what the throttle steers by.
///
/// The read is the migration's `// sluice:probe`, else the configured one, else `RETURN 1`: a fallback that touches no
/// store and takes no lock, so it sees a saturated server but not a contended index or locked nodes (a warning says
/// so, once). A read that does not answer within `timeout` counts as `timeout`, again for every further `timeout` it
/// takes: a graph too busy to answer must read as slow, not as silent.
public struct LatencyProbe: Sendable {
    /// What `RETURN 1` does not measure, logged once when it is all there is.
    public static let fallbackQuery = "RETURN 1"

    public struct Configuration: Sendable {
        /// The time from one probe's start to the next's.
        public var interval: Duration
        /// The latency recorded for a read still unanswered after this long.
        public var timeout: Duration

        public init(interval: Duration = .milliseconds(250), timeout: Duration = .seconds(2)) {
            self.interval = interval
            self.timeout = timeout
        }
    }

    /// The read timed, and where it comes from (`migration 007`, `configuration`, `fallback`).
    public let query: String
    public let origin: String
    let configuration: Configuration
    let options: BoltTransactionOptions
    let connect: @Sendable () async throws(BoltError) -> BoltConnection
    let logger: Logger

    /// - Parameters:
    ///   - migration: the job's migration; its probe wins, as the read closest to what the job touches.
    ///   - configured: the configuration's probe, for migrations without one.
    ///   - options: the database (and nothing else: a probe is a plain auto-commit read).
    ///   - connect: opens the probe's own connection, again after it is lost.
    public init(
        migration: MigrationFile?,
        configured: String? = nil,
        configuration: Configuration = Configuration(),
        options: BoltTransactionOptions,
        logger: Logger,
        connect: @escaping @Sendable () async throws(BoltError) -> BoltConnection
    ) {
        if let probe = migration?.options.probe {
            query = probe.text
            origin = "migration \(migration!.version)"
        } else if let configured, !configured.isEmpty {
            query = configured
            origin = "configuration"
        } else {
            query = Self.fallbackQuery
            origin = "fallback"
        }
        self.configuration = configuration
        self.options = BoltTransactionOptions(database: options.database)
        self.connect = connect
        self.logger = logger
    }

    /// Probes until the task is cancelled, recording each latency in `pacer`.
    public func run<C: Clock>(feeding pacer: BatchPacer<C>) async where C.Duration == Duration {
        var query = query
        if query == Self.fallbackQuery {
            warnFallback(because: "no probe in the migration or the configuration")
        }
        var connection: BoltConnection?
        var failures = 0
        let clock = ContinuousClock()
        while !Task.isCancelled {
            let next = clock.now + configuration.interval
            do {
                if connection?.isActive != true {
                    await connection?.close()
                    connection = nil
                    let fresh = try await connect()
                    connection = fresh
                    // The first read on a connection times its setup (plans compiled, caches filled), not the graph.
                    try await fresh.run(query, options: options).consume()
                }
                try await measure(query, on: connection!, feeding: pacer)
                failures = 0
            } catch let error where error.isPermanentServerError && query != Self.fallbackQuery {
                // The read itself fails on this server: timing it would time an error.
                logger.warning(
                    "the probe read fails; timing RETURN 1 instead",
                    metadata: ["query": "\(query)", "origin": "\(origin)", "error": "\(error)"]
                )
                query = Self.fallbackQuery
                warnFallback(because: "the probe read failed")
            } catch {
                // Unreachable, lost, or a transient failure (a lock wait timed out, a deadlock, a server too busy to
                // start the read): as slow as a read that never answers.
                pacer.record(configuration.timeout, from: .probe)
                if failures == 0 {
                    logger.warning("the probe gets no answer from the graph", metadata: ["error": "\(error)"])
                }
                failures += 1
            }
            try? await clock.sleep(until: next)
        }
        await connection?.close()
    }

    /// Runs `query` once, recording its latency, or `timeout` for each `timeout` it goes unanswered.
    private func measure<C: Clock>(
        _ query: String,
        on connection: BoltConnection,
        feeding pacer: BatchPacer<C>
    ) async throws(BoltError) where C.Duration == Duration {
        let timeout = configuration.timeout
        let options = options
        let outcome: Result<Duration, BoltError>? = await withTaskGroup(
            of: Result<Duration, BoltError>?.self
        ) { group in
            group.addTask {
                let clock = ContinuousClock()
                let started = clock.now
                do throws(BoltError) {
                    try await connection.run(query, options: options).consume()
                    return .success(clock.now - started)
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                while (try? await Task.sleep(for: timeout)) != nil {
                    pacer.record(timeout, from: .probe)
                }
                return nil
            }
            // The watchdog ends only when cancelled: the first to finish is the read.
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let latency = try outcome?.get() else { return }
        // A read slower than the timeout was recorded as such while it ran.
        if latency < timeout {
            pacer.record(latency, from: .probe)
        }
    }

    private func warnFallback(because reason: String) {
        logger.warning(
            "the throttle times RETURN 1, which measures neither the store nor locks: add a // sluice:probe read",
            metadata: ["reason": "\(reason)"]
        )
    }
}

extension BoltError {
    /// The server answered with a FAILURE that refuses the read itself (a syntax error, an unknown function): timing it would time an error. A
    /// transient error is the graph being busy, and is timed as such.
    fileprivate var isPermanentServerError: Bool {
        if case .server(let server) = self { return server.classification != .transient }
        return false
    }
}
