import Foundation

/// An item that failed on its own (say `date('5/1/24')`), set aside so the job could go on; `status` lists them.
public struct QuarantinedItem: Sendable, Hashable, Codable {
    /// The item's graph id.
    public var item: Int64
    /// Its position in the plan.
    public var planOffset: Int64?
    /// The server's error for this item alone.
    public var error: String
    public var quarantinedAt: Date?

    public init(item: Int64, planOffset: Int64? = nil, error: String, quarantinedAt: Date? = nil) {
        self.item = item
        self.planOffset = planOffset
        self.error = error
        self.quarantinedAt = quarantinedAt
    }
}
