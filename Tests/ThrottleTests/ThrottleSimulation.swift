@testable import Throttle

/// Drives a controller through simulated seconds on a manual clock: each second the probe answers four times, then a
/// batch ends and the controller decides. Nothing sleeps.
struct ThrottleSimulation {
    let clock = ManualClock()
    var controller: ThrottleController<ManualClock>
    private(set) var decisions: [ThrottleDecision] = []

    init(_ configuration: ThrottleConfiguration = ThrottleConfiguration()) throws {
        controller = try ThrottleController(configuration: configuration, clock: clock)
    }

    @discardableResult
    mutating func second(
        probe latency: Duration,
        cap: ThrottleCap = .none,
        override: ThrottleOverride = .none,
        lastBatch: CompletedBatch? = nil
    ) -> ThrottleDecision {
        second(probes: Array(repeating: latency, count: 4), cap: cap, override: override, lastBatch: lastBatch)
    }

    /// One second in which the probe answers with `latencies`, spread evenly over it.
    @discardableResult
    mutating func second(
        probes latencies: [Duration],
        cap: ThrottleCap = .none,
        override: ThrottleOverride = .none,
        lastBatch: CompletedBatch? = nil
    ) -> ThrottleDecision {
        for latency in latencies {
            clock.advance(by: .seconds(1) / latencies.count)
            controller.record(latency, from: .probe)
        }
        let decision = controller.decide(cap: cap, override: override, lastBatch: lastBatch)
        decisions.append(decision)
        return decision
    }

    /// `seconds` seconds with the probe latency of each given by `latency`.
    @discardableResult
    mutating func run(seconds: Int, probe latency: (Int) -> Duration) -> [ThrottleDecision] {
        (0..<seconds).map { second(probe: latency($0)) }
    }

    @discardableResult
    mutating func run(seconds: Int, probe latency: Duration) -> [ThrottleDecision] {
        run(seconds: seconds) { _ in latency }
    }

    /// The decisions the daemon would write to the journal: one per change.
    var changes: [ThrottleDecision] {
        decisions.indices.filter { decisions[$0].isChange(from: $0 == 0 ? nil : decisions[$0 - 1]) }
            .map { decisions[$0] }
    }
}
