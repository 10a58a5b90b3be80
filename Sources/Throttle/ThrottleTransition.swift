import Foundation

/// An instant at which the schedule's cap changes, and the cap from then on.
public struct ThrottleTransition: Sendable, Hashable {
    public var instant: Date
    public var cap: ThrottleCap

    public init(instant: Date, cap: ThrottleCap) {
        self.instant = instant
        self.cap = cap
    }
}
