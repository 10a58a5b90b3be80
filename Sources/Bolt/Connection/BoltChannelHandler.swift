import NIOCore

/// What an operation's caller waits on.
enum BoltOperationContext {
    /// RUN, PULL and DISCARD feed a result stream.
    case result(BoltResultStream)
    /// BEGIN, COMMIT and ROLLBACK complete with their SUCCESS metadata.
    case summary(EventLoopPromise<[String: BoltValue]>)
}

/// The IO of a Bolt connection: it turns bytes into events for `BoltConnectionStateMachine` and
/// carries out the actions it returns. All protocol decisions are the state machine's.
///
/// It also bounds the server's silence: a server that stops answering without closing the connection (a stopped
/// process, a partition that drops packets, a hung JVM) would otherwise leave the request in flight waiting forever,
/// since the server cannot enforce the `tx_timeout` it was sent while it is not running. While the state machine
/// awaits an answer (``BoltConnectionStateMachine/isAwaitingAnswer``) and reads are not held back for a saturated
/// consumer, a timer on the event loop closes the connection once no byte came for ``answerTimeout``: the request
/// in flight then fails as a lost connection (an unknown outcome where it may have committed), as if the server had
/// reset it. An idle connection is never timed, however long it waits.
final class BoltChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var stateMachine = BoltConnectionStateMachine<BoltOperationContext>()
    /// See ``BoltConnectionStateMachine/isReusable``.
    var isReusable: Bool { stateMachine.isReusable }
    private let hello: BoltConnectionStateMachine<BoltOperationContext>.HelloParameters
    /// Whether a close by the client says GOODBYE first: not to servers that mishandle it (FalkorDB).
    private let sendsGoodbye: Bool
    private let connectPromise: EventLoopPromise<BoltServerInfo>
    private var context: ChannelHandlerContext?
    /// Bytes of the handshake answer; nil once the handshake is done.
    private var handshakeBuffer: ByteBuffer? = ByteBuffer()
    private var decoder: NIOSingleStepByteToMessageProcessor<BoltChunkDecoder>
    private var scratch = ByteBuffer()
    /// The stream whose consumer is saturated; reads wait until it asks for more.
    private var saturatedStream: BoltResultStream?
    private var readPending = false
    /// How long the server may send nothing while it owes an answer; nil: as long as it takes.
    private let answerTimeout: TimeAmount?
    /// When the server's silence began: the last byte read, or the request that made the connection await an answer.
    private var silentSince = NIODeadline.uptimeNanoseconds(0)
    /// Fires at the earliest moment the silence may have lasted ``answerTimeout``; nil while nothing is timed.
    private var silenceCheck: Scheduled<Void>?
    /// When the silence began that closed the connection, if the answer timeout closed it.
    private(set) var closedForSilenceSince: NIODeadline?

    /// - Parameter answerTimeout: how long the server may send nothing while a request awaits its answer before the
    ///   connection counts as lost; nil: no bound.
    init(
        hello: BoltConnectionStateMachine<BoltOperationContext>.HelloParameters,
        sendsGoodbye: Bool,
        maximumMessageSize: Int,
        answerTimeout: TimeAmount?,
        connectPromise: EventLoopPromise<BoltServerInfo>
    ) {
        self.decoder = NIOSingleStepByteToMessageProcessor(BoltChunkDecoder(maximumMessageSize: maximumMessageSize))
        self.hello = hello
        self.sendsGoodbye = sendsGoodbye
        self.answerTimeout = answerTimeout
        self.connectPromise = connectPromise
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive {
            run(stateMachine.connect(hello))
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        timeSilence()
    }

    func channelActive(context: ChannelHandlerContext) {
        run(stateMachine.connect(hello))
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        run(stateMachine.close(.connectionClosed))
        connectPromise.fail(BoltError.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The connect caller gets the error as it came, so a TLS failure can be told apart.
        connectPromise.fail(error)
        run(stateMachine.close(BoltError(error)))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if answerTimeout != nil { silentSince = context.eventLoop.now }
        var buffer = unwrapInboundIn(data)
        if var handshake = handshakeBuffer {
            handshake.writeBuffer(&buffer)
            do {
                guard let version = try BoltHandshake.readResponse(from: &handshake) else {
                    handshakeBuffer = handshake
                    return
                }
                handshakeBuffer = nil
                buffer = handshake
                run(stateMachine.handshakeCompleted(version))
            } catch {
                handshakeBuffer = nil
                run(stateMachine.close(error))
                return
            }
        }
        do {
            try decoder.process(buffer: buffer) { message in
                var message = message
                let response = try BoltResponse(from: &message)
                run(stateMachine.receive(response))
                run(stateMachine.startNextQueuedOperation())
            }
        } catch {
            run(stateMachine.close(BoltError(error)))
        }
    }

    func read(context: ChannelHandlerContext) {
        if let stream = saturatedStream, stream.isConsumerSaturated {
            readPending = true
            // The server may be sending all along: the client is the one not listening.
            timeSilence()
            return
        }
        saturatedStream = nil
        context.read()
    }

    // MARK: From the connection and its streams (on the event loop)

    func enqueue(_ operation: BoltConnectionStateMachine<BoltOperationContext>.Operation, context: BoltOperationContext)
    {
        if case .result(let stream) = context {
            stream.handler = self
        }
        run(stateMachine.enqueue(operation, context: context))
    }

    /// A consumer drained its buffer: deliver the read that was held back.
    func resumeReading() {
        guard readPending, let context else { return }
        readPending = false
        saturatedStream = nil
        timeSilence()
        context.read()
    }

    func close() {
        run(stateMachine.closeByClient(sayingGoodbye: sendsGoodbye))
    }

    // MARK: Actions

    private func run(_ action: BoltConnectionStateMachine<BoltOperationContext>.Action) {
        defer { timeSilence() }
        switch action {
        case .none:
            break
        case .sendHandshake:
            var buffer = ByteBuffer()
            BoltHandshake.writeRequest(into: &buffer)
            context?.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        case .send(let requests):
            send(requests)
        case .connected(let info):
            connectPromise.succeed(info)
        case .connectFailed(let error):
            connectPromise.fail(error)
            context?.close(promise: nil)
        case .streamStarted(let context, let fields, let metadata):
            if case .result(let stream) = context {
                stream.started(fields: fields, metadata: metadata)
            }
        case .forwardRecord(let context, let values):
            if case .result(let stream) = context {
                stream.received(values)
                if stream.isConsumerSaturated {
                    saturatedStream = stream
                }
            }
        case .streamSuspended(let context):
            if case .result(let stream) = context {
                stream.suspended()
            }
        case .streamCompleted(let context, let metadata):
            if case .result(let stream) = context {
                stream.completed(metadata: metadata)
            }
            resumeReading()
        case .succeedOperation(let context, let metadata):
            if case .summary(let promise) = context {
                promise.succeed(metadata)
            }
        case .failOperation(let context, let error):
            fail(context, error)
        case .failOperationAndReset(let context, let error):
            fail(context, error)
            resumeReading()
            send([.reset])
        case .closeConnection(let failing):
            for (context, error) in failing {
                fail(context, error)
            }
            self.context?.close(promise: nil)
        case .sayGoodbyeAndClose(let failing):
            for (context, error) in failing {
                fail(context, error)
            }
            guard let context else { return }
            var buffer = context.channel.allocator.buffer(capacity: 8)
            buffer.writeBoltMessage(.goodbye, scratch: &scratch)
            // Close once GOODBYE is written: a close right away could drop it with the unsent bytes.
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    // MARK: The server's silence

    /// Starts timing the server's silence when the connection has come to await an answer it reads, stops when not.
    private func timeSilence() {
        guard let answerTimeout, let context, !readPending, stateMachine.isAwaitingAnswer else {
            silenceCheck?.cancel()
            silenceCheck = nil
            return
        }
        guard silenceCheck == nil else { return }
        silentSince = context.eventLoop.now
        scheduleSilenceCheck(at: silentSince + answerTimeout)
    }

    /// Reads move ``silentSince`` on without touching the timer: when it fires early, it waits for the rest.
    private func scheduleSilenceCheck(at deadline: NIODeadline) {
        guard let context else { return }
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        silenceCheck = context.eventLoop.scheduleTask(deadline: deadline) { handler.value.silenceCheckDue() }
    }

    private func silenceCheckDue() {
        silenceCheck = nil
        guard let answerTimeout, let context, stateMachine.isAwaitingAnswer, !readPending else { return }
        let due = silentSince + answerTimeout
        guard due <= context.eventLoop.now else { return scheduleSilenceCheck(at: due) }
        closedForSilenceSince = silentSince
        run(stateMachine.close(.connectionLost(reason: "no answer from the server for \(Self.text(answerTimeout))")))
    }

    /// `30s`, `1500ms`: a timeout as errors name it.
    static func text(_ amount: TimeAmount) -> String {
        let milliseconds = amount.nanoseconds / 1_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000)s" : "\(milliseconds)ms"
    }

    private func send(_ requests: [BoltRequest]) {
        guard let context else { return }
        var buffer = context.channel.allocator.buffer(capacity: 256)
        for request in requests {
            buffer.writeBoltMessage(request, scratch: &scratch)
        }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    private func fail(_ context: BoltOperationContext, _ error: BoltError) {
        switch context {
        case .result(let stream):
            stream.failed(error)
        case .summary(let promise):
            promise.fail(error)
        }
    }
}
