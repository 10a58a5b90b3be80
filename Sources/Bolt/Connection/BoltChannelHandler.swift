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

    init(
        hello: BoltConnectionStateMachine<BoltOperationContext>.HelloParameters,
        sendsGoodbye: Bool,
        maximumMessageSize: Int,
        connectPromise: EventLoopPromise<BoltServerInfo>
    ) {
        self.decoder = NIOSingleStepByteToMessageProcessor(BoltChunkDecoder(maximumMessageSize: maximumMessageSize))
        self.hello = hello
        self.sendsGoodbye = sendsGoodbye
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
        context.read()
    }

    func close() {
        run(stateMachine.closeByClient(sayingGoodbye: sendsGoodbye))
    }

    // MARK: Actions

    private func run(_ action: BoltConnectionStateMachine<BoltOperationContext>.Action) {
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
