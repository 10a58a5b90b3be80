import NIOCore

/// The event-loop side of one result: it feeds records into the async sequence the caller iterates,
/// and keeps the server from sending faster than the caller consumes.
///
/// Two brakes bound memory: the next PULL is only sent when the consumer asks for more, and, for
/// servers that ignore PULL's size and stream everything (FalkorDB), socket reads are held back
/// while the consumer's buffer is full.
final class BoltResultStream {
    typealias Producer = NIOThrowingAsyncSequenceProducer<
        BoltRecord, any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, Demand
    >

    /// Forwards the consumer's demand to the event loop.
    struct Demand: NIOAsyncSequenceProducerDelegate {
        let stream: NIOLoopBound<BoltResultStream>

        func produceMore() {
            stream.eventLoop.execute { stream.value.consumerWantsMore() }
        }

        func didTerminate() {
            stream.eventLoop.execute { stream.value.consumerGone() }
        }
    }

    private enum Phase {
        case awaitingFields(EventLoopPromise<BoltResult>)
        case streaming(Producer.Source)
        case finished
    }

    let fetchSize: Int64
    let eventLoop: EventLoop
    private let summaryPromise: EventLoopPromise<BoltSummary>
    private var phase: Phase
    private var keys: [String] = []
    /// RUN's `t_first`, carried into the summary.
    private var resultAvailableAfter: Int64?
    /// The consumer's buffer is full; records already on the way are still accepted.
    private(set) var isConsumerSaturated = false
    /// The server holds more records and waits for a PULL.
    private var isSuspendedAtServer = false
    /// The consumer stopped iterating: the rest of the result is discarded.
    private var isAbandoned = false
    /// Sends PULL or DISCARD for this stream, and resumes held-back reads.
    weak var handler: BoltChannelHandler?

    init(fetchSize: Int64, resultPromise: EventLoopPromise<BoltResult>) {
        self.fetchSize = fetchSize
        self.eventLoop = resultPromise.futureResult.eventLoop
        self.summaryPromise = eventLoop.makePromise()
        self.phase = .awaitingFields(resultPromise)
    }

    // MARK: From the state machine

    func started(fields: [String], metadata: [String: BoltValue]) {
        guard case .awaitingFields(let promise) = phase else { return }
        keys = fields
        if case .integer(let t) = metadata["t_first"] { resultAvailableAfter = t }
        let fetch = Int(clamping: fetchSize > 0 ? fetchSize : 1000)
        let producer = Producer.makeSequence(
            backPressureStrategy: .init(lowWatermark: max(1, fetch / 2), highWatermark: fetch),
            finishOnDeinit: false,
            delegate: Demand(stream: NIOLoopBound(self, eventLoop: eventLoop))
        )
        phase = .streaming(producer.source)
        promise.succeed(
            BoltResult(
                keys: fields,
                records: producer.sequence,
                summary: summaryPromise.futureResult,
                runMetadata: metadata,
                stream: NIOLoopBound(self, eventLoop: eventLoop)
            )
        )
    }

    func received(_ values: [BoltValue]) {
        guard case .streaming(let source) = phase, !isAbandoned else { return }
        if source.yield(BoltRecord(keys: keys, values: values)) == .stopProducing {
            isConsumerSaturated = true
        }
    }

    func suspended() {
        isSuspendedAtServer = true
        if isAbandoned {
            requestDiscard()
        } else if !isConsumerSaturated {
            requestPull()
        }
    }

    func completed(metadata: [String: BoltValue]) {
        var summary = BoltSummary(metadata: metadata)
        summary.resultAvailableAfter = resultAvailableAfter
        switch phase {
        case .awaitingFields(let promise):
            promise.fail(BoltError.protocolViolation("result completed before RUN succeeded"))
        case .streaming(let source):
            source.finish()
        case .finished:
            break
        }
        phase = .finished
        isConsumerSaturated = false
        summaryPromise.succeed(summary)
    }

    func failed(_ error: BoltError) {
        switch phase {
        case .awaitingFields(let promise):
            promise.fail(error)
        case .streaming(let source):
            source.finish(error)
        case .finished:
            break
        }
        phase = .finished
        isConsumerSaturated = false
        summaryPromise.fail(error)
    }

    // MARK: From the consumer

    private func consumerWantsMore() {
        isConsumerSaturated = false
        handler?.resumeReading()
        if isSuspendedAtServer {
            requestPull()
        }
    }

    private func consumerGone() {
        guard case .streaming = phase else { return }
        isAbandoned = true
        isConsumerSaturated = false
        handler?.resumeReading()
        if isSuspendedAtServer {
            requestDiscard()
        }
    }

    /// The caller wants the summary without the remaining records.
    func discardRemaining() {
        guard case .streaming(let source) = phase else { return }
        isAbandoned = true
        isConsumerSaturated = false
        source.finish()
        handler?.resumeReading()
        if isSuspendedAtServer {
            requestDiscard()
        }
    }

    private func requestPull() {
        isSuspendedAtServer = false
        handler?.enqueue(.pull(fetchSize: fetchSize), context: .result(self))
    }

    private func requestDiscard() {
        isSuspendedAtServer = false
        handler?.enqueue(.discard, context: .result(self))
    }
}
