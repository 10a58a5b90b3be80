/// What an operator imposes on a running job (`sluice pause`, `sluice throttle JOB --max-rate N`), above any window
/// and the configuration.
public struct ThrottleOverride: Sendable, Hashable {
    public var paused: Bool
    /// Items per second, at least 1.
    public var maxItemsPerSecond: Int?

    public init(paused: Bool = false, maxItemsPerSecond: Int? = nil) {
        self.paused = paused
        self.maxItemsPerSecond = maxItemsPerSecond
    }

    /// Nothing imposed.
    public static let none = ThrottleOverride()
}
