/// The record of one committed batch: the plan range it covered and what it did.
///
/// Offsets, not batch numbers: a batch size changed by the throttle changes nothing about where to resume.
public struct JobCheckpoint: Sendable, Equatable {
    /// Plan offset the batch started at; must equal the job's `planDone`.
    public var from: Int64
    /// Plan offset after the batch (exclusive end).
    public var to: Int64
    public var itemsChanged: Int64
    public var itemsSkipped: Int64
    /// The batch size the throttle is using now.
    public var batchSize: Int?
    /// The throttle's state, when it changed (recorded as an event).
    public var throttle: JobThrottle?
    /// Items that failed on their own and were set aside (bisected out of the batch).
    public var quarantined: [QuarantinedItem]

    public init(
        from: Int64,
        to: Int64,
        itemsChanged: Int64,
        itemsSkipped: Int64 = 0,
        batchSize: Int? = nil,
        throttle: JobThrottle? = nil,
        quarantined: [QuarantinedItem] = []
    ) {
        self.from = from
        self.to = to
        self.itemsChanged = itemsChanged
        self.itemsSkipped = itemsSkipped
        self.batchSize = batchSize
        self.throttle = throttle
        self.quarantined = quarantined
    }
}
