/// Closed id windows `low...high` of at most `width` ids covering `lowest...highest`, in ascending order.
///
/// Planning on a server that seeks id ranges (FalkorDB) reads the planned set one window per query, each answered
/// as a count (a full window needs no list) or a few lists of ids, instead of one record per id: a million dense
/// ids cross the wire as twenty counts, not a million records, and the server serves its other clients between
/// windows. The windows are disjoint and ascending, so ids sorted within each window are sorted overall. Closed
/// windows, so that ids up to `Int64.max` need no bound past it.
public struct IDWindows: Sequence, Sendable, Hashable {
    public let lowest: Int64
    public let highest: Int64
    public let width: Int64

    /// Empty when `highest` is below `lowest`.
    public init(lowest: Int64, highest: Int64, width: Int) {
        precondition(width > 0, "an id window holds at least one id")
        self.lowest = lowest
        self.highest = highest
        self.width = Int64(width)
    }

    public struct Iterator: IteratorProtocol, Sendable {
        var low: Int64?
        let highest: Int64
        let width: Int64

        public mutating func next() -> ClosedRange<Int64>? {
            guard let low, low <= highest else { return nil }
            let (end, overflow) = low.addingReportingOverflow(width - 1)
            let high = overflow ? highest : Swift.min(highest, end)
            self.low = high == highest ? nil : high + 1
            return low...high
        }
    }

    public func makeIterator() -> Iterator {
        Iterator(low: lowest, highest: highest, width: width)
    }
}
