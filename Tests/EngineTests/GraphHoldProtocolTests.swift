import Engine
import Foundation
import JobStore
import Testing

/// ``BatchProtocol`` and the items' ``GraphHold``: a job of another job store holding them, a hold that expired while
/// the job waited (taken by another job, or by nobody), and the hold given up when the job ends or stops.
@Suite struct GraphHoldProtocolTests {
    typealias Driver = BatchProtocolDriver

    static let other = GraphHold.Holder(
        name: "job 7 (007 up) of job store \"elsewhere\", worker other/sluice.service",
        until: Date(timeIntervalSince1970: 1_800_000_000)
    )

    @Test func itemsHeldByAnotherJobEndTheRunBeforeItPlansAndTheJobRunsOnceTheyAreFree() {
        var model = BatchProtocolModel(items: 12)
        model.hold = .other(Self.other)
        var driver = Driver(recorded: 0, token: model.claim(), batchSize: 10)
        #expect(driver.run(&model) == .released(.graphBusy(Self.other)))
        #expect(driver.actions.map(\.name) == ["openNode", "release"])
        #expect(!model.planComplete)
        #expect(model.counters.values.allSatisfy { $0 == 0 })
        #expect(model.hold == .other(Self.other))

        model.hold = .free  // the other job ended
        let (_, result) = Driver.resume(&model, batchSize: 10)
        #expect(result == .finished)
        BatchProtocolTests.expectExactlyOnce(model)
        #expect(model.hold == .free, "the finished job gave the hold up")
    }

    @Test func aHoldThatExpiredAndWasTakenByAnotherJobStopsTheRunAtTheBatchItWouldHaveRun() {
        var model = BatchProtocolModel(items: 25)
        var driver = Driver(recorded: 0, token: model.claim(), batchSize: 10)
        // Before action 7 (the second batch) the job's hold expired and a job of another store took it.
        let result = driver.run(&model) { index, model in
            if index == 7 { model.hold = .other(Self.other) }
        }
        #expect(result == .released(.graphBusy(Self.other)))
        #expect(driver.actions[7...].map(\.name) == ["apply 10..<20", "readNode", "openNode", "release"])
        #expect(model.recorded == 10 && model.node?.done == 10)
        #expect(model.counters.values.filter { $0 == 1 }.count == 10)

        model.hold = .free
        let (_, resumed) = Driver.resume(&model, batchSize: 10)
        #expect(resumed == .finished)
        BatchProtocolTests.expectExactlyOnce(model)
    }

    @Test func aHoldThatExpiredWithNobodyTakingItIsTakenAgainAndTheBatchRunsOnce() {
        var model = BatchProtocolModel(items: 25)
        var driver = Driver(recorded: 0, token: model.claim(), batchSize: 10)
        let result = driver.run(&model) { index, model in
            if index == 7 { model.hold = .free }
        }
        #expect(result == .finished)
        #expect(
            driver.actions[7...11].map(\.name) == [
                "apply 10..<20", "readNode", "openNode", "apply 10..<20", "checkpoint 10..<20",
            ]
        )
        BatchProtocolTests.expectExactlyOnce(model)
        #expect(model.hold == .free)
    }

    @Test func aHoldLostDuringACrashAmbiguityStillRecordsTheBatchThatCommitted() {
        // The batch committed, its answer was lost, and the hold expired before the node was read: the node's offset
        // says it committed, so it is recorded, not run again, and the next batch finds the hold gone.
        var model = BatchProtocolModel(items: 20)
        var driver = Driver(recorded: 0, token: model.claim(), batchSize: 10, fault: .lostAnswer(4))
        let result = driver.run(&model) { index, model in
            if index == 5 { model.hold = .other(Self.other) }
        }
        #expect(result == .released(.graphBusy(Self.other)))
        #expect(
            driver.actions[4...].map(\.name) == [
                "apply 0..<10", "readNode", "checkpoint 0..<10", "readPlan 10+10", "apply 10..<20", "readNode",
                "openNode", "release",
            ]
        )
        #expect(model.recorded == 10)
        model.hold = .free
        #expect(Driver.resume(&model, batchSize: 10).1 == .finished)
        BatchProtocolTests.expectExactlyOnce(model)
    }

    @Test func aPausedJobGivesTheHoldUp() {
        var model = BatchProtocolModel(items: 25)
        model.control = BatchProtocolTests.control(state: .paused)
        var driver = Driver(recorded: 0, token: model.claim(), batchSize: 10)
        #expect(driver.run(&model) == .released(.stopped(model.control)))
        #expect(model.hold == .free)
        #expect(model.recorded == 10)
    }
}
