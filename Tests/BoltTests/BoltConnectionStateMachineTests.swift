import Testing

@testable import Bolt

/// Drives the connection state machine with server messages alone: no sockets.
@Suite struct BoltConnectionStateMachineTests {
    typealias Machine = BoltConnectionStateMachine<Int>

    static let hello = Machine.HelloParameters(
        auth: .basic(user: "neo4j", password: "secret"),
        userAgent: "sluice/test",
        boltAgent: ["product": "sluice/test"]
    )

    /// A machine past the handshake and authentication, ready for operations.
    static func ready(version: BoltVersion = BoltVersion(major: 5, minor: 4)) -> Machine {
        var machine = Machine()
        _ = machine.connect(hello)
        _ = machine.handshakeCompleted(version)
        _ = machine.receive(.success(["server": "Neo4j/5.26.0", "connection_id": "bolt-1"]))
        _ = machine.receive(.success([:]))
        return machine
    }

    @Test func handshakeThenHelloAndLogonOnBolt51AndLater() throws {
        var machine = Machine()
        guard case .sendHandshake = machine.connect(Self.hello) else {
            Issue.record("no handshake")
            return
        }
        guard case .send(let requests) = machine.handshakeCompleted(BoltVersion(major: 5, minor: 4)) else {
            Issue.record("no HELLO")
            return
        }
        #expect(requests.count == 2)
        guard case .hello(let extra, nil) = requests[0], case .logon(let auth) = requests[1] else {
            Issue.record("expected HELLO without credentials, then LOGON; got \(requests)")
            return
        }
        #expect(extra["user_agent"] == "sluice/test")
        #expect(extra["bolt_agent"] != nil)
        #expect(auth == .basic(user: "neo4j", password: "secret"))

        guard case .none = machine.receive(.success(["server": "Neo4j/5.26.0", "connection_id": "bolt-7"])) else {
            Issue.record("connected before LOGON succeeded")
            return
        }
        guard case .connected(let info) = machine.receive(.success([:])) else {
            Issue.record("not connected after LOGON")
            return
        }
        #expect(info.agent == "Neo4j/5.26.0")
        #expect(info.connectionID == "bolt-7")
        #expect(info.version == BoltVersion(major: 5, minor: 4))
    }

    @Test func bolt50AuthenticatesInHelloWithoutBoltAgent() {
        var machine = Machine()
        _ = machine.connect(Self.hello)
        guard case .send(let requests) = machine.handshakeCompleted(BoltVersion(major: 5, minor: 0)),
            requests.count == 1, case .hello(let extra, let auth) = requests[0]
        else {
            Issue.record("expected one HELLO")
            return
        }
        #expect(auth == .basic(user: "neo4j", password: "secret"))
        #expect(extra["bolt_agent"] == nil)
        guard case .connected = machine.receive(.success(["server": "x"])) else {
            Issue.record("not connected after HELLO")
            return
        }
    }

    @Test func wrongPasswordFailsTheConnect() {
        var machine = Machine()
        _ = machine.connect(Self.hello)
        _ = machine.handshakeCompleted(BoltVersion(major: 5, minor: 4))
        _ = machine.receive(.success([:]))
        let action = machine.receive(
            .failure(["code": "Neo.ClientError.Security.Unauthorized", "message": "bad credentials"])
        )
        guard case .connectFailed(.authenticationFailed(let error)) = action else {
            Issue.record("expected authenticationFailed, got \(action)")
            return
        }
        #expect(error.code == "Neo.ClientError.Security.Unauthorized")
        #expect(machine.isClosed)
    }

    @Test func runPipelinesPullAndStreamsRecordsInBatches() {
        var machine = Self.ready()
        guard
            case .send(let requests) = machine.enqueue(
                .run(query: "UNWIND range(1, 3) AS i RETURN i", parameters: [:], extra: ["db": "g"], fetchSize: 2),
                context: 1
            )
        else {
            Issue.record("RUN not sent")
            return
        }
        #expect(
            requests == [
                .run(query: "UNWIND range(1, 3) AS i RETURN i", parameters: [:], extra: ["db": "g"]), .pull(n: 2),
            ]
        )

        guard case .streamStarted(1, let fields, _) = machine.receive(.success(["fields": ["i"], "t_first": 3])) else {
            Issue.record("stream not started")
            return
        }
        #expect(fields == ["i"])
        guard case .forwardRecord(1, [1]) = machine.receive(.record([1])) else {
            Issue.record("record 1")
            return
        }
        guard case .forwardRecord(1, [2]) = machine.receive(.record([2])) else {
            Issue.record("record 2")
            return
        }
        guard case .streamSuspended(1) = machine.receive(.success(["has_more": true])) else {
            Issue.record("not suspended")
            return
        }
        // A new RUN while the result is open is refused; PULL continues it.
        guard
            case .failOperation(2, .misuse) = machine.enqueue(
                .run(query: "RETURN 1", parameters: [:], extra: [:], fetchSize: 10),
                context: 2
            )
        else {
            Issue.record("RUN accepted while a result is open")
            return
        }
        guard case .send([.pull(n: 2)]) = machine.enqueue(.pull(fetchSize: 2), context: 1) else {
            Issue.record("PULL not sent")
            return
        }
        guard case .forwardRecord(1, [3]) = machine.receive(.record([3])) else {
            Issue.record("record 3")
            return
        }
        guard case .streamCompleted(1, let summary) = machine.receive(.success(["t_last": 1, "type": "r"])) else {
            Issue.record("not completed")
            return
        }
        #expect(summary["type"] == "r")
        // Free again.
        guard
            case .send = machine.enqueue(
                .run(query: "RETURN 1", parameters: [:], extra: [:], fetchSize: 10),
                context: 3
            )
        else {
            Issue.record("connection not free after the stream completed")
            return
        }
    }

    @Test func discardEndsAnOpenResult() {
        var machine = Self.ready()
        _ = machine.enqueue(.run(query: "q", parameters: [:], extra: [:], fetchSize: 1), context: 1)
        _ = machine.receive(.success(["fields": ["x"]]))
        _ = machine.receive(.record([1]))
        _ = machine.receive(.success(["has_more": true]))
        guard case .send([.discard(n: -1)]) = machine.enqueue(.discard, context: 1) else {
            Issue.record("DISCARD not sent")
            return
        }
        guard case .streamCompleted(1, _) = machine.receive(.success(["type": "r"])) else {
            Issue.record("not completed")
            return
        }
    }

    @Test func failureResetsAndTheConnectionStaysUsable() {
        var machine = Self.ready()
        _ = machine.enqueue(.run(query: "RETURN 1 +", parameters: [:], extra: [:], fetchSize: 10), context: 1)
        let failure = machine.receive(
            .failure(["code": "Neo.ClientError.Statement.SyntaxError", "message": "Invalid input"])
        )
        guard case .failOperationAndReset(1, .server(let error)) = failure else {
            Issue.record("expected failure and reset, got \(failure)")
            return
        }
        #expect(error.classification == .client)
        // An operation asked for before RESET's answer waits for it.
        guard
            case .none = machine.enqueue(
                .run(query: "RETURN 2", parameters: [:], extra: [:], fetchSize: 10),
                context: 2
            )
        else {
            Issue.record("operation started while resetting")
            return
        }
        guard case .none = machine.receive(.ignored) else {
            Issue.record("IGNORED for the PULL")
            return
        }
        guard case .none = machine.receive(.success([:])) else {
            Issue.record("RESET's SUCCESS")
            return
        }
        guard case .send(let requests) = machine.startNextQueuedOperation(), requests.count == 2 else {
            Issue.record("queued RUN not started after RESET")
            return
        }
    }

    @Test func transactionLifecycle() {
        var machine = Self.ready()
        guard
            case .send([.begin(extra: ["tx_timeout": 5000])]) = machine.enqueue(
                .begin(extra: ["tx_timeout": 5000]),
                context: 1
            )
        else {
            Issue.record("BEGIN not sent")
            return
        }
        guard case .succeedOperation(1, _) = machine.receive(.success([:])) else {
            Issue.record("BEGIN")
            return
        }
        // BEGIN inside a transaction is misuse.
        guard case .failOperation(2, .misuse) = machine.enqueue(.begin(extra: [:]), context: 2) else {
            Issue.record("nested BEGIN accepted")
            return
        }
        _ = machine.enqueue(
            .run(query: "CREATE ()", parameters: [:], extra: [:], fetchSize: 10, inTransaction: true),
            context: 3
        )
        _ = machine.receive(.success(["fields": []]))
        _ = machine.receive(.success(["stats": ["nodes-created": 1]]))
        guard case .send([.commit]) = machine.enqueue(.commit, context: 4) else {
            Issue.record("COMMIT")
            return
        }
        guard case .succeedOperation(4, let metadata) = machine.receive(.success(["bookmark": "bm"])) else {
            Issue.record("COMMIT's SUCCESS")
            return
        }
        #expect(metadata["bookmark"] == "bm")
        // After COMMIT, COMMIT again is misuse; ROLLBACK is a harmless no-op.
        guard case .failOperation(5, .misuse) = machine.enqueue(.commit, context: 5) else {
            Issue.record("COMMIT outside a transaction accepted")
            return
        }
        guard case .succeedOperation(6, _) = machine.enqueue(.rollback, context: 6) else {
            Issue.record("ROLLBACK after the end of a transaction")
            return
        }
    }

    @Test func onlyAnIdleConnectionOutsideATransactionIsReusable() {
        var machine = Self.ready()
        #expect(machine.isReusable)
        _ = machine.enqueue(.begin(extra: [:]), context: 1)
        #expect(!machine.isReusable, "BEGIN in flight")
        _ = machine.receive(.success([:]))
        #expect(!machine.isReusable, "inside a transaction")
        _ = machine.enqueue(.rollback, context: 2)
        _ = machine.receive(.success([:]))
        #expect(machine.isReusable)
        _ = machine.enqueue(
            .run(query: "UNWIND range(1, 3) AS i RETURN i", parameters: [:], extra: [:], fetchSize: 1),
            context: 3
        )
        _ = machine.receive(.success(["fields": ["i"]]))
        _ = machine.receive(.record([1]))
        _ = machine.receive(.success(["has_more": true]))
        #expect(!machine.isReusable, "a result still open")
    }

    @Test func failureInsideTransactionEndsIt() {
        var machine = Self.ready()
        _ = machine.enqueue(.begin(extra: [:]), context: 1)
        _ = machine.receive(.success([:]))
        _ = machine.enqueue(
            .run(query: "RETURN 1/0", parameters: [:], extra: [:], fetchSize: 10, inTransaction: true),
            context: 2
        )
        _ = machine.receive(.success(["fields": ["x"]]))
        guard
            case .failOperationAndReset(2, _) = machine.receive(
                .failure(["code": "Neo.ClientError.Statement.ArithmeticError", "message": "/ by zero"])
            )
        else {
            Issue.record("failure not reported")
            return
        }
        _ = machine.receive(.success([:]))  // RESET
        // The transaction's next RUN must not run as an auto-commit query, committing on its own.
        guard
            case .failOperation(4, .misuse) = machine.enqueue(
                .run(query: "CREATE ()", parameters: [:], extra: [:], fetchSize: 10, inTransaction: true),
                context: 4
            )
        else {
            Issue.record("a RUN of the failed transaction ran outside it")
            return
        }
        guard case .failOperation(3, .misuse) = machine.enqueue(.commit, context: 3) else {
            Issue.record("COMMIT of a failed transaction accepted")
            return
        }
    }

    @Test func operationsQueuedDuringAuthenticationStartAfterIt() {
        var machine = Machine()
        _ = machine.connect(Self.hello)
        guard
            case .none = machine.enqueue(.run(query: "RETURN 1", parameters: [:], extra: [:], fetchSize: 1), context: 1)
        else {
            Issue.record("RUN sent before the handshake")
            return
        }
        _ = machine.handshakeCompleted(BoltVersion(major: 5, minor: 4))
        _ = machine.receive(.success([:]))
        _ = machine.receive(.success([:]))
        guard case .send = machine.startNextQueuedOperation() else {
            Issue.record("queued RUN not started")
            return
        }
    }

    @Test func closingFailsTheOperationInFlightAndTheQueue() {
        var machine = Self.ready()
        _ = machine.enqueue(.begin(extra: [:]), context: 1)
        _ = machine.enqueue(.commit, context: 2)
        guard case .closeConnection(let failing) = machine.close(.connectionLost(reason: "reset")) else {
            Issue.record("no close")
            return
        }
        #expect(failing.map(\.0) == [1, 2])
        #expect(failing.allSatisfy { $0.1 == .connectionLost(reason: "reset") && $0.1.isRetryable })
        // Asked for afterwards: failed with why the connection was lost, not only that it is closed.
        guard case .failOperation(3, .connectionLost(reason: "reset")) = machine.enqueue(.commit, context: 3) else {
            Issue.record("operation accepted after close, or failed without the reason")
            return
        }
    }

    /// What the channel handler bounds the server's silence by: a request in flight, not an idle connection nor a
    /// result that waits for the caller to ask for more.
    @Test func awaitsAnAnswerOnlyWhileARequestIsInFlight() {
        var machine = Self.ready()
        #expect(!machine.isAwaitingAnswer)
        _ = machine.enqueue(.run(query: "RETURN 1", parameters: [:], extra: [:], fetchSize: 1), context: 1)
        #expect(machine.isAwaitingAnswer)
        _ = machine.receive(.success(["fields": ["x"]]))
        _ = machine.receive(.record([1]))
        #expect(machine.isAwaitingAnswer)
        _ = machine.receive(.success(["has_more": true]))
        #expect(!machine.isAwaitingAnswer, "the server waits for the next PULL")
        _ = machine.enqueue(.discard, context: 1)
        #expect(machine.isAwaitingAnswer)
        _ = machine.receive(.success([:]))
        #expect(!machine.isAwaitingAnswer)
        _ = machine.enqueue(.begin(extra: [:]), context: 2)
        _ = machine.receive(.failure(["code": "Neo.ClientError.Statement.SyntaxError", "message": "bad"]))
        #expect(machine.isAwaitingAnswer, "the RESET after a FAILURE awaits its answer")
        _ = machine.receive(.success([:]))
        #expect(!machine.isAwaitingAnswer)
        _ = machine.close(.connectionLost(reason: "reset"))
        #expect(!machine.isAwaitingAnswer)
    }

    @Test func connectionLostAtCommitIsAnUnknownOutcome() {
        var machine = Self.ready()
        _ = machine.enqueue(.begin(extra: [:]), context: 1)
        _ = machine.receive(.success([:]))
        _ = machine.enqueue(.commit, context: 2)
        guard case .closeConnection(let failing) = machine.close(.connectionLost(reason: "reset")) else {
            Issue.record("no close")
            return
        }
        #expect(failing.map(\.0) == [2])
        #expect(failing.first?.1 == .unknownOutcome(reason: "reset"))
        #expect(failing.first?.1.isRetryable == false)
    }

    @Test func connectionLostDuringAnAutoCommitQueryIsAnUnknownOutcomeButNotInsideATransaction() {
        var autoCommit = Self.ready()
        _ = autoCommit.enqueue(.run(query: "CREATE ()", parameters: [:], extra: [:], fetchSize: 1), context: 1)
        guard case .closeConnection(let failing) = autoCommit.close(.connectionLost(reason: "reset")) else {
            Issue.record("no close")
            return
        }
        #expect(failing.first?.1 == .unknownOutcome(reason: "reset"))

        var inTransaction = Self.ready()
        _ = inTransaction.enqueue(.begin(extra: [:]), context: 1)
        _ = inTransaction.receive(.success([:]))
        _ = inTransaction.enqueue(
            .run(query: "CREATE ()", parameters: [:], extra: [:], fetchSize: 1, inTransaction: true),
            context: 2
        )
        guard case .closeConnection(let lost) = inTransaction.close(.connectionLost(reason: "reset")) else {
            Issue.record("no close")
            return
        }
        #expect(lost.first?.1 == .connectionLost(reason: "reset"), "the server rolls an open transaction back")
    }

    @Test func memoryLimitFailureIsBatchTooLarge() {
        var machine = Self.ready()
        _ = machine.enqueue(.run(query: "q", parameters: [:], extra: [:], fetchSize: 1), context: 1)
        let action = machine.receive(
            .failure(["code": "Neo.TransientError.General.MemoryPoolOutOfMemoryError", "message": "pool"])
        )
        guard case .failOperationAndReset(1, .batchTooLarge(let error)) = action else {
            Issue.record("expected batchTooLarge, got \(action)")
            return
        }
        #expect(!BoltError.batchTooLarge(error).isRetryable, "retry smaller, not unchanged")
    }

    @Test(arguments: [
        ("Neo.TransientError.Transaction.DeadlockDetected", true),
        ("Neo.TransientError.Transaction.Terminated", false),
        ("Neo.TransientError.Transaction.LockClientStopped", false),
        ("Neo.ClientError.Cluster.NotALeader", true),
        ("Neo.ClientError.Statement.SyntaxError", false),
        ("Neo.DatabaseError.General.UnknownError", false),
        ("SyntaxError", false),
    ])
    func retryableAsTheOfficialDriversDecide(code: String, retryable: Bool) {
        #expect(BoltError.server(BoltServerError(code: code, message: "")).isRetryable == retryable)
    }

    @Test func unsolicitedOrMisplacedMessagesCloseTheConnection() {
        var idle = Self.ready()
        guard case .closeConnection(let none) = idle.receive(.success([:])), none.isEmpty else {
            Issue.record("unsolicited SUCCESS accepted")
            return
        }
        var running = Self.ready()
        _ = running.enqueue(.run(query: "q", parameters: [:], extra: [:], fetchSize: 1), context: 1)
        guard case .closeConnection(let failing) = running.receive(.record([1])),
            failing.count == 1, case .protocolViolation = failing[0].1
        else {
            Issue.record("RECORD before RUN's SUCCESS accepted")
            return
        }
    }

    @Test func failureMetadataInBothShapes() {
        let classic = BoltServerError(metadata: [
            "code": "Neo.TransientError.Transaction.DeadlockDetected", "message": "m",
        ])
        #expect(classic.classification == .transient)
        let gql = BoltServerError(
            metadata: ["neo4j_code": "Neo.DatabaseError.General.UnknownError", "message": "m", "gql_status": "50N42"]
        )
        #expect(gql.code == "Neo.DatabaseError.General.UnknownError")
        #expect(gql.gqlStatus == "50N42")
        #expect(gql.classification == .database)
        let falkor = BoltServerError(metadata: ["code": "SyntaxError", "message": "errMsg: division by zero"])
        #expect(falkor.classification == .unknown)
    }
}

/// Closing by the client: GOODBYE where the server handles it, a plain close elsewhere.
@Suite struct BoltConnectionStateMachineGoodbyeTests {
    typealias Machine = BoltConnectionStateMachineTests.Machine

    @Test func closeByClientSaysGoodbyeWhenIdle() {
        var machine = BoltConnectionStateMachineTests.ready()
        guard case .sayGoodbyeAndClose(let failing) = machine.closeByClient(sayingGoodbye: true) else {
            Issue.record("no GOODBYE")
            return
        }
        #expect(failing.isEmpty)
        #expect(machine.isClosed)
        guard case .failOperation(1, .connectionClosed) = machine.enqueue(.commit, context: 1) else {
            Issue.record("operation accepted after close")
            return
        }
        guard case .none = machine.closeByClient(sayingGoodbye: true) else {
            Issue.record("a second close did something")
            return
        }
    }

    @Test func closeByClientWithoutGoodbyeJustCloses() {
        var machine = BoltConnectionStateMachineTests.ready()
        guard case .closeConnection(let failing) = machine.closeByClient(sayingGoodbye: false) else {
            Issue.record("expected a plain close")
            return
        }
        #expect(failing.isEmpty)
        #expect(machine.isClosed)
    }

    @Test func closeByClientFailsOperationsInFlightAndQueuedThenSaysGoodbye() {
        var machine = BoltConnectionStateMachineTests.ready()
        _ = machine.enqueue(.begin(extra: [:]), context: 1)
        _ = machine.enqueue(.commit, context: 2)
        guard case .sayGoodbyeAndClose(let failing) = machine.closeByClient(sayingGoodbye: true) else {
            Issue.record("no GOODBYE")
            return
        }
        #expect(failing.map(\.0) == [1, 2])
        #expect(failing.allSatisfy { $0.1 == .connectionClosed })
    }

    @Test func noGoodbyeBeforeAuthenticationCompletes() {
        var handshaking = Machine()
        _ = handshaking.connect(BoltConnectionStateMachineTests.hello)
        guard case .connectFailed(.connectionClosed) = handshaking.closeByClient(sayingGoodbye: true) else {
            Issue.record("expected the connect to fail without GOODBYE")
            return
        }

        var authenticating = Machine()
        _ = authenticating.connect(BoltConnectionStateMachineTests.hello)
        _ = authenticating.handshakeCompleted(BoltVersion(major: 5, minor: 4))
        guard case .connectFailed = authenticating.closeByClient(sayingGoodbye: true) else {
            Issue.record("expected the connect to fail without GOODBYE")
            return
        }
    }
}
