import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One Bolt connection to a server: auto-commit queries and explicit transactions, one at a time.
///
/// A connection runs one operation after another; a query's result must be read or consumed before
/// the next query on the same connection (an operation asked for meanwhile waits its turn, but a new
/// RUN while a result is open fails). After a server FAILURE the connection resets itself and stays
/// usable.
public final class BoltConnection: Sendable {
    public let serverInfo: BoltServerInfo
    public let url: BoltURL
    private let channel: any Channel
    private let handler: NIOLoopBound<BoltChannelHandler>

    private init(
        serverInfo: BoltServerInfo,
        url: BoltURL,
        channel: any Channel,
        handler: NIOLoopBound<BoltChannelHandler>
    ) {
        self.serverInfo = serverInfo
        self.url = url
        self.channel = channel
        self.handler = handler
    }

    /// The identification sent in HELLO.
    public static let userAgent = "sluice/0.1.0"

    /// Opens a connection (with TLS for `bolt+s://` and `bolt+ssc://`), negotiates the Bolt version and
    /// authenticates.
    ///
    /// - Parameters:
    ///   - tls: whom `bolt+s://` trusts; a CA file given with another scheme is refused.
    ///   - sendsGoodbye: say GOODBYE before closing, so the server frees the connection at once. Off by
    ///     default: FalkorDB hangs the next new connection after a GOODBYE (BOLT-SERVERS.md), the bug
    ///     cannot be probed without triggering it, and a plain close is harmless everywhere; turn it on
    ///     where the probed capabilities allow (``BoltCapabilities/handlesGoodbye``).
    ///   - connectTimeout: for the TCP connection.
    ///   - greetingTimeout: for the handshake, HELLO and LOGON after it: a server that accepts and then says
    ///     nothing fails the connect instead of hanging it. Generous, as a busy server greets slowly. The wait ends
    ///     early when the calling task is cancelled.
    ///   - answerTimeout: how long the server may send nothing while a request awaits its answer; then the
    ///     connection is closed and the request fails as a lost connection (``BoltError/connectionLost(reason:)``,
    ///     or ``BoltError/unknownOutcome(reason:)`` where it may have committed). A stopped server cannot enforce the
    ///     `tx_timeout` it was sent, and TCP would wait for it for a quarter of an hour or more. Choose it longer than a
    ///     live server may take before its first byte (its `tx_timeout`, plus the rollback of what it aborts). An idle
    ///     connection is never timed. nil: no bound, for queries that may rightly run without end in sight.
    ///   - maximumMessageSize: a server message larger than this fails the connection
    ///     (``BoltError/messageTooLarge(limit:)``) rather than being buffered without bound.
    public static func connect(
        to url: BoltURL,
        auth: BoltAuth,
        tls: BoltTLSConfiguration = BoltTLSConfiguration(),
        sendsGoodbye: Bool = false,
        connectTimeout: TimeAmount = .seconds(10),
        greetingTimeout: TimeAmount = .seconds(60),
        answerTimeout: Duration? = nil,
        maximumMessageSize: Int = 64 * 1024 * 1024,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(BoltError) -> BoltConnection {
        let tlsContext = try tls.makeContext(for: url)
        let eventLoop = eventLoopGroup.next()
        let connectPromise = eventLoop.makePromise(of: BoltServerInfo.self)
        let hello = BoltConnectionStateMachine<BoltOperationContext>.HelloParameters(
            auth: auth,
            userAgent: userAgent,
            boltAgent: [
                "product": .string(userAgent),
                "platform": .string(platform),
                "language": .string("Swift/6"),
            ]
        )
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: eventLoop)
                .connectTimeout(connectTimeout)
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(TCPQuickAckHandler())
                        if let tlsContext {
                            try channel.pipeline.syncOperations.addHandler(
                                tls.makeHandler(context: tlsContext, for: url)
                            )
                        }
                        try channel.pipeline.syncOperations.addHandler(
                            BoltChannelHandler(
                                hello: hello,
                                sendsGoodbye: sendsGoodbye,
                                maximumMessageSize: maximumMessageSize,
                                answerTimeout: answerTimeout.map { .milliseconds($0.wholeMilliseconds) },
                                connectPromise: connectPromise
                            )
                        )
                    }
                }
                .connect(host: url.host, port: url.port)
                .get()
        } catch {
            connectPromise.fail(error)
            throw .connectionFailed(host: url.host, port: url.port, reason: Self.describe(error))
        }
        let greetingDeadline = channel.eventLoop.scheduleTask(in: greetingTimeout) {
            connectPromise.fail(
                BoltError.connectionFailed(
                    host: url.host,
                    port: url.port,
                    reason:
                        "no answer to the Bolt handshake and HELLO within \(BoltChannelHandler.text(greetingTimeout))"
                )
            )
            channel.close(promise: nil)
        }
        connectPromise.futureResult.whenComplete { _ in greetingDeadline.cancel() }
        do {
            // Found before the greeting ends: a server that breaks the protocol right after it closes the
            // channel, and with it the pipeline, before this task runs again.
            let handler = try? await channel.eventLoop.submit {
                NIOLoopBound(
                    try channel.pipeline.syncOperations.handler(type: BoltChannelHandler.self),
                    eventLoop: channel.eventLoop
                )
            }.get()
            // A task cancelled meanwhile (a probe whose job ended) does not wait out a server that says nothing.
            let info = try await withTaskCancellationHandler {
                try await connectPromise.futureResult.get()
            } onCancel: {
                connectPromise.fail(
                    BoltError.connectionFailed(host: url.host, port: url.port, reason: "cancelled while it greeted")
                )
                channel.close(promise: nil)
            }
            guard let handler else { throw BoltError.connectionClosed }
            return BoltConnection(serverInfo: info, url: url, channel: channel, handler: handler)
        } catch let error as BoltError {
            try? await channel.close()
            if case .connectionClosed = error {
                throw .connectionFailed(
                    host: url.host,
                    port: url.port,
                    reason: "the server closed the connection during the handshake; is this a Bolt port?"
                )
            }
            throw error
        } catch {
            try? await channel.close()
            throw tls.failure(error, connectingTo: url)
                ?? .connectionFailed(host: url.host, port: url.port, reason: Self.describe(error))
        }
    }

    /// Runs a query in its own auto-commit transaction and returns its result, ready to stream.
    ///
    /// - Parameter fetchSize: records per PULL; also bounds how many records wait in memory.
    public func run(
        _ query: String,
        parameters: [String: BoltValue] = [:],
        options: BoltTransactionOptions = BoltTransactionOptions(),
        fetchSize: Int = 1000
    ) async throws(BoltError) -> BoltResult {
        try await run(query, parameters: parameters, extra: options.extra, fetchSize: fetchSize)
    }

    /// Begins an explicit transaction; every query in it runs through the returned transaction.
    public func beginTransaction(
        options: BoltTransactionOptions = BoltTransactionOptions()
    ) async throws(BoltError) -> BoltTransaction {
        _ = try await summaryOperation(.begin(extra: options.extra))
        return BoltTransaction(connection: self)
    }

    /// Closes the connection, after a GOODBYE unless it was opened with `sendsGoodbye: false`. Results
    /// still open fail with ``BoltError/connectionClosed``.
    public func close() async {
        let handler = self.handler
        channel.eventLoop.execute { handler.value.close() }
        try? await channel.closeFuture.get()
    }

    public var isActive: Bool { channel.isActive }

    /// When the server fell silent, if the answer timeout closed the connection for it: where an outage began, which
    /// the error, raised a whole answer timeout later, does not say. Nil when the connection is open or closed for
    /// anything else (a reset, a close), whose moment is the error's own.
    public func silenceBegan() async -> ContinuousClock.Instant? {
        let handler = self.handler
        let eventLoop = channel.eventLoop
        guard let since = try? await eventLoop.submit({ handler.value.closedForSilenceSince }).get() else { return nil }
        let silent = NIODeadline.now() - since
        return .now - .nanoseconds(silent.nanoseconds)
    }

    /// Open, idle outside a transaction, with nothing queued: fit for a pool's next user.
    func isReusable() async -> Bool {
        guard channel.isActive else { return false }
        let handler = self.handler
        return (try? await channel.eventLoop.submit { handler.value.isReusable }.get()) ?? false
    }

    // MARK: Shared with BoltTransaction

    func run(
        _ query: String,
        parameters: [String: BoltValue],
        extra: [String: BoltValue],
        fetchSize: Int,
        inTransaction: Bool = false
    ) async throws(BoltError) -> BoltResult {
        let promise = channel.eventLoop.makePromise(of: BoltResult.self)
        let handler = self.handler
        let fetch = Int64(max(1, fetchSize))
        channel.eventLoop.execute {
            let stream = BoltResultStream(fetchSize: fetch, resultPromise: promise)
            handler.value.enqueue(
                .run(
                    query: query,
                    parameters: parameters,
                    extra: extra,
                    fetchSize: fetch,
                    inTransaction: inTransaction
                ),
                context: .result(stream)
            )
        }
        return try await BoltError.await(promise.futureResult)
    }

    func summaryOperation(
        _ operation: BoltConnectionStateMachine<BoltOperationContext>.Operation
    ) async throws(BoltError) -> [String: BoltValue] {
        let promise = channel.eventLoop.makePromise(of: [String: BoltValue].self)
        let handler = self.handler
        channel.eventLoop.execute {
            handler.value.enqueue(operation, context: .summary(promise))
        }
        return try await BoltError.await(promise.futureResult)
    }

    /// A short reason for a connection failure: the system's words for an errno, not NIO's wrapping.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as IOError:
            return String(cString: strerror(error.errnoCode))
        case let error as NIOConnectionError:
            if let first = error.connectionErrors.first { return describe(first.error) }
            return "cannot resolve host name"
        case ChannelError.connectTimeout(let timeout):
            return "timed out after \(timeout.nanoseconds / 1_000_000) ms"
        default:
            return "\(error)"
        }
    }

    private static var platform: String {
        #if os(Linux)
        "Linux"
        #else
        "Darwin"
        #endif
    }
}
