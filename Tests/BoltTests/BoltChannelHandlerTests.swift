import NIOCore
import NIOEmbedded
import Synchronization
import Testing

@testable import Bolt

/// The channel handler's bound on a server's silence, on an `EmbeddedChannel` whose clock the test moves: a request
/// left without an answer fails after the bound, an idle connection is never timed, and neither is an answer whose
/// bytes keep coming however long it takes in all, nor a server the client has stopped reading from.
@Suite struct BoltChannelHandlerTests {
    static let bound = TimeAmount.seconds(5)

    /// A connection past the handshake, HELLO and LOGON, its silence bounded by ``bound``.
    struct Connected {
        typealias Operation = BoltConnectionStateMachine<BoltOperationContext>.Operation

        let channel = EmbeddedChannel()
        let handler: BoltChannelHandler

        init() throws {
            let connected = channel.eventLoop.makePromise(of: BoltServerInfo.self)
            handler = BoltChannelHandler(
                hello: .init(auth: .none, userAgent: "sluice/test", boltAgent: [:]),
                sendsGoodbye: false,
                maximumMessageSize: 1 << 20,
                answerTimeout: BoltChannelHandlerTests.bound,
                connectPromise: connected
            )
            try channel.pipeline.syncOperations.addHandler(handler)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7687)).wait()
            try channel.writeInbound(ByteBuffer(bytes: [0x00, 0x00, 0x04, 0x05]))
            try channel.writeInbound(Self.success())
            try channel.writeInbound(Self.success())
            let outcome = Outcome(connected.futureResult)
            #expect(outcome.succeeded, "not connected: \(String(describing: outcome.result))")
        }

        /// Moves the channel's clock on by `amount`, running what falls due.
        func wait(_ amount: TimeAmount) {
            channel.embeddedEventLoop.advanceTime(by: amount)
        }

        /// An operation whose answer is a summary (BEGIN, COMMIT), and how it ends.
        func summary(_ operation: Operation) -> Outcome<[String: BoltValue]> {
            let promise = channel.eventLoop.makePromise(of: [String: BoltValue].self)
            handler.enqueue(operation, context: .summary(promise))
            return Outcome(promise.futureResult)
        }

        /// A RUN (and its first PULL of `fetchSize`) outside a transaction, and how its result starts.
        func run(fetchSize: Int64 = 1000) -> Outcome<BoltResult> {
            let promise = channel.eventLoop.makePromise(of: BoltResult.self)
            let stream = BoltResultStream(fetchSize: fetchSize, resultPromise: promise)
            handler.enqueue(
                .run(query: "RETURN 1", parameters: [:], extra: [:], fetchSize: fetchSize),
                context: .result(stream)
            )
            return Outcome(promise.futureResult)
        }

        /// A server message as it comes over the wire: a structure of `fields`, chunked.
        static func message(_ tag: UInt8, _ fields: BoltValue...) -> ByteBuffer {
            var payload = ByteBuffer()
            payload.writePackStreamStructureHeader(tag: tag, fieldCount: fields.count)
            for field in fields { payload.writePackStream(field) }
            var chunked = ByteBuffer()
            chunked.writeBoltChunks(of: payload)
            return chunked
        }

        static func success(_ metadata: [String: BoltValue] = [:]) -> ByteBuffer {
            message(0x70, .map(metadata))
        }

        static func record(_ values: BoltValue...) -> ByteBuffer {
            message(0x71, .list(values))
        }
    }

    /// How a future ended, once it did.
    final class Outcome<Value: Sendable>: Sendable {
        private let ended = Mutex<Result<Value, any Error>?>(nil)

        init(_ future: EventLoopFuture<Value>) {
            future.whenComplete { result in self.ended.withLock { $0 = result } }
        }

        var result: Result<Value, any Error>? { ended.withLock { $0 } }

        var succeeded: Bool {
            if case .success = result { return true }
            return false
        }

        var error: BoltError? {
            guard case .failure(let error) = result else { return nil }
            return error as? BoltError
        }
    }

    @Test func aRequestWithoutAnAnswerFailsAfterTheBoundAsALostConnection() throws {
        let connection = try Connected()
        let query = connection.run()
        let queued = connection.summary(.begin(extra: [:]))
        connection.wait(Self.bound - .milliseconds(1))
        #expect(connection.channel.isActive && query.result == nil, "cut before the bound")
        connection.wait(.milliseconds(1))
        let lost = "no answer from the server for 5s"
        // An auto-commit query commits as it completes: whether it did is unknown, and the caller must read it back.
        #expect(query.error == .unknownOutcome(reason: lost), "\(String(describing: query.result))")
        #expect(queued.error == .connectionLost(reason: lost), "\(String(describing: queued.result))")
        #expect(!connection.channel.isActive, "the connection was not closed")
        // Asked for afterwards: the same reason, not only that the connection is closed.
        #expect(connection.summary(.begin(extra: [:])).error == .connectionLost(reason: lost))
    }

    @Test func anUnansweredCommitIsAnUnknownOutcome() throws {
        let connection = try Connected()
        #expect(connection.summary(.begin(extra: [:])).result == nil)
        try connection.channel.writeInbound(Connected.success())
        let commit = connection.summary(.commit)
        connection.wait(Self.bound)
        #expect(commit.error == .unknownOutcome(reason: "no answer from the server for 5s"))
    }

    @Test func anIdleConnectionIsNeverTimed() throws {
        let connection = try Connected()
        connection.wait(Self.bound * 10)
        #expect(connection.channel.isActive, "a pooled connection was closed")
        // Between batches: inside a transaction, nothing asked.
        let begin = connection.summary(.begin(extra: [:]))
        try connection.channel.writeInbound(Connected.success())
        #expect(begin.succeeded)
        connection.wait(Self.bound * 10)
        #expect(connection.channel.isActive, "a connection waiting between requests was closed")
        // The bound is timed afresh from the next request, not from the last byte before the wait.
        let commit = connection.summary(.commit)
        connection.wait(Self.bound - .milliseconds(1))
        try connection.channel.writeInbound(Connected.success())
        #expect(commit.succeeded && connection.channel.isActive)
    }

    @Test func aSlowAnswerWhoseBytesKeepComingIsNotCut() throws {
        let connection = try Connected()
        let begin = connection.summary(.begin(extra: [:]))
        // One byte every 4 s: 28 s for the answer, over five times the bound, never 5 s without a byte.
        for byte in Connected.success(["bookmark": "slow"]).readableBytesView {
            connection.wait(.seconds(4))
            try connection.channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        #expect(begin.succeeded, "\(String(describing: begin.result))")
        #expect(connection.channel.isActive)
    }

    @Test func aServerTheClientStoppedReadingFromIsNotTimed() throws {
        let connection = try Connected()
        let query = connection.run(fetchSize: 2)
        try connection.channel.writeInbound(Connected.success(["fields": ["x"]]))
        #expect(query.succeeded)
        // Two records fill the consumer's buffer: the next read is held back until it asks for more, and the PULL's
        // answer waits in the socket meanwhile.
        try connection.channel.writeInbound(Connected.record(1))
        try connection.channel.writeInbound(Connected.record(2))
        connection.channel.read()
        connection.wait(Self.bound * 3)
        #expect(connection.channel.isActive, "cut while the client held its reads back")
    }
}
