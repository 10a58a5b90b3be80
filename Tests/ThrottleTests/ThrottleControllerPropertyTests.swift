import Testing

@testable import Throttle

/// Random configurations, latencies, windows, operator overrides and batches, from fixed seeds: whatever happens, every
/// bound holds.
@Suite struct ThrottleControllerPropertyTests {
    @Test(arguments: 1...12 as ClosedRange<UInt64>)
    func everyBoundHoldsForRandomInput(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let configuration = randomConfiguration(using: &random)
        let windows = try [
            ThrottleWindow(parsing: "daily 00:00-24:00 UTC: pause"),
            ThrottleWindow(parsing: "daily 00:00-24:00 UTC: max \(Int.random(in: 1...30_000, using: &random)) items/s"),
            ThrottleWindow(parsing: "daily 00:00-24:00 UTC: max batch \(Int.random(in: 1...12_000, using: &random))"),
        ]
        let clock = ManualClock()
        var controller = try ThrottleController(configuration: configuration, clock: clock)
        var previous: ThrottleDecision?
        var level = Duration.milliseconds(10)
        var states: Set<ThrottleState> = []

        for _ in 0..<3_000 {
            if Int.random(in: 0..<15, using: &random) == 0 {
                level = randomLevel(configuration, using: &random)
            }
            for _ in 0..<Int.random(in: 0...6, using: &random) {
                clock.advance(by: .milliseconds(Int.random(in: 0...700, using: &random)))
                let jitter = Double.random(in: 0.8...1.1, using: &random)
                controller.record(level * jitter, from: .probe)
            }
            var cap = ThrottleCap.none
            for window in windows where Int.random(in: 0..<10, using: &random) == 0 {
                cap = cap.tightened(by: window)
            }
            let override = ThrottleOverride(
                paused: Int.random(in: 0..<60, using: &random) == 0,
                maxItemsPerSecond: Int.random(in: 0..<6, using: &random) == 0
                    ? Int.random(in: 1...30_000, using: &random) : nil
            )
            let lastBatch =
                Bool.random(using: &random)
                ? CompletedBatch(
                    size: Int.random(in: 1...12_000, using: &random),
                    duration: .milliseconds(Int.random(in: 1...3_000, using: &random))
                ) : nil

            let decision = controller.decide(cap: cap, override: override, lastBatch: lastBatch)
            check(decision, previous: previous, configuration, cap, override, lastBatch)
            states.insert(decision.state)
            previous = decision
        }
        #expect(states == [.running, .throttled, .paused], "the run must reach every state to test its bounds")
    }

    private func check(
        _ decision: ThrottleDecision,
        previous: ThrottleDecision?,
        _ configuration: ThrottleConfiguration,
        _ cap: ThrottleCap,
        _ override: ThrottleOverride,
        _ lastBatch: CompletedBatch?
    ) {
        // Pauses are judged on the sustained p99, which ignores the window's few highest samples.
        let p99 = decision.latency?.sustainedP99
        if override.paused {
            #expect(decision.reason == .pausedByOperator)
        } else if cap.isPaused {
            #expect(decision.reason.kind == .windowPause)
        }
        if let p99, p99 > configuration.criticalP99 {
            #expect(decision.state == .paused)
        }
        if previous?.reason.kind == .criticalLatency, decision.state != .paused {
            #expect(p99.map { $0 < configuration.targetP99 } == true, "resumed from a critical pause at p99 \(p99!)")
        }
        if decision.state == .paused {
            #expect(
                decision.batchSize == configuration.minBatchSize && decision.pause == configuration.adjustmentInterval
            )
            return
        }

        let batchCap = cap.maxBatchSize?.value ?? .max
        #expect(decision.batchSize >= min(configuration.minBatchSize, batchCap))
        #expect(decision.batchSize <= min(configuration.maxBatchSize, batchCap))
        #expect(decision.pause >= configuration.minPause)

        let rates = [override.maxItemsPerSecond, cap.maxItemsPerSecond?.value, configuration.maxItemsPerSecond]
        let rate = rates.compactMap { $0 }.min()
        if let rate {
            let share = max(configuration.minBatchSize, Int(Double(rate) * configuration.rateInterval.seconds))
            #expect(decision.batchSize <= share)
            if let lastBatch {
                let achieved = Double(lastBatch.size) / (lastBatch.duration + decision.pause).seconds
                #expect(achieved <= Double(rate) * (1 + 1e-9), "\(achieved) items/s over a limit of \(rate)")
            }
        }
        if decision.pause > configuration.maxPause {
            // A rate limit's pause; the decision that cuts for latency names the latency even then.
            let cut = if case .latencyAboveTarget = decision.reason { true } else { false }
            #expect(cut || [.operatorMaxRate, .windowMaxRate, .configuredMaxRate].contains(decision.reason.kind))
        }
        if decision.state == .running {
            #expect(p99.map { $0 < configuration.targetP99 } == true)
            #expect(decision.pause == configuration.minPause)
        }
        if decision.reason == .unthrottled {
            #expect(decision.batchSize == configuration.maxBatchSize)
        } else if case .rampingUp(let batchSize, let limit, _, _) = decision.reason {
            #expect(batchSize == decision.batchSize && batchSize < limit)
        }
    }

    /// Calm (under the target) half of the time, busy (between target and critical) a third, critical the rest.
    private func randomLevel(_ configuration: ThrottleConfiguration, using random: inout SeededGenerator) -> Duration {
        let roll = Double.random(in: 0..<1, using: &random)
        if roll < 0.5 {
            return configuration.targetP99 * Double.random(in: 0.05..<0.9, using: &random)
        }
        if roll < 0.83 {
            let ratio = configuration.criticalP99 / configuration.targetP99
            return configuration.targetP99 * Double.random(in: 1..<ratio, using: &random)
        }
        return configuration.criticalP99 * Double.random(in: 1.1..<4, using: &random)
    }

    private func randomConfiguration(using random: inout SeededGenerator) -> ThrottleConfiguration {
        let minBatch = Int.random(in: 1...2_000, using: &random)
        let minPause = Duration.milliseconds(Int.random(in: 0...500, using: &random))
        let target = Duration.milliseconds(Int.random(in: 5...100, using: &random))
        return ThrottleConfiguration(
            targetP99: target,
            criticalP99: target * Int.random(in: 2...10, using: &random),
            minBatchSize: minBatch,
            maxBatchSize: minBatch + Int.random(in: 0...20_000, using: &random),
            minPause: minPause,
            maxPause: minPause + .milliseconds(Int.random(in: 0...5_000, using: &random)),
            maxItemsPerSecond: Bool.random(using: &random) ? Int.random(in: 1...30_000, using: &random) : nil,
            recoveryPeriod: .seconds(Int.random(in: 0...20, using: &random)),
            increaseFraction: Double.random(in: 0.01...1, using: &random),
            decreaseFactor: Double.random(in: 0.1...0.9, using: &random),
            adjustmentInterval: .milliseconds(Int.random(in: 100...3_000, using: &random)),
            windowAge: .seconds(Int.random(in: 1...30, using: &random)),
            windowCount: Int.random(in: 1...500, using: &random)
        )
    }
}
