import Testing
import Throttle

@testable import Engine

@Suite struct LateArrivalScanDueTests {
    @Test func dueWhenTheRemainingBatchesTakeNoLongerThanTheLead() {
        let batch = CompletedBatch(size: 100, duration: .milliseconds(10))
        // 5 batches of 10 ms left: due with a lead of 50 ms, not of 49.
        #expect(LateArrivalScan.isDue(remaining: 500, lastBatch: batch, lead: .milliseconds(50)))
        #expect(!LateArrivalScan.isDue(remaining: 500, lastBatch: batch, lead: .milliseconds(49)))
        // A part of a batch left counts as a batch.
        #expect(!LateArrivalScan.isDue(remaining: 401, lastBatch: batch, lead: .milliseconds(49)))
        #expect(LateArrivalScan.isDue(remaining: 400, lastBatch: batch, lead: .milliseconds(49)))
        // A smaller batch (the throttle's) makes the rest take longer.
        let small = CompletedBatch(size: 10, duration: .milliseconds(10))
        #expect(!LateArrivalScan.isDue(remaining: 400, lastBatch: small, lead: .milliseconds(49)))
        #expect(
            !LateArrivalScan.isDue(remaining: 1, lastBatch: CompletedBatch(size: 0, duration: .zero), lead: .seconds(1))
        )
        #expect(!LateArrivalScan.isDue(remaining: .max, lastBatch: batch, lead: .seconds(3_600)))
    }
}
