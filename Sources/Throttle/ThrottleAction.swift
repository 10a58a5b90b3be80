/// What a time window does while it is open.
public enum ThrottleAction: Sendable, Hashable, CustomStringConvertible {
    /// No batch runs.
    case pause
    /// Batches run no faster than `maxItemsPerSecond` and no larger than `maxBatchSize` (at least one is set).
    case limit(maxItemsPerSecond: Int?, maxBatchSize: Int?)

    /// The rule's text form: `pause`, `max 2000 items/s`, `max batch 500`, `max 2000 items/s, max batch 500`.
    public var description: String {
        switch self {
        case .pause:
            return "pause"
        case .limit(let rate, let batch):
            let parts = [rate.map { "max \($0) items/s" }, batch.map { "max batch \($0)" }]
            return parts.compactMap { $0 }.joined(separator: ", ")
        }
    }
}
