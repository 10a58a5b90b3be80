import Foundation
import Synchronization
import Testing

@testable import Throttle

/// The pacer a job runner asks between batches: time windows read on an injected wall clock, reloaded while it runs,
/// and the operator's limit, with latencies fed from other tasks.
@Suite struct BatchPacerTests {
    /// The time windows as a daemon holds them: replaced as a whole by a reload.
    final class Windows: Sendable {
        private let schedule: Mutex<ThrottleSchedule>
        init(_ rules: String) throws { schedule = Mutex(try ThrottleSchedule(parsingLines: rules)) }
        var current: ThrottleSchedule { schedule.withLock { $0 } }
        func reload(_ rules: String) throws {
            let new = try ThrottleSchedule(parsingLines: rules)
            schedule.withLock { $0 = new }
        }
    }

    /// A pacer whose wall clock is `start` plus the manual clock's time, so one `advance` moves both.
    private func pacer(
        _ windows: Windows,
        start: Date = Date("2026-03-23T07:00:00Z")
    ) throws -> (BatchPacer<ManualClock>, ManualClock) {
        let clock = ManualClock()
        let pacer = try BatchPacer(
            configuration: ThrottleConfiguration(),
            clock: clock,
            wallClock: { start.addingTimeInterval(clock.now.offset / .seconds(1)) },
            schedule: { windows.current }
        )
        return (pacer, clock)
    }

    /// The runner's loop on an injected clock: a batch, then the pause the pacer asks for (or, while paused, the
    /// interval until it asks again), with the probe answering in 5 ms throughout.
    private func run(
        _ pacer: BatchPacer<ManualClock>,
        _ clock: ManualClock,
        until end: Duration,
        batchTime: Duration = .milliseconds(100),
        override: ThrottleOverride = .none
    ) -> [(at: Duration, decision: ThrottleDecision)] {
        var decisions: [(Duration, ThrottleDecision)] = []
        var batch: CompletedBatch?
        while clock.now.offset < end {
            pacer.record(.milliseconds(5), from: .probe)
            let decision = pacer.decide(after: batch, override: override)
            decisions.append((clock.now.offset, decision))
            clock.advance(by: decision.pause)
            if decision.state == .paused {
                batch = nil
            } else {
                clock.advance(by: batchTime)
                batch = CompletedBatch(size: decision.batchSize, duration: batchTime)
            }
        }
        return decisions
    }

    @Test func theJobPausesAtTheWindowsStartAndResumesAtItsEnd() throws {
        let (pacer, clock) = try pacer(Windows("lunch = Mon-Fri 12:00-13:00 Europe/Berlin: pause"))  // 11:00-12:00 UTC
        let decisions = run(pacer, clock, until: .seconds(6 * 3_600), batchTime: .seconds(1))
        let paused = decisions.filter { $0.decision.state == .paused }
        let first = try #require(paused.first).at
        let last = try #require(paused.last).at
        // Paused from the window's start (07:00 + 4h) to its end, asking again each second meanwhile.
        #expect(first >= .seconds(4 * 3_600) && first <= .seconds(4 * 3_600) + .seconds(1))
        #expect(last < .seconds(5 * 3_600) && last >= .seconds(5 * 3_600) - .seconds(1))
        #expect(paused.allSatisfy { "\($0.decision.reason)" == "paused: lunch" })
        #expect(paused.count == decisions.filter { (first...last).contains($0.at) }.count)
        // Batches run again from the window's end, ramping up from small ones (a start, not a throttle).
        let resumed = try #require(decisions.first { $0.at >= .seconds(5 * 3_600) })
        #expect(resumed.at < .seconds(5 * 3_600) + .seconds(1))
        #expect(resumed.decision.reason.kind == .rampingUp && resumed.decision.batchSize == 2_000)
        #expect(decisions.last?.decision.state == .running)
    }

    @Test func reloadedWindowsReachTheNextDecision() throws {
        let windows = try Windows("")
        let (pacer, clock) = try pacer(windows)
        #expect(run(pacer, clock, until: .seconds(60)).last?.decision.reason == .unthrottled)

        try windows.reload("night = daily 00:00-24:00 UTC: max 500 items/s")
        let capped = pacer.decide(after: CompletedBatch(size: 1_000, duration: .milliseconds(100)))
        #expect("\(capped.reason)" == "night: max 500 items/s" && capped.pause == .milliseconds(1_900))

        try windows.reload("daily 00:00-24:00 UTC: pause")
        #expect(pacer.decide(after: nil).state == .paused)
        try windows.reload("")
        #expect(pacer.decide(after: nil).reason.kind == .rampingUp)
    }

    @Test func reloadedLatencySettingsReachTheNextDecisionKeepingTheWindow() throws {
        let clock = ManualClock()
        let settings = Mutex(ThrottleConfiguration(targetP99: .milliseconds(50), criticalP99: .milliseconds(250)))
        let pacer = try BatchPacer(
            configuration: settings.withLock { $0 },
            clock: clock,
            reload: { settings.withLock { $0 } }
        )
        for _ in 0..<20 {
            pacer.record(.milliseconds(80), from: .probe)
            clock.advance(by: .milliseconds(100))
        }
        #expect("\(pacer.decide(after: nil).reason)" == "latency p99 80ms > target 50ms")

        // A reload that fails validation changes nothing, as the daemon keeps its configuration then.
        settings.withLock { $0.criticalP99 = .milliseconds(10) }
        clock.advance(by: .seconds(1))
        #expect("\(pacer.decide(after: nil).reason)" == "latency p99 80ms > target 50ms")
        #expect(pacer.configuration.criticalP99 == .milliseconds(250))

        // A valid one decides the next batch, on the same 20 samples: now below the target.
        settings.withLock {
            $0 = ThrottleConfiguration(
                targetP99: .milliseconds(200),
                criticalP99: .milliseconds(400),
                minBatchSize: 500,
                maxBatchSize: 800
            )
        }
        let reloaded = pacer.decide(after: nil)
        #expect("\(reloaded.reason)" == "recovering: latency p99 80ms < target 200ms")
        #expect(reloaded.latency?.count == 20)
        #expect(reloaded.batchSize == 800)
        #expect(pacer.configuration.targetP99 == .milliseconds(200))

        // A critical level lowered below the window's latency pauses the job at the next decision.
        settings.withLock {
            $0.targetP99 = .milliseconds(20)
            $0.criticalP99 = .milliseconds(60)
        }
        #expect("\(pacer.decide(after: nil).reason)" == "paused: latency p99 80ms > critical 60ms")
    }

    @Test func anOperatorsRateIsKeptOverEveryBatchAndPause() throws {
        let (pacer, clock) = try pacer(Windows(""))
        let override = ThrottleOverride(maxItemsPerSecond: 2_500)
        let decisions = run(pacer, clock, until: .seconds(120), override: override)
        let items = decisions.filter { $0.decision.state != .paused }.map(\.decision.batchSize).reduce(0, +)
        #expect(Double(items) / 120 <= 2_500 * 1.05)
        #expect(Double(items) / 120 >= 2_500 * 0.8, "the limit is a ceiling, not a brake: \(items) items in 120 s")
        #expect(decisions.suffix(10).allSatisfy { "\($0.decision.reason)" == "operator: max 2,500 items/s" })
        #expect(pacer.latest == decisions.last?.decision)
    }

    @Test func latenciesMayArriveFromOtherTasksWhileTheRunnerDecides() async throws {
        let (pacer, _) = try pacer(Windows(""))
        await withTaskGroup(of: Void.self) { group in
            for source in LatencySource.allCases {
                group.addTask {
                    for index in 0..<500 { pacer.record(.microseconds(index), from: source) }
                }
            }
            group.addTask {
                for _ in 0..<500 { _ = pacer.decide(after: nil) }
            }
        }
        for source in LatencySource.allCases {
            #expect(pacer.statistics(of: source)?.count == 500)
        }
    }

    @Test func aJobsBatchSizeIsTheLargestAndCapsTheSmallest() {
        let configuration = ThrottleConfiguration(minBatchSize: 1_000, maxBatchSize: 10_000)
        #expect(configuration.fitted(toBatchSize: 5_000).minBatchSize == 1_000)
        #expect(configuration.fitted(toBatchSize: 5_000).maxBatchSize == 5_000)
        #expect(configuration.fitted(toBatchSize: 300).minBatchSize == 300)
        #expect(configuration.fitted(toBatchSize: 0).maxBatchSize == 1)
    }
}
