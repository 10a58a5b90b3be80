import CLibPQ
import Foundation
import Logging

/// One libpq connection, driven from its own thread.
///
/// Why an actor on a private thread: libpq calls block, and blocking Swift's cooperative pool stalls every task in
/// the process. The actor's executor is a dedicated thread (``PostgresThreadExecutor``), so `await connection.query`
/// hops there, blocks only that thread, and hops back. Actor isolation also serializes use of the `PGconn`, which
/// libpq requires.
///
/// Statements take parameters (`$1`, `$2`...) sent separately from the SQL text (`PQsendQueryParams`): values are
/// never spliced into SQL. Each waits for its answer at most the configuration's
/// ``PostgresConfiguration/answerTimeout`` of silence (``PostgresExchange``).
///
/// Reconnecting: before each statement outside a transaction, a connection found broken (status bad, or the server
/// has closed its end, as on restart) is re-opened with backoff (``PostgresReconnectPolicy``). A connection that
/// breaks while a statement is in flight, or a server that does not answer it in time, fails that statement with
/// ``PostgresError/connectionLost(message:query:)``, since its outcome is unknown; the session is closed, and the
/// next statement reconnects.
public actor PostgresConnection {
    /// How this connection reaches its server.
    public nonisolated let configuration: PostgresConfiguration
    private nonisolated let executor: PostgresThreadExecutor
    private var session: ConnectionHandle?
    private var handle: OpaquePointer? {
        get { session?.pointer }
        set { session = newValue.map(ConnectionHandle.init) }
    }
    private var inTransaction = false
    private var isClosed = false
    /// Why the last session was closed under a statement, until the next statement reconnects (or, in the same
    /// transaction, fails: the transaction went with the session).
    private var lostSession: String?
    /// The last connection attempt that found no server answering, and when it failed. Operations queued on the
    /// connection run one after the other, and each would wait out attempts of its own, up to `connect_timeout` each
    /// against a server that accepts connections but never answers (hung, or behind a partition): at the defaults an
    /// idle daemon's claim queued behind its announcement would wait 66 s (the announcement's 30 s answer timeout and
    /// 12 s attempt, then two attempts of its own), past the watchdog's idle allowance of 60 s, before the daemon
    /// could say that Postgres is gone. For the reconnect policy's longest delay after such an attempt, a new
    /// operation fails with its error at once instead, as the policy would not have tried again any sooner.
    private var unanswered: (error: PostgresError, at: ContinuousClock.Instant)?
    /// How long a statement may wait in silence for its answer; `nil` inside ``withoutAnswerTimeout(_:)``.
    private var answerTimeout: Duration?
    private let logger: Logger
    /// Told of every connection attempt that failed because the server did not answer, and of every statement it
    /// did not answer in time, with the moment the server was last known to answer: when the attempt began, or the
    /// statement's last sign of life.
    private let unreachable: @Sendable (PostgresError, ContinuousClock.Instant) -> Void

    /// How many times the connection was re-established after it broke (for diagnostics and tests).
    public private(set) var reconnectCount = 0
    /// The server process serving this session (`pg_backend_pid()`), 0 when not connected.
    public private(set) var backendPID: Int32 = 0

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    /// A connection that connects on first use; `unreachable` hears of each attempt to (re)connect that found no
    /// server answering, and of each statement the server left unanswered, with the moment the server was last known
    /// to answer (a daemon's outage starts with the first).
    public init(
        configuration: PostgresConfiguration,
        logger: Logger = Logger(label: "sluice.postgres"),
        unreachable: @escaping @Sendable (PostgresError, ContinuousClock.Instant) -> Void = { _, _ in }
    ) {
        self.configuration = configuration
        self.logger = logger
        self.unreachable = unreachable
        self.answerTimeout = configuration.answerTimeout
        self.executor = PostgresThreadExecutor(name: "sluice-postgres")
    }

    /// Opens a connection now, so that configuration errors (bad host, wrong password) surface at startup.
    public static func connect(
        configuration: PostgresConfiguration,
        logger: Logger = Logger(label: "sluice.postgres")
    ) async throws(PostgresError) -> PostgresConnection {
        let connection = PostgresConnection(configuration: configuration, logger: logger)
        try await connection.ensureConnected()
        return connection
    }

    deinit {
        let handle = session
        let executor = executor
        executor.submit {
            if let handle { PQfinish(handle.pointer) }
        }
        executor.shutdown()
    }

    /// Closes the session. Later statements fail with ``PostgresError/closed``.
    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
        backendPID = 0
        isClosed = true
    }

    // MARK: statements

    /// Runs one statement with parameters and returns its rows.
    ///
    /// - Parameters:
    ///   - sql: a single statement with `$n` placeholders; cast them (`$1::bigint`) where the type is not obvious.
    ///   - binds: the values for `$1`, `$2`... in order.
    ///   - resultFormat: `.binary` to receive columns as raw bytes (see ``PostgresDecodable``).
    @discardableResult
    public func query(
        _ sql: String,
        _ binds: [any PostgresEncodable] = [],
        resultFormat: PostgresFormat = .text
    ) throws(PostgresError) -> PostgresRows {
        let parameters = PostgresParameters(binds.map(\.postgresBind))
        if let position = parameters.positionOfTextWithNUL {
            throw .invalidArgument(
                "parameter $\(position) holds a NUL character (0x00), which Postgres text cannot store"
            )
        }
        try ensureConnected()
        return try execute(sql) { connection in
            parameters.withArguments { n, types, values, lengths, formats in
                PQsendQueryParams(connection, sql, n, types, values, lengths, formats, resultFormat.rawValue)
            }
        }
    }

    /// Runs `body` with no bound on how long the server may take to answer: for the schema migration, whose DDL
    /// waits for every other session's lock on the tables it alters (another migrator's advisory lock included) and
    /// may scan or delete whole tables (version 6 deleted every plan finished jobs left), for as long as the data
    /// takes. A daemon's watchdog still bounds it (the idle allowance, 60 s by default); the migration runs only
    /// when the store's schema is older than the binary.
    func withoutAnswerTimeout<T>(_ body: (isolated PostgresConnection) throws -> T) rethrows -> T {
        let bound = answerTimeout
        answerTimeout = nil
        defer { answerTimeout = bound }
        return try body(self)
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    ///
    /// The body is synchronous and runs on the connection's thread, isolated to this actor: nothing else can use the
    /// connection in between, and no suspension point can leave a transaction open across unrelated work.
    /// A nested call joins the outer transaction.
    public func withTransaction<T: Sendable>(
        _ body: @Sendable (isolated PostgresConnection) throws -> T
    ) throws -> T {
        if inTransaction { return try body(self) }
        try ensureConnected()
        try command("BEGIN")
        inTransaction = true
        let value: T
        do {
            value = try body(self)
        } catch {
            inTransaction = false
            if let handle, PQstatus(handle) == CONNECTION_OK, PQtransactionStatus(handle) != PQTRANS_IDLE {
                _ = try? command("ROLLBACK")
            }
            throw error
        }
        inTransaction = false
        try command("COMMIT")
        return value
    }

    /// Runs SQL without parameters through the simple-query protocol, which allows several statements: for DDL
    /// scripts whose only variable part is a validated, quoted identifier. Never pass values through here.
    func runScript(_ sql: String) throws(PostgresError) {
        try ensureConnected()
        try execute(sql) { PQsendQuery($0, sql) }
    }

    private func command(_ sql: String) throws(PostgresError) {
        try execute(sql) { PQsendQuery($0, sql) }
    }

    /// Runs the statement `send` sends on the session (``PostgresExchange``) and reads its result. A session that
    /// broke under it, or whose server did not answer in time, is closed: it is mid-statement, of unknown outcome.
    @discardableResult
    private func execute(_ sql: String, send: (OpaquePointer) -> Int32) throws(PostgresError) -> PostgresRows {
        guard let connection = handle else {
            throw lostSession.map { .connectionLost(message: $0, query: summarize(sql: sql)) } ?? .closed
        }
        let result: OpaquePointer
        do {
            result = try PostgresExchange.run(
                on: connection,
                sql: sql,
                answerTimeout: answerTimeout,
                configuration: configuration,
                send: send
            )
        } catch {
            // libpq saw nothing wrong: the server went silent, an answer timeout ago (a daemon's outage begins).
            if PQstatus(connection) == CONNECTION_OK { unreachable(error, .now - (answerTimeout ?? .zero)) }
            closeLostSession(because: error)
            throw error
        }
        return try check(result, sql: sql, connection: connection)
    }

    private func check(
        _ result: OpaquePointer,
        sql: String,
        connection: OpaquePointer
    ) throws(PostgresError)
        -> PostgresRows
    {
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return PostgresRows(result: result, query: summarize(sql: sql))
        default:
            func field(_ code: UInt8) -> String? {
                PQresultErrorField(result, Int32(code)).map { String(cString: $0) }
            }
            let state = field(UInt8(ascii: "C"))
            let primary = field(UInt8(ascii: "M")) ?? String(cString: PQresultErrorMessage(result))
            let detail = field(UInt8(ascii: "D"))
            let constraint = field(UInt8(ascii: "n"))
            PQclear(result)
            let message = PostgresConnector.scrubbed(primary, configuration)
            if PQstatus(connection) != CONNECTION_OK {
                throw .connectionLost(message: message, query: summarize(sql: sql))
            }
            throw .queryFailed(
                sqlState: state ?? "XX000",
                message: message,
                detail: detail.map { PostgresConnector.scrubbed($0, configuration) },
                constraint: constraint,
                query: summarize(sql: sql)
            )
        }
    }

    // MARK: connection state

    /// Makes sure there is a live session, reconnecting (with backoff) if the old one broke. Inside a transaction a
    /// broken session is an error: the transaction is gone, and silently continuing in a new one would be wrong.
    func ensureConnected() throws(PostgresError) {
        if isClosed { throw .closed }
        if let connection = handle {
            if PQstatus(connection) == CONNECTION_OK && !Self.peerHasClosed(connection) { return }
            let message = PostgresConnector.scrubbed(String(cString: PQerrorMessage(connection)), configuration)
            lostSession = message.isEmpty ? "server closed the connection" : message
            PQfinish(connection)
            handle = nil
            backendPID = 0
        }
        if let message = lostSession {
            if inTransaction { throw .connectionLost(message: message, query: "transaction") }
            lostSession = nil
            reconnectCount += 1
            // A notice: the reconnect may well work; a caller that cannot go on says so (the daemon's one
            // "waiting for Postgres" warning per outage).
            logger.notice(
                "Postgres connection lost, reconnecting",
                metadata: ["postgres.error": "\(message)", "postgres.conninfo": "\(configuration.redactedConnInfo)"]
            )
        }
        if let unanswered, ContinuousClock.now - unanswered.at < configuration.reconnect.maximumDelay {
            throw unanswered.error
        }
        var lastUnanswered: PostgresError?
        let connection: OpaquePointer
        do {
            connection = try PostgresConnector.connect(
                configuration,
                logger: logger,
                unreachable: { error, since in
                    lastUnanswered = error
                    unreachable(error, since)
                },
                sleep: { seconds in
                    if Task.isCancelled { return false }
                    Thread.sleep(forTimeInterval: seconds)
                    return !Task.isCancelled
                }
            )
        } catch {
            unanswered = error == lastUnanswered ? (error, .now) : nil
            throw error
        }
        unanswered = nil
        handle = connection
        backendPID = PQbackendPID(connection)
    }

    /// Closes a session left mid-statement by `error`, so that the next statement reconnects (or, in the same
    /// transaction, fails).
    private func closeLostSession(because error: PostgresError) {
        guard let connection = handle else { return }
        PQfinish(connection)
        handle = nil
        backendPID = 0
        lostSession = if case .connectionLost(let message, _) = error { message } else { "\(error)" }
    }

    /// True when the server has closed its end: on restart or `pg_terminate_backend` it sends a FATAL error and
    /// closes the socket, which shows as readable. Reading it now turns a would-be "outcome unknown" failure of the
    /// next statement into a clean reconnect before it is sent.
    private static func peerHasClosed(_ connection: OpaquePointer) -> Bool {
        let fd = PQsocket(connection)
        guard fd >= 0 else { return true }
        for _ in 0..<4 {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 0) > 0 else { return false }
            if PQconsumeInput(connection) == 0 { return true }
            while let notify = PQnotifies(connection) { PQfreemem(notify) }
            if PQstatus(connection) != CONNECTION_OK { return true }
        }
        return PQstatus(connection) != CONNECTION_OK
    }
}

/// A `PGconn*` that may cross to the connection's thread for cleanup.
private struct ConnectionHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// Statement parameters laid out as the C arrays `PQexecParams` takes.
struct PostgresParameters {
    let binds: [PostgresBind]

    init(_ binds: [PostgresBind]) {
        self.binds = binds
    }

    /// The 1-based position of the first text parameter holding a NUL: libpq reads text parameters as C strings, so
    /// one would reach the server cut short at the NUL, silently. Refused instead.
    var positionOfTextWithNUL: Int? {
        binds.firstIndex {
            if case .text(let text) = $0.storage { return text.utf8.contains(0) }
            return false
        }
        .map { $0 + 1 }
    }

    func withArguments<R>(
        _ body: (
            Int32, UnsafePointer<Oid>?, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?,
            UnsafePointer<Int32>?
        ) -> R
    ) -> R {
        var types: [Oid] = []
        var values: [UnsafePointer<CChar>?] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        var allocations: [UnsafeMutableRawPointer] = []
        defer {
            for allocation in allocations { allocation.deallocate() }
        }
        for bind in binds {
            types.append(Oid(bind.typeOID))
            formats.append(bind.format.rawValue)
            switch bind.storage {
            case .null:
                values.append(nil)
                lengths.append(0)
            case .text(let text):
                let utf8 = Array(text.utf8)
                let memory = UnsafeMutableRawPointer.allocate(byteCount: utf8.count + 1, alignment: 1)
                allocations.append(memory)
                utf8.withUnsafeBytes { memory.copyMemory(from: $0.baseAddress!, byteCount: utf8.count) }
                memory.storeBytes(of: 0, toByteOffset: utf8.count, as: UInt8.self)
                values.append(UnsafePointer(memory.assumingMemoryBound(to: CChar.self)))
                lengths.append(Int32(utf8.count))
            case .binary(let bytes):
                let memory = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
                allocations.append(memory)
                if !bytes.isEmpty {
                    bytes.withUnsafeBytes { memory.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
                }
                values.append(UnsafePointer(memory.assumingMemoryBound(to: CChar.self)))
                lengths.append(Int32(bytes.count))
            }
        }
        return types.withUnsafeBufferPointer { t in
            values.withUnsafeBufferPointer { v in
                lengths.withUnsafeBufferPointer { l in
                    formats.withUnsafeBufferPointer { f in
                        body(Int32(binds.count), t.baseAddress, v.baseAddress, l.baseAddress, f.baseAddress)
                    }
                }
            }
        }
    }
}
