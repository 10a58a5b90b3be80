/// The batch that just ran: the controller spaces the next one so that this one's items, over its time plus the pause
/// after it, stay within the rate limit.
public struct CompletedBatch: Sendable, Hashable {
    public var size: Int
    public var duration: Duration

    public init(size: Int, duration: Duration) {
        self.size = size
        self.duration = duration
    }
}
