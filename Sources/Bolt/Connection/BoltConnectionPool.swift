import NIOCore
import NIOPosix

/// A bounded set of connections to one server, reused across operations.
///
/// Connections are created on demand up to ``Configuration/maximumConnections``; a caller beyond the
/// limit waits for one to come back. An idle connection is checked before reuse when it has idled
/// longer than ``Configuration/livenessCheckAfter`` (servers and firewalls drop quiet connections),
/// and closed when it has idled longer than ``Configuration/idleTimeout``.
public actor BoltConnectionPool {
    public struct Configuration: Sendable {
        public var maximumConnections: Int
        public var idleTimeout: Duration
        public var livenessCheckAfter: Duration
        public var connectTimeout: Duration
        /// Whom `bolt+s://` connections trust.
        public var tls: BoltTLSConfiguration
        /// Whether connections say GOODBYE when they close: off by default (a plain close is harmless,
        /// a GOODBYE hangs FalkorDB's next connection); on where ``BoltCapabilities/handlesGoodbye``.
        public var sendsGoodbye: Bool

        public init(
            maximumConnections: Int = 8,
            idleTimeout: Duration = .seconds(300),
            livenessCheckAfter: Duration = .seconds(30),
            connectTimeout: Duration = .seconds(10),
            tls: BoltTLSConfiguration = BoltTLSConfiguration(),
            sendsGoodbye: Bool = false
        ) {
            self.maximumConnections = max(1, maximumConnections)
            self.idleTimeout = idleTimeout
            self.livenessCheckAfter = livenessCheckAfter
            self.connectTimeout = connectTimeout
            self.tls = tls
            self.sendsGoodbye = sendsGoodbye
        }
    }

    public nonisolated let url: BoltURL
    private let auth: BoltAuth
    private let configuration: Configuration
    private let clock = ContinuousClock()
    private var idle: [(connection: BoltConnection, since: ContinuousClock.Instant)] = []
    /// Connections leased out, idle, or being opened.
    private var openCount = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var isClosed = false

    public init(url: BoltURL, auth: BoltAuth, configuration: Configuration = Configuration()) {
        self.url = url
        self.auth = auth
        self.configuration = configuration
    }

    /// Leases a connection for the duration of `body`. A connection that broke meanwhile is dropped
    /// instead of being returned.
    public nonisolated func withConnection<Result: Sendable>(
        _ body: (BoltConnection) async throws -> Result
    ) async throws -> Result {
        let connection = try await acquire()
        do {
            let result = try await body(connection)
            await release(connection, reusable: await connection.isReusable())
            return result
        } catch {
            await release(connection, reusable: await connection.isReusable())
            throw error
        }
    }

    /// Runs `body` in a write transaction and commits it, retrying the whole unit on errors that
    /// ``BoltError/isRetryable`` allows (deadlocks, a lost connection before COMMIT), with backoff, for
    /// up to the policy's time. An unknown outcome is never retried: the caller must find out.
    public nonisolated func executeWrite<Result: Sendable>(
        options: BoltTransactionOptions = BoltTransactionOptions(),
        retry: BoltRetryPolicy = BoltRetryPolicy(),
        _ body: (BoltTransaction) async throws -> Result
    ) async throws -> Result {
        try await retry.run {
            try await withConnection { connection in
                let transaction = try await connection.beginTransaction(options: options)
                do {
                    let result = try await body(transaction)
                    try await transaction.commit()
                    return result
                } catch {
                    if connection.isActive {
                        try? await transaction.rollback()
                    }
                    throw error
                }
            }
        }
    }

    /// ``executeWrite(options:retry:_:)`` for reads: the transaction is marked read-only (a cluster
    /// routes it to a reader).
    public nonisolated func executeRead<Result: Sendable>(
        options: BoltTransactionOptions = BoltTransactionOptions(),
        retry: BoltRetryPolicy = BoltRetryPolicy(),
        _ body: (BoltTransaction) async throws -> Result
    ) async throws -> Result {
        var options = options
        options.readOnly = true
        return try await executeWrite(options: options, retry: retry, body)
    }

    /// Closes idle connections and refuses new leases; leased ones close when they come back.
    public func close() async {
        isClosed = true
        let closing = idle.map(\.connection)
        idle.removeAll()
        openCount -= closing.count
        for connection in closing {
            await connection.close()
        }
        for waiter in waiters {
            waiter.resume()
        }
        waiters.removeAll()
    }

    /// Connections open now (leased and idle), for tests and status.
    public var connectionCount: Int { openCount }

    func acquire() async throws(BoltError) -> BoltConnection {
        while true {
            guard !isClosed else { throw .misuse("the connection pool is closed") }
            if let connection = await takeIdle() {
                return connection
            }
            if openCount < configuration.maximumConnections {
                openCount += 1
                do {
                    return try await BoltConnection.connect(
                        to: url,
                        auth: auth,
                        tls: configuration.tls,
                        sendsGoodbye: configuration.sendsGoodbye,
                        connectTimeout: .nanoseconds(Int64(configuration.connectTimeout / .nanoseconds(1)))
                    )
                } catch {
                    openCount -= 1
                    wakeOne()
                    throw error
                }
            }
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    /// Takes `connection` back: idle for the next user when `reusable` (``BoltConnection/isReusable()``), else
    /// closed (a body that returned with a transaction or a result still open).
    func release(_ connection: BoltConnection, reusable: Bool) {
        if isClosed || !reusable {
            openCount -= 1
            Task { await connection.close() }
        } else {
            idle.append((connection, clock.now))
        }
        wakeOne()
    }

    /// The most recently used idle connection that is still good; stale ones are closed on the way.
    private func takeIdle() async -> BoltConnection? {
        while let (connection, since) = idle.popLast() {
            let idleFor = clock.now - since
            if !connection.isActive || idleFor > configuration.idleTimeout {
                openCount -= 1
                await connection.close()
                continue
            }
            if idleFor > configuration.livenessCheckAfter {
                do {
                    _ = try await connection.run("RETURN 1").consume()
                } catch {
                    openCount -= 1
                    await connection.close()
                    continue
                }
            }
            return connection
        }
        return nil
    }

    private func wakeOne() {
        if !waiters.isEmpty {
            waiters.removeFirst().resume()
        }
    }
}
