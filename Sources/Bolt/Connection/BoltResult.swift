import NIOCore

/// The records of one query, streamed as the caller iterates, and its summary.
///
/// Iterate it once. Records are fetched in batches of the fetch size as the caller consumes them, so
/// a result of any size is read in bounded memory. Stopping early (breaking out of the loop) discards
/// the rest on the server; ``consume()`` does the same and returns the summary.
public struct BoltResult: AsyncSequence, Sendable {
    public typealias Element = BoltRecord
    public typealias Failure = BoltError

    /// The result's field names, known before the first record.
    public let keys: [String]
    /// RUN's metadata (`t_first`, `qid`, ...).
    public let runMetadata: [String: BoltValue]
    private let records: BoltResultStream.Producer
    private let summaryFuture: EventLoopFuture<BoltSummary>
    private let stream: NIOLoopBound<BoltResultStream>

    init(
        keys: [String],
        records: BoltResultStream.Producer,
        summary: EventLoopFuture<BoltSummary>,
        runMetadata: [String: BoltValue],
        stream: NIOLoopBound<BoltResultStream>
    ) {
        self.keys = keys
        self.records = records
        self.summaryFuture = summary
        self.runMetadata = runMetadata
        self.stream = stream
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: BoltResultStream.Producer.AsyncIterator

        public mutating func next() async throws(BoltError) -> BoltRecord? {
            do {
                return try await base.next()
            } catch {
                throw BoltError(error)
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: records.makeAsyncIterator())
    }

    /// The summary, once every record has been read (or discarded by ``consume()``).
    public func summary() async throws(BoltError) -> BoltSummary {
        try await BoltError.await(summaryFuture)
    }

    /// Discards the records not read yet and returns the summary.
    @discardableResult
    public func consume() async throws(BoltError) -> BoltSummary {
        let stream = self.stream
        stream.eventLoop.execute { stream.value.discardRemaining() }
        return try await BoltError.await(summaryFuture)
    }

    /// Reads every record into memory: for results known to be small.
    public func collect() async throws(BoltError) -> [BoltRecord] {
        var all: [BoltRecord] = []
        var iterator = makeAsyncIterator()
        while let record = try await iterator.next() {
            all.append(record)
        }
        return all
    }
}
