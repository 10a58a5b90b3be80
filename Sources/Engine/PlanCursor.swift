/// Progress through a job's plan as an offset, and the slice the next batch takes.
///
/// Progress is an offset into the plan, never a batch number, so a batch size changed between
/// batches (by the throttle, or after a split) can neither skip nor repeat an item: the next batch
/// always starts where the last committed one ended.
public struct PlanCursor: Sendable, Hashable {
    /// Items planned in total.
    public let total: Int
    /// Items before this offset are done.
    public private(set) var done: Int

    public init(total: Int, done: Int = 0) {
        precondition(total >= 0 && (0...total).contains(done), "offset \(done) outside the plan of \(total)")
        self.total = total
        self.done = done
    }

    public var isFinished: Bool { done == total }

    /// The half-open plan range the next batch of at most `batchSize` items covers; empty when the
    /// plan is finished.
    public func nextSlice(batchSize: Int) -> Range<Int> {
        done..<min(total, done + max(1, batchSize))
    }

    /// Records a committed batch. A slice that does not start at the current offset is a bug in the
    /// caller (a batch applied out of order), so it is refused, not absorbed.
    public mutating func commit(_ slice: Range<Int>) throws(PlanCursorError) {
        guard slice.lowerBound == done, slice.upperBound <= total, !slice.isEmpty else {
            throw PlanCursorError.outOfOrder(slice: slice, done: done, total: total)
        }
        done = slice.upperBound
    }
}

public enum PlanCursorError: Error, Hashable, CustomStringConvertible {
    case outOfOrder(slice: Range<Int>, done: Int, total: Int)

    public var description: String {
        switch self {
        case .outOfOrder(let slice, let done, let total):
            "batch \(slice.lowerBound)..<\(slice.upperBound) does not continue the plan at offset \(done) of \(total)"
        }
    }
}
