/// What the time windows open at one instant allow, resolved to the strictest: a pause beats any limit, the lowest rate
/// and the lowest batch size win, and among equals the window listed first.
public struct ThrottleCap: Sendable, Hashable, CustomStringConvertible {
    /// The window that pauses work, if one does; the limits are then cleared, since nothing runs.
    public private(set) var pausedBy: ThrottleWindow?
    public private(set) var maxItemsPerSecond: ThrottleLimit?
    public private(set) var maxBatchSize: ThrottleLimit?

    /// No window open.
    public static let none = ThrottleCap()

    public init() {}

    /// The cap with `window`'s action added: only what is stricter than the cap so far changes it.
    public func tightened(by window: ThrottleWindow) -> ThrottleCap {
        var cap = self
        switch window.action {
        case .pause:
            if cap.pausedBy == nil {
                cap.pausedBy = window
            }
        case .limit(let rate, let batch):
            if let rate, rate < cap.maxItemsPerSecond?.value ?? .max {
                cap.maxItemsPerSecond = ThrottleLimit(value: rate, window: window)
            }
            if let batch, batch < cap.maxBatchSize?.value ?? .max {
                cap.maxBatchSize = ThrottleLimit(value: batch, window: window)
            }
        }
        if cap.pausedBy != nil {
            cap.maxItemsPerSecond = nil
            cap.maxBatchSize = nil
        }
        return cap
    }

    public var isPaused: Bool { pausedBy != nil }

    /// `pause (weekend)`, `max 2,000 items/s (business hours), max batch 500 (night)`, `no limit`.
    public var description: String {
        if let pausedBy {
            return "pause (\(pausedBy.label))"
        }
        let limits = [
            maxItemsPerSecond.map { "max \(ThrottleFormat.count($0.value)) items/s (\($0.window.label))" },
            maxBatchSize.map { "max batch \(ThrottleFormat.count($0.value)) (\($0.window.label))" },
        ]
        .compactMap { $0 }
        return limits.isEmpty ? "no limit" : limits.joined(separator: ", ")
    }
}
