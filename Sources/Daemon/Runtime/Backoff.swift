/// Waits between attempts to reach a server that is down: doubling from `initial` up to `maximum`, so a short
/// restart is noticed fast and a long outage costs little. A pure value; the caller sleeps.
struct Backoff: Sendable, Equatable {
    var initial: Duration
    var maximum: Duration
    private(set) var next: Duration

    init(initial: Duration, maximum: Duration) {
        self.initial = initial
        self.maximum = max(initial, maximum)
        self.next = initial
    }

    /// The wait before the next attempt; each call doubles the one after, up to the maximum.
    mutating func delay() -> Duration {
        let delay = next
        next = min(maximum, next * 2)
        return delay
    }

    /// After a success the next outage starts with short waits again.
    mutating func reset() {
        next = initial
    }
}
