import Bolt
import Engine
import JobStore
import Testing

/// ``BatchProtocol`` through every interleaving we can name, against ``BatchProtocolModel``: the change
/// counts how often each item was changed, so "exactly once" is checked item by item.
@Suite struct BatchProtocolTests {
    typealias Driver = BatchProtocolDriver

    static func control(batchSize: Int = 0, state: JobState = .running, cancel: Bool = false) -> JobControl {
        JobControl(
            state: state,
            cancelRequested: cancel,
            priority: 0,
            requestedBatchSize: batchSize,
            planDone: 0,
            leaseRemainingSeconds: 60
        )
    }

    /// Every good item changed exactly once, every bad one never, the whole plan recorded.
    static func expectExactlyOnce(_ model: BatchProtocolModel, sourceLocation: SourceLocation = #_sourceLocation) {
        for (id, count) in model.counters {
            #expect(
                count == (model.bad.contains(id) ? 0 : 1),
                "item \(id) changed \(count) times",
                sourceLocation: sourceLocation
            )
        }
        #expect(model.recorded == Int64(model.plan.count), sourceLocation: sourceLocation)
        #expect(model.succeeded, sourceLocation: sourceLocation)
        let quarantined = model.quarantine.map(\.item)
        #expect(
            Set(quarantined).count == quarantined.count,
            "quarantined twice: \(quarantined)",
            sourceLocation: sourceLocation
        )
        #expect(Set(quarantined).isSubset(of: model.bad), sourceLocation: sourceLocation)
    }

    /// Runs to the end, a new incarnation after every crash or lost lease.
    static func runToEnd(_ model: inout BatchProtocolModel, first: Driver.Result?, batchSize: Int) -> [Driver.Result?] {
        var results = [first]
        var last = first
        while last == .crashed || last == .leaseLost || last == .fenced, results.count < 20 {
            last = Driver.resume(&model, batchSize: batchSize).1
            results.append(last)
        }
        return results
    }

    @Test func aJobRunsPlanBatchesCheckpointsCatchUpAndFinishInThatOrder() {
        var model = BatchProtocolModel(items: 25)
        var driver = Driver(recorded: 0, token: model.claim(), batchSize: 10)
        #expect(driver.run(&model) == .finished)
        #expect(
            driver.actions.map(\.name) == [
                "openNode", "loadPlan", "plan", "readPlan 0+10", "apply 0..<10", "checkpoint 0..<10",
                "readPlan 10+10", "apply 10..<20", "checkpoint 10..<20", "readPlan 20+5", "apply 20..<25",
                "checkpoint 20..<25", "catchUp", "finish",
            ]
        )
        Self.expectExactlyOnce(model)
        #expect(model.itemsChanged == 25)
    }

    @Test func aCrashAfterTheGraphCommitAndBeforeTheCheckpointRecordsTheBatchAndDoesNotRepeatIt() {
        var model = BatchProtocolModel(items: 25)
        var driver = Driver(recorded: 0, token: model.claim(), batchSize: 10, fault: .crashAfter(7))
        #expect(driver.run(&model) == .crashed)
        #expect(driver.actions.last?.name == "apply 10..<20")
        #expect(model.recorded == 10 && model.node?.done == 20)

        let (resumed, result) = Driver.resume(&model, batchSize: 10)
        #expect(result == .finished)
        #expect(
            resumed.actions.prefix(5).map(\.name) == [
                "openNode", "loadPlan", "recordGap 10..<20", "readPlan 20+5", "apply 20..<25",
            ]
        )
        Self.expectExactlyOnce(model)
        // The crashed batch's changes are counted too: the node counted them in the same statement.
        #expect(model.itemsChanged == 25)
    }

    /// A crash before or after each action, in turn, of a job with a bad item, a heavy item and late
    /// arrivals; then a new incarnation runs it to the end.
    @Test(arguments: 0..<60)
    func aCrashAtAnyActionNeitherSkipsNorRepeatsAnItem(at index: Int) {
        for fault in [Driver.Fault.crashBefore(index), .crashAfter(index)] {
            var model = BatchProtocolModel(items: 23, bad: [16], lateArrivals: 4)
            model.heavyWithOthers = [46]
            var driver = Driver(recorded: 0, token: model.claim(), batchSize: 8, fault: fault)
            let results = Self.runToEnd(&model, first: driver.run(&model), batchSize: 8)
            #expect(results.last == .finished, "\(fault): \(results)")
            Self.expectExactlyOnce(model)
            // The job store's count is what the graph changed, whatever the crash cut.
            #expect(model.itemsChanged == Int64(model.counters.values.reduce(0, +)), "\(fault)")
            // A crash between the skip of the bad item and its checkpoint loses no quarantine record.
            #expect(model.quarantine.map(\.item) == [16], "\(fault)")
        }
    }

    @Test func aCrashBetweenASkipAndItsCheckpointRecordsTheQuarantineWithTheGap() {
        var model = BatchProtocolModel(items: 10, bad: [19])
        // Action 12 is the skip of item 19 (offset 6), as in the test above.
        var driver = Driver(recorded: 0, token: model.claim(), batchSize: 10, fault: .crashAfter(12))
        #expect(driver.run(&model) == .crashed)
        #expect(driver.actions.last?.name == "skip 6..<7")
        #expect(model.recorded == 6 && model.node?.done == 7 && model.quarantine.isEmpty)

        let (resumed, result) = Driver.resume(&model, batchSize: 10)
        #expect(result == .finished)
        #expect(resumed.actions.prefix(3).map(\.name) == ["openNode", "loadPlan", "recordGap 6..<7 quarantining 19"])
        #expect(
            model.quarantine == [QuarantinedItem(item: 19, planOffset: 6, error: "\(BatchProtocolModel.badError(19))")]
        )
        Self.expectExactlyOnce(model)
    }

    /// An unknown outcome of COMMIT at each batch, committed or not: resolved by reading the node.
    @Test(arguments: 0..<60)
    func anUnknownOutcomeOfACommitIsResolvedByTheNode(at index: Int) {
        for fault in [Driver.Fault.lostAnswer(index), .lostBeforeCommit(index)] {
            var model = BatchProtocolModel(items: 23, bad: [16], lateArrivals: 4)
            var driver = Driver(recorded: 0, token: model.claim(), batchSize: 8, fault: fault)
            #expect(driver.run(&model) == .finished, "\(fault)")
            Self.expectExactlyOnce(model)
            #expect(model.quarantine.map(\.item) == [16])
            // A batch whose answer was lost is counted from the node, not as zero.
            #expect(model.itemsChanged == Int64(model.counters.values.reduce(0, +)), "\(fault)")
        }
    }

    @Test func aLostCommitAnswerReadsTheNodeAndRecordsTheBatchItCommitted() {
        var model = BatchProtocolModel(items: 20)
        var driver = Driver(recorded: 0, token: model.claim(), batchSize: 10, fault: .lostAnswer(4))
        #expect(driver.run(&model) == .finished)
        #expect(driver.actions[4...6].map(\.name) == ["apply 0..<10", "readNode", "checkpoint 0..<10"])
        Self.expectExactlyOnce(model)
    }

    @Test func aCommitThatNeverHappenedIsRunAgainAfterTheNodeSaysSo() {
        var model = BatchProtocolModel(items: 20)
        var driver = Driver(recorded: 0, token: model.claim(), batchSize: 10, fault: .lostBeforeCommit(4))
        #expect(driver.run(&model) == .finished)
        #expect(driver.actions[4...7].map(\.name) == ["apply 0..<10", "readNode", "apply 0..<10", "checkpoint 0..<10"])
        Self.expectExactlyOnce(model)
    }

    @Test func aBatchThatNeverCommitsStopsAfterBoundedRetries() {
        var machine = BatchProtocol(recorded: 0, token: 1, batchSize: 10, reapplyLimit: 3)
        _ = machine.start()
        _ = machine.nodeOpened(.init(done: 0, token: 1), graph: .held)
        #expect(machine.planLoaded(total: 10) == .readPlan(offset: 0, count: 10))
        var action = machine.planRead(Array(1...10))
        var applies = 0
        while case .apply = action {
            applies += 1
            action = machine.applied(.unknownOutcome)
            #expect(action == .readNode)
            action = machine.nodeRead(.init(done: 0, token: 1))
        }
        #expect(applies == 4)
        guard case .fail = action else {
            Issue.record("expected a failure, got \(action)")
            return
        }
    }

    /// A worker stalled (SIGSTOP) before each of its actions in turn, past its lease: another worker
    /// claims the job and finishes it; the stalled one, resumed, changes nothing.
    @Test(arguments: 0..<40)
    func aStalledWorkerWhoseLeaseWasTakenOverWritesNothing(pausedAt index: Int) {
        var model = BatchProtocolModel(items: 23, bad: [16])
        var stalled = Driver(recorded: 0, token: model.claim(), batchSize: 8)
        stalled.pauseAfter = index
        guard stalled.run(&model) == nil else { return }  // it ended before that action
        let (_, takeover) = Driver.resume(&model, batchSize: 5)
        #expect(takeover == .finished)
        let after = model.counters
        let late = stalled.run(&model)
        #expect(late == .fenced || late == .leaseLost, "the stalled worker ended with \(String(describing: late))")
        #expect(model.counters == after)
        Self.expectExactlyOnce(model)
    }

    @Test func aJobFinishedInTheGraphButNotInTheJobStoreIsRecordedAsFinished() {
        var model = BatchProtocolModel(items: 12)
        var driver = Driver(recorded: 0, token: model.claim(), batchSize: 10)
        #expect(driver.run(&model) == .finished)
        model.succeeded = false  // the crash came between the node's mark and the job store's
        let (resumed, result) = Driver.resume(&model, batchSize: 10)
        #expect(result == .finished)
        #expect(resumed.actions.map(\.name) == ["openNode", "finish"])
        Self.expectExactlyOnce(model)
    }

    @Test func aTakeoverAtOpenFencesTheOlderToken() {
        var model = BatchProtocolModel(items: 5)
        model.node = .init(done: 0, token: 5)
        var driver = Driver(recorded: 0, token: 3, batchSize: 10)
        #expect(driver.run(&model) == .fenced)
        #expect(driver.actions.map(\.name) == ["openNode", "fenced"])
    }

    @Test func aBatchSizeChangedBetweenBatchesContinuesAtTheOffset() {
        var model = BatchProtocolModel(items: 30)
        model.control = Self.control(batchSize: 7)
        var driver = Driver(recorded: 0, token: model.claim(), batchSize: 10)
        #expect(driver.run(&model) == .finished)
        let reads = driver.actions.compactMap { action -> String? in
            if case .readPlan = action { return action.name }
            return nil
        }
        #expect(reads == ["readPlan 0+10", "readPlan 10+7", "readPlan 17+7", "readPlan 24+6"])
        Self.expectExactlyOnce(model)
    }

    @Test func aBadItemIsBisectedQuarantinedAndSkippedUnderTheSameFence() {
        var model = BatchProtocolModel(items: 10, bad: [19])
        var driver = Driver(recorded: 0, token: model.claim(), batchSize: 10)
        #expect(driver.run(&model) == .finished)
        // Item 19 is the plan's seventh (offset 6).
        #expect(
            driver.actions[3...].map(\.name) == [
                "readPlan 0+10", "apply 0..<10", "apply 0..<5", "checkpoint 0..<5", "apply 5..<10", "apply 5..<7",
                "apply 5..<6", "checkpoint 5..<6", "apply 6..<7", "skip 6..<7", "checkpoint 6..<7", "apply 7..<10",
                "checkpoint 7..<10", "catchUp", "finish",
            ]
        )
        #expect(model.quarantine.map(\.item) == [19])
        #expect(model.quarantine.first?.planOffset == 6)
        Self.expectExactlyOnce(model)
    }

    @Test func aStatementFailingForEveryItemStopsInsteadOfQuarantiningTheGraph() {
        let items = 150
        var model = BatchProtocolModel(items: items)
        model.bad = Set(model.plan)
        var driver = Driver(recorded: 0, token: model.claim(), batchSize: items)
        guard case .failed(.tooManyFailingItems(let count, _)) = driver.run(&model) else {
            Issue.record("expected tooManyFailingItems")
            return
        }
        #expect(count == 101)
        #expect(model.quarantine.count == 100)
    }

    @Test func aHeavyBatchIsSplitUntilTheServerTakesIt() {
        var model = BatchProtocolModel(items: 16)
        model.heavyWithOthers = [model.plan[5]]
        var driver = Driver(recorded: 0, token: model.claim(), batchSize: 16)
        #expect(driver.run(&model) == .finished)
        #expect(model.quarantine.isEmpty)
        Self.expectExactlyOnce(model)
    }

    @Test func anItemThatMeetsABusyServerEvenAloneStopsTheJobUnquarantined() {
        var model = BatchProtocolModel(items: 16)
        model.contended = [model.plan[5]]
        var driver = Driver(recorded: 0, token: model.claim(), batchSize: 16)
        guard case .failed(.bolt(.server(let error))) = driver.run(&model) else {
            Issue.record("expected the job stopped by the server's error")
            return
        }
        #expect(error.classification == .transient)
        #expect(model.quarantine.isEmpty, "a busy server is not the item's fault")
        // The items before it are done once; it and those after it wait for the job to resume.
        #expect(model.counters.values.allSatisfy { $0 <= 1 })
        #expect(model.counters.values.filter { $0 == 1 }.count == 5)
    }

    @Test func aPauseOrCancelStopsAfterTheBatchAndReleasesTheLease() {
        for control in [Self.control(state: .paused), Self.control(cancel: true)] {
            var model = BatchProtocolModel(items: 30)
            model.control = control
            var driver = Driver(recorded: 0, token: model.claim(), batchSize: 10)
            #expect(driver.run(&model) == .released(.stopped(control)))
            #expect(model.recorded == 10)
            model.control = nil
            _ = Self.runToEnd(&model, first: .crashed, batchSize: 10)
            Self.expectExactlyOnce(model)
        }
    }

    @Test func aStopRequestedInsideABatchWaitsForItsCheckpoint() {
        var model = BatchProtocolModel(items: 30)
        var driver = Driver(recorded: 0, token: model.claim(), batchSize: 10)
        driver.pauseAfter = 5  // before checkpoint 0..<10
        #expect(driver.run(&model) == nil)
        driver.machine.requestStop()
        #expect(driver.run(&model) == .released(.stopped(nil)))
        #expect(driver.actions.suffix(2).map(\.name) == ["checkpoint 0..<10", "release"])
        #expect(model.recorded == 10)
    }

    @Test func aStopRequestedInTheLastBatchStopsBeforeTheCatchUp() {
        var model = BatchProtocolModel(items: 20, lateArrivals: 3)
        var driver = Driver(recorded: 0, token: model.claim(), batchSize: 10)
        driver.pauseAfter = 8  // before checkpoint 10..<20, the last
        #expect(driver.run(&model) == nil)
        driver.machine.requestStop()
        #expect(driver.run(&model) == .released(.stopped(nil)))
        #expect(driver.actions.suffix(2).map(\.name) == ["checkpoint 10..<20", "release"])
        #expect(!driver.actions.contains(.catchUp))
        #expect(model.recorded == 20)
        _ = Self.runToEnd(&model, first: .crashed, batchSize: 10)
        Self.expectExactlyOnce(model)
        #expect(model.itemsChanged == 23)
    }

    @Test func aGraphBehindTheCheckpointStopsTheJob() {
        var model = BatchProtocolModel(items: 30)
        model.planComplete = true
        model.recorded = 20
        model.node = .init(done: 10, token: 1)
        var driver = Driver(recorded: 20, token: model.claim() + 1, batchSize: 10)
        model.leaseToken = driver.token
        #expect(driver.run(&model) == .failed(.graphLostProgress(graphDone: 10, recorded: 20)))
    }

    @Test func lateArrivalsArePlannedOnceAndChanged() {
        var model = BatchProtocolModel(items: 12, lateArrivals: 5)
        var driver = Driver(recorded: 0, token: model.claim(), batchSize: 10)
        #expect(driver.run(&model) == .finished)
        #expect(driver.actions.filter { $0 == .catchUp }.count == 1)
        Self.expectExactlyOnce(model)
        #expect(model.itemsChanged == 17)
    }
}

extension BatchProtocol.Action {
    /// A short name for comparing sequences of actions.
    var name: String {
        switch self {
        case .openNode: "openNode"
        case .loadPlan: "loadPlan"
        case .plan: "plan"
        case .recordGap(let from, let to, _, let quarantined):
            "recordGap \(from)..<\(to)" + quarantined.map { " quarantining \($0.item)" }.joined()
        case .checkpoint(let from, let to, _, _, _): "checkpoint \(from)..<\(to)"
        case .readPlan(let offset, let count): "readPlan \(offset)+\(count)"
        case .apply(let slice): "apply \(slice.from)..<\(slice.to)"
        case .skip(let slice, _): "skip \(slice.from)..<\(slice.to)"
        case .readNode: "readNode"
        case .catchUp: "catchUp"
        case .finish: "finish"
        case .release: "release"
        case .fenced: "fenced"
        case .fail(let error): "fail \(error)"
        }
    }
}
