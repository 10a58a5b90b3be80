/// The throttle's state as recorded on a job: a short state word and the human reason (shown in status and the
/// journal), both supplied by the Throttle part.
public struct JobThrottle: Sendable, Equatable, Codable {
    /// `none`, `reduced`, `paused`... (free text: the job store does not interpret it).
    public var state: String
    /// "business hours: max 2,000 nodes/s", "p99 latency 480 ms above target 200 ms"...
    public var reason: String?

    public init(state: String, reason: String? = nil) {
        self.state = state
        self.reason = reason
    }

    /// Not throttled.
    public static let none = JobThrottle(state: "none")
}
