import NIOCore

/// The Bolt protocol of one connection as a pure state machine: it takes events (the handshake's
/// answer, server messages, operations the client asks for) and returns the action to take. It does
/// no IO; `BoltChannelHandler` carries the actions out. Tests drive it with messages alone.
///
/// `Context` is whatever the caller attaches to an operation to resume it (a promise, a stream); the
/// machine only hands it back in actions.
///
/// Operations run one at a time: one that arrives while another is in flight waits in a queue and is
/// started by ``startNextQueuedOperation()``. A RUN is pipelined with its first PULL. After a FAILURE
/// the machine sends RESET at once, so the connection is usable again as soon as the failure is
/// reported; a transaction open at that moment is gone (the server rolled it back).
struct BoltConnectionStateMachine<Context> {
    enum Operation {
        /// `inTransaction`: where the caller means it to run, in its explicit transaction or as an auto-commit
        /// query. A RUN that finds the connection elsewhere fails as misuse: after a FAILURE ended the transaction
        /// (the RESET leaves none open), a transaction's next RUN would otherwise commit on its own.
        case run(
            query: String,
            parameters: [String: BoltValue],
            extra: [String: BoltValue],
            fetchSize: Int64,
            inTransaction: Bool = false
        )
        /// Fetches the next records of the open result.
        case pull(fetchSize: Int64)
        /// Drops the rest of the open result and completes it with its summary.
        case discard
        case begin(extra: [String: BoltValue])
        case commit
        case rollback

        var name: String {
            switch self {
            case .run: "RUN"
            case .pull: "PULL"
            case .discard: "DISCARD"
            case .begin: "BEGIN"
            case .commit: "COMMIT"
            case .rollback: "ROLLBACK"
            }
        }
    }

    struct HelloParameters {
        var auth: BoltAuth
        var userAgent: String
        var boltAgent: [String: BoltValue]
    }

    enum Action {
        case none
        case sendHandshake
        case send([BoltRequest])
        case connected(BoltServerInfo)
        /// Setting up the connection failed; close it.
        case connectFailed(BoltError)
        /// RUN succeeded: the result's field names and RUN's metadata (`t_first`, `qid`, ...).
        case streamStarted(Context, fields: [String], metadata: [String: BoltValue])
        case forwardRecord(Context, [BoltValue])
        /// The PULL's batch is complete and the server holds more records.
        case streamSuspended(Context)
        /// The result is complete: the summary metadata (counters, `t_last`, `type`, ...).
        case streamCompleted(Context, metadata: [String: BoltValue])
        case succeedOperation(Context, metadata: [String: BoltValue])
        case failOperation(Context, BoltError)
        /// Fail the operation, then send RESET to leave the server's FAILED state.
        case failOperationAndReset(Context, BoltError)
        /// The connection is unusable: close it and fail these operations, each with its error.
        case closeConnection([(Context, BoltError)])
        /// The client closes: fail these operations, send GOODBYE, then close.
        case sayGoodbyeAndClose([(Context, BoltError)])
    }

    private enum State {
        case initialized
        case handshaking(HelloParameters)
        case authenticating(version: BoltVersion, remainingSummaries: Int, info: BoltServerInfo)
        case idle(inTransaction: Bool)
        /// RUN and its first PULL are sent; waiting for RUN's summary.
        case awaitingRunSummary(Context, inTransaction: Bool)
        /// A PULL or DISCARD is in flight: records arrive, then a summary.
        case streaming(Context, inTransaction: Bool)
        /// A result has more records at the server; nothing is in flight.
        case streamOpen(Context, inTransaction: Bool)
        case awaitingSummary(Context, Operation, inTransaction: Bool)
        /// RESET sent after a FAILURE: the requests pipelined before it are answered IGNORED first.
        case resetting
        case closed
    }

    private var state: State = .initialized
    private var queue = CircularBuffer<(Operation, Context)>()
    private(set) var serverInfo: BoltServerInfo?
    /// Why the connection was lost, once it was (a reset, no answer for too long): what an operation asked for
    /// afterwards fails with, so the caller learns the cause rather than only that the connection is closed.
    private var lostBecause: BoltError?

    init() {}

    // MARK: Setting up

    mutating func connect(_ parameters: HelloParameters) -> Action {
        guard case .initialized = state else {
            return .connectFailed(.misuse("connect called twice"))
        }
        state = .handshaking(parameters)
        return .sendHandshake
    }

    mutating func handshakeCompleted(_ version: BoltVersion) -> Action {
        guard case .handshaking(let parameters) = state else {
            return close(.protocolViolation("handshake answer outside the handshake"))
        }
        var extra: [String: BoltValue] = ["user_agent": .string(parameters.userAgent)]
        if version.requiresBoltAgent {
            extra["bolt_agent"] = .map(parameters.boltAgent)
        }
        let info = BoltServerInfo(version: version, agent: "", connectionID: nil)
        if version.hasLogon {
            state = .authenticating(version: version, remainingSummaries: 2, info: info)
            return .send([.hello(extra: extra, auth: nil), .logon(auth: parameters.auth)])
        }
        state = .authenticating(version: version, remainingSummaries: 1, info: info)
        return .send([.hello(extra: extra, auth: parameters.auth)])
    }

    // MARK: Operations

    /// Asks for an operation. It starts at once when the connection is free, otherwise it is queued.
    mutating func enqueue(_ operation: Operation, context: Context) -> Action {
        switch state {
        case .closed:
            return .failOperation(context, lostBecause ?? .connectionClosed)
        case .idle, .streamOpen:
            return start(operation, context: context)
        case .initialized, .handshaking, .authenticating, .awaitingRunSummary, .streaming, .awaitingSummary,
            .resetting:
            queue.append((operation, context))
            return .none
        }
    }

    /// Idle outside a transaction with nothing queued: what a pool may hand to its next user. A connection left
    /// with a transaction or a result open would run that user's queries inside someone else's transaction.
    var isReusable: Bool {
        guard queue.isEmpty, case .idle(inTransaction: false) = state else { return false }
        return true
    }

    /// Whether a request is sent and its answer not complete: the server owes the client bytes. Not while a result
    /// waits for the caller to ask for more (the server waits then), nor while idle, however long: a silence bound
    /// applies only while this holds. The handshake and authentication are bounded by the connect's own timeout.
    var isAwaitingAnswer: Bool {
        switch state {
        case .awaitingRunSummary, .streaming, .awaitingSummary, .resetting: true
        case .initialized, .handshaking, .authenticating, .idle, .streamOpen, .closed: false
        }
    }

    /// Starts the next queued operation if the connection is free; call after every server message.
    mutating func startNextQueuedOperation() -> Action {
        switch state {
        case .idle, .streamOpen:
            guard let (operation, context) = queue.popFirst() else { return .none }
            return start(operation, context: context)
        default:
            return .none
        }
    }

    private mutating func start(_ operation: Operation, context: Context) -> Action {
        switch (state, operation) {
        case (.idle(let inTransaction), .run(let query, let parameters, let extra, let fetchSize, let expected))
        where inTransaction == expected:
            state = .awaitingRunSummary(context, inTransaction: inTransaction)
            return .send([.run(query: query, parameters: parameters, extra: extra), .pull(n: fetchSize)])
        case (.streamOpen(_, let inTransaction), .pull(let fetchSize)):
            state = .streaming(context, inTransaction: inTransaction)
            return .send([.pull(n: fetchSize)])
        case (.streamOpen(_, let inTransaction), .discard):
            state = .streaming(context, inTransaction: inTransaction)
            return .send([.discard(n: -1)])
        case (.idle(inTransaction: false), .begin(let extra)):
            state = .awaitingSummary(context, operation, inTransaction: false)
            return .send([.begin(extra: extra)])
        case (.idle(inTransaction: true), .commit):
            state = .awaitingSummary(context, operation, inTransaction: true)
            return .send([.commit])
        case (.idle(inTransaction: true), .rollback):
            state = .awaitingSummary(context, operation, inTransaction: true)
            return .send([.rollback])
        case (.idle(inTransaction: false), .rollback):
            // A failure inside the transaction already rolled it back on the server.
            return .succeedOperation(context, metadata: [:])
        case (.streamOpen, _):
            return .failOperation(context, .misuse("\(operation.name) while a result is still open: consume it first"))
        case (.idle(let inTransaction), _):
            let where_ = inTransaction ? "inside a transaction" : "outside a transaction"
            return .failOperation(context, .misuse("\(operation.name) \(where_)"))
        default:
            preconditionFailure("start called in a busy state")
        }
    }

    // MARK: Server messages

    mutating func receive(_ response: BoltResponse) -> Action {
        switch state {
        case .authenticating(let version, let remaining, var info):
            switch response {
            case .success(let metadata):
                if case .string(let agent) = metadata["server"] { info.agent = agent }
                if case .string(let id) = metadata["connection_id"] { info.connectionID = id }
                if remaining > 1 {
                    state = .authenticating(version: version, remainingSummaries: remaining - 1, info: info)
                    return .none
                }
                serverInfo = info
                state = .idle(inTransaction: false)
                return .connected(info)
            case .failure(let metadata):
                state = .closed
                return .connectFailed(.authenticationFailed(BoltServerError(metadata: metadata)))
            case .record, .ignored:
                return connectFailed(.protocolViolation("\(response.name) during authentication"))
            }

        case .awaitingRunSummary(let context, let inTransaction):
            switch response {
            case .success(let metadata):
                state = .streaming(context, inTransaction: inTransaction)
                return .streamStarted(context, fields: Self.fields(of: metadata), metadata: metadata)
            case .failure(let metadata):
                state = .resetting
                return .failOperationAndReset(context, Self.failure(metadata))
            case .record, .ignored:
                return close(.protocolViolation("\(response.name) in answer to RUN"))
            }

        case .streaming(let context, let inTransaction):
            switch response {
            case .record(let values):
                return .forwardRecord(context, values)
            case .success(let metadata):
                if case .boolean(true) = metadata["has_more"] {
                    state = .streamOpen(context, inTransaction: inTransaction)
                    return .streamSuspended(context)
                }
                state = .idle(inTransaction: inTransaction)
                return .streamCompleted(context, metadata: metadata)
            case .failure(let metadata):
                state = .resetting
                return .failOperationAndReset(context, Self.failure(metadata))
            case .ignored:
                return close(.protocolViolation("IGNORED in answer to PULL"))
            }

        case .awaitingSummary(let context, let operation, _):
            switch response {
            case .success(let metadata):
                if case .begin = operation {
                    state = .idle(inTransaction: true)
                } else {
                    state = .idle(inTransaction: false)
                }
                return .succeedOperation(context, metadata: metadata)
            case .failure(let metadata):
                state = .resetting
                return .failOperationAndReset(context, Self.failure(metadata))
            case .record, .ignored:
                return close(.protocolViolation("\(response.name) in answer to \(operation.name)"))
            }

        case .resetting:
            switch response {
            case .ignored:
                return .none
            case .success:
                state = .idle(inTransaction: false)
                return .none
            case .failure(let metadata):
                return close(.server(BoltServerError(metadata: metadata)))
            case .record:
                return close(.protocolViolation("RECORD in answer to RESET"))
            }

        case .idle, .streamOpen:
            return close(.protocolViolation("unsolicited \(response.name)"))
        case .initialized, .handshaking:
            return close(.protocolViolation("\(response.name) before the handshake completed"))
        case .closed:
            return .none
        }
    }

    // MARK: Ending

    /// The connection is gone or unusable (channel closed, IO error, undecodable bytes).
    mutating func close(_ error: BoltError) -> Action {
        if case .connectionLost = error, !isClosed { lostBecause = error }
        var failing: [Context] = []
        switch state {
        case .awaitingRunSummary(let context, let inTransaction), .streaming(let context, let inTransaction),
            .streamOpen(let context, let inTransaction):
            // An auto-commit query commits on the server as it completes: losing the connection
            // midway leaves its outcome unknown. Inside a transaction the server rolls back.
            failing.append(context)
            if !inTransaction {
                return closeFailing(failing, error: Self.unknownOutcome(error), queueError: error)
            }
        case .awaitingSummary(let context, .commit, _):
            return closeFailing([context], error: Self.unknownOutcome(error), queueError: error)
        case .awaitingSummary(let context, _, _):
            failing.append(context)
        case .handshaking, .authenticating:
            state = .closed
            return .connectFailed(error)
        case .closed:
            return .none
        case .initialized, .idle, .resetting:
            break
        }
        return closeFailing(failing, error: error, queueError: error)
    }

    /// The client closes the connection. Once authenticated, GOODBYE goes first when `sayingGoodbye`, so
    /// the server ends the session at once instead of on noticing the closed socket. Operations still in
    /// flight or queued fail as ``close(_:)`` fails them.
    ///
    /// `sayingGoodbye` is false for servers that mishandle GOODBYE (FalkorDB hangs the next connection).
    mutating func closeByClient(sayingGoodbye: Bool) -> Action {
        let isAuthenticated: Bool
        switch state {
        case .idle, .awaitingRunSummary, .streaming, .streamOpen, .awaitingSummary, .resetting:
            isAuthenticated = true
        case .initialized, .handshaking, .authenticating, .closed:
            isAuthenticated = false
        }
        let action = close(.connectionClosed)
        guard sayingGoodbye, isAuthenticated, case .closeConnection(let failing) = action else { return action }
        return .sayGoodbyeAndClose(failing)
    }

    /// Closes, failing the operation in flight with `error` and queued ones with `queueError`.
    private mutating func closeFailing(_ inFlight: [Context], error: BoltError, queueError: BoltError) -> Action {
        var failing = inFlight.map { ($0, error) }
        while let (_, context) = queue.popFirst() {
            failing.append((context, queueError))
        }
        state = .closed
        return .closeConnection(failing)
    }

    /// A lost connection turns into an unknown outcome; a deliberate close by the client stays as it is.
    private static func unknownOutcome(_ error: BoltError) -> BoltError {
        switch error {
        case .connectionLost(let reason): .unknownOutcome(reason: reason)
        case .connectionClosed: .unknownOutcome(reason: "connection closed")
        default: error
        }
    }

    private mutating func connectFailed(_ error: BoltError) -> Action {
        state = .closed
        return .connectFailed(error)
    }

    var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    private static func failure(_ metadata: [String: BoltValue]) -> BoltError {
        let error = BoltServerError(metadata: metadata)
        return error.isMemoryLimit ? .batchTooLarge(error) : .server(error)
    }

    private static func fields(of metadata: [String: BoltValue]) -> [String] {
        guard case .list(let values) = metadata["fields"] else { return [] }
        return values.compactMap { value in
            if case .string(let name) = value { return name }
            return nil
        }
    }
}
