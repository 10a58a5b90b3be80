import Testing

@testable import Throttle

@Suite struct LatencyWindowTests {
    private typealias Instant = ManualClock.Instant

    private func at(_ seconds: Double) -> Instant {
        Instant(offset: .seconds(seconds))
    }

    @Test func percentilesAreNearestRankOfTheSamplesHeld() throws {
        var window = LatencyWindow<Instant>(maxAge: .seconds(60), maxCount: 1_000)
        for milliseconds in (1...100).shuffled() {
            window.record(.milliseconds(milliseconds), from: .probe, at: at(0))
        }
        let statistics = try #require(window.statistics(of: .probe))
        #expect(
            statistics
                == LatencyStatistics(
                    count: 100,
                    p50: .milliseconds(50),
                    p95: .milliseconds(95),
                    p99: .milliseconds(99),
                    max: .milliseconds(100)
                )
        )
        #expect("\(statistics)" == "p50 50ms, p95 95ms, p99 99ms, max 100ms (100 samples)")
    }

    @Test func aSingleSampleIsEveryPercentile() throws {
        var window = LatencyWindow<Instant>()
        window.record(.milliseconds(7), from: .probe, at: at(0))
        let statistics = try #require(window.statistics(of: .probe))
        #expect(
            [statistics.p50, statistics.p95, statistics.p99, statistics.max]
                == Array(repeating: .milliseconds(7), count: 4)
        )
    }

    @Test func theSustainedP99IgnoresTheHighestOutliersOfASmallWindow() throws {
        var window = LatencyWindow<Instant>(outliers: 2)
        for milliseconds in [5, 900, 6, 7, 800, 8] {
            window.record(.milliseconds(milliseconds), from: .probe, at: at(0))
        }
        let small = try #require(window.statistics(of: .probe))
        #expect(small.p99 == .milliseconds(900) && small.sustainedP99 == .milliseconds(8))
        window.record(.milliseconds(700), from: .probe, at: at(0))
        #expect(window.statistics(of: .probe)?.sustainedP99 == .milliseconds(700))

        // With 300 samples and more, three samples are at most 1%: the sustained p99 is the p99.
        var large = LatencyWindow<Instant>(maxAge: .seconds(60), outliers: 2)
        for milliseconds in 1...400 {
            large.record(.milliseconds(milliseconds), from: .probe, at: at(0))
        }
        let statistics = try #require(large.statistics(of: .probe))
        #expect(statistics.sustainedP99 == statistics.p99 && statistics.p99 == .milliseconds(396))
    }

    @Test func sourcesAreKeptApart() throws {
        var window = LatencyWindow<Instant>()
        window.record(.milliseconds(5), from: .probe, at: at(0))
        window.record(.milliseconds(800), from: .batchWall, at: at(0))
        window.record(.milliseconds(700), from: .batchServer, at: at(0))
        #expect(window.statistics(of: .probe)?.max == .milliseconds(5))
        #expect(window.statistics(of: .batchWall)?.max == .milliseconds(800))
        #expect(window.statistics(of: .batchServer)?.max == .milliseconds(700))
        window.record(.milliseconds(6), from: .probe, at: at(1))
        #expect(window.count(of: .probe) == 2)
        #expect(window.count(of: .batchWall) == 1)
    }

    @Test func evictsByCountOldestFirst() throws {
        var window = LatencyWindow<Instant>(maxAge: .seconds(60), maxCount: 3)
        for milliseconds in [100, 1, 2, 3] {
            window.record(.milliseconds(milliseconds), from: .probe, at: at(0))
        }
        #expect(window.count(of: .probe) == 3)
        #expect(window.statistics(of: .probe)?.max == .milliseconds(3))
    }

    @Test func evictsByAgeWhenRecordingAndWhenExpiring() throws {
        var window = LatencyWindow<Instant>(maxAge: .seconds(10), maxCount: 1_000)
        window.record(.milliseconds(300), from: .probe, at: at(0))
        window.record(.milliseconds(5), from: .probe, at: at(5))
        #expect(window.statistics(of: .probe)?.max == .milliseconds(300))
        window.record(.milliseconds(6), from: .probe, at: at(10.5))
        #expect(window.statistics(of: .probe)?.max == .milliseconds(6))
        window.expire(asOf: at(15.5))
        #expect(window.count(of: .probe) == 1)
        window.expire(asOf: at(30))
        #expect(window.statistics(of: .probe) == nil)
    }

    @Test func equalLatenciesAreCountedOneByOne() throws {
        var window = LatencyWindow<Instant>(maxAge: .seconds(60), maxCount: 4)
        for _ in 0..<4 {
            window.record(.milliseconds(10), from: .probe, at: at(0))
        }
        window.record(.milliseconds(20), from: .probe, at: at(1))
        #expect(window.count(of: .probe) == 4)
        #expect(window.statistics(of: .probe)?.p50 == .milliseconds(10))
        #expect(window.statistics(of: .probe)?.max == .milliseconds(20))
    }

    /// Property: after any sequence of recordings and expiries, the statistics equal those computed naively from the
    /// samples that should remain.
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func matchesANaiveWindowOnRandomInput(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let maxCount = Int.random(in: 1...200, using: &random)
        var window = LatencyWindow<Instant>(maxAge: .seconds(5), maxCount: maxCount)
        var naive: [(instant: Instant, latency: Duration)] = []
        var clock = at(0)
        for _ in 0..<5_000 {
            clock = clock.advanced(by: .milliseconds(Int.random(in: 0...200, using: &random)))
            if Int.random(in: 0..<20, using: &random) == 0 {
                window.expire(asOf: clock)
            } else {
                let latency = Duration.microseconds(Int.random(in: 1...5_000, using: &random) / 7 * 7)
                window.record(latency, from: .probe, at: clock)
                naive.append((clock, latency))
                if naive.count > maxCount { naive.removeFirst(naive.count - maxCount) }
            }
            naive.removeAll { $0.instant < clock.advanced(by: .seconds(-5)) }
            let sorted = naive.map(\.latency).sorted()
            let statistics = window.statistics(of: .probe)
            #expect(statistics?.count ?? 0 == sorted.count)
            if let statistics {
                let rank = { (percent: Int) in sorted[max(1, (percent * sorted.count + 99) / 100) - 1] }
                #expect(statistics.p50 == rank(50))
                #expect(statistics.p95 == rank(95))
                #expect(statistics.p99 == rank(99))
                #expect(statistics.max == sorted.last)
            }
        }
    }
}
