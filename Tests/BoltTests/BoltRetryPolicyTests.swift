import Testing

@testable import Bolt

/// The backoff every retry loop shares, without sleeping: the schedule's waits grow and stop at the retry time.
@Suite struct BoltRetryPolicyTests {
    @Test func waitsGrowByTheMultiplierAndStopBeforeTheRetryTimeIsOver() {
        let policy = BoltRetryPolicy(
            maximumRetryTime: .seconds(60),
            initialDelay: .seconds(1),
            multiplier: 2,
            jitter: 0
        )
        var schedule = policy.schedule()
        var waits: [Duration] = []
        while let wait = schedule.nextDelay() { waits.append(wait) }
        // 64 s would end past the minute: the caller gives up instead of waiting for it.
        #expect(waits == [1, 2, 4, 8, 16, 32].map { Duration.seconds($0) })
    }

    @Test func jitterKeepsEveryWaitWithinItsShareOfTheBaseDelay() {
        let policy = BoltRetryPolicy(
            maximumRetryTime: .seconds(3600),
            initialDelay: .milliseconds(100),
            multiplier: 1,
            jitter: 0.2
        )
        var schedule = policy.schedule()
        for _ in 0..<200 {
            let wait = schedule.nextDelay()
            #expect(
                wait.map { $0 >= .milliseconds(80) && $0 <= .milliseconds(120) } == true,
                "wait \(String(describing: wait))"
            )
        }
    }

    @Test func aRetryTimeShorterThanTheFirstWaitMeansNoRetry() {
        var schedule = BoltRetryPolicy(maximumRetryTime: .milliseconds(500), initialDelay: .seconds(1), jitter: 0)
            .schedule()
        #expect(schedule.nextDelay() == nil)
    }
}
