import Bolt
import Engine
import JobStore

/// Performs ``BatchProtocol``'s actions against a ``BatchProtocolModel``, as ``JobRunner`` performs
/// them against the real graph and job store, with a fault injected at a chosen action.
struct BatchProtocolDriver {
    enum Fault: Equatable {
        /// The process dies before it performs action number `n` (counted from 0).
        case crashBefore(Int)
        /// Action `n` takes effect, then the process dies before it hears the answer.
        case crashAfter(Int)
        /// Action `n` (a batch or a skip) takes effect, but its answer is lost: an unknown outcome.
        case lostAnswer(Int)
        /// Action `n` (a batch or a skip) never reaches the server, and the connection is lost at COMMIT.
        case lostBeforeCommit(Int)
    }

    enum Result: Equatable {
        case finished
        case released(JobRunner.Ending)
        case fenced
        case failed(EngineError)
        case crashed
        case leaseLost
    }

    let token: Int64
    var machine: BatchProtocol
    var fault: Fault?
    /// Every action performed, for assertions on order.
    var actions: [BatchProtocol.Action] = []
    /// Set before action number `n`: stop asking after that many (a stalled worker).
    var pauseAfter: Int?
    private var next: BatchProtocol.Action?

    init(recorded: Int64, itemsChanged: Int64 = 0, token: Int64, batchSize: Int, fault: Fault? = nil) {
        self.token = token
        self.machine = BatchProtocol(recorded: recorded, itemsChanged: itemsChanged, token: token, batchSize: batchSize)
        self.fault = fault
    }

    /// Runs until the machine ends, a fault stops it, or it pauses; `resume` continues a paused run.
    mutating func run(
        _ model: inout BatchProtocolModel,
        onAction: (Int, inout BatchProtocolModel) -> Void = { _, _ in }
    )
        -> Result?
    {
        var action = next ?? machine.start()
        while true {
            let index = actions.count
            if let pauseAfter, index == pauseAfter {
                next = action
                self.pauseAfter = nil
                return nil
            }
            onAction(index, &model)
            if fault == .crashBefore(index) { return .crashed }
            actions.append(action)
            let answer: BatchProtocol.Action
            switch action {
            case .openNode:
                let node = model.openNode(token: token)
                let hold = node == nil ? GraphHold.Answer.held : model.acquire()
                if fault == .crashAfter(index) { return .crashed }
                answer = machine.nodeOpened(node, graph: hold)
            case .loadPlan:
                answer = machine.planLoaded(total: model.planComplete ? Int64(model.plan.count) : nil)
            case .plan:
                model.planComplete = true
                if fault == .crashAfter(index) { return .crashed }
                answer = machine.planned(total: Int64(model.plan.count))
            case .readPlan(let offset, let count):
                let ids = Array(model.plan.dropFirst(Int(offset)).prefix(count))
                answer = machine.planRead(ids)
            case .apply(let slice), .skip(let slice, _):
                if fault == .lostBeforeCommit(index) {
                    answer = machine.applied(.unknownOutcome)
                    break
                }
                let outcome =
                    if case .skip(_, let item) = action {
                        model.skip(slice, item: item, token: token)
                    } else {
                        model.apply(slice, token: token)
                    }
                if fault == .crashAfter(index) { return .crashed }
                answer = machine.applied(fault == .lostAnswer(index) ? .unknownOutcome : outcome)
            case .readNode:
                answer = machine.nodeRead(model.nodeRead)
            case .recordGap(let from, let to, let changed, let quarantined),
                .checkpoint(let from, let to, let changed, let quarantined, _):
                do {
                    let control = try model.checkpoint(
                        token: token,
                        from: from,
                        to: to,
                        changed: changed,
                        quarantined: quarantined
                    )
                    if fault == .crashAfter(index) { return .crashed }
                    answer = machine.checkpointed(control)
                } catch {
                    return .leaseLost
                }
            case .catchUp:
                model.plan += model.lateArrivals
                model.lateArrivals = []
                answer = machine.caughtUp(total: Int64(model.plan.count))
            case .finish:
                return model.finish(token: token) ? .finished : .leaseLost
            case .release(let ending):
                if case .stopped = ending { model.releaseHold(token: token) }
                return .released(ending)
            case .fenced:
                return .fenced
            case .fail(let error):
                return .failed(error)
            }
            action = answer
        }
    }

    /// A worker that crashed or stopped: a new incarnation claims the job (a new token) and runs it.
    static func resume(
        _ model: inout BatchProtocolModel,
        batchSize: Int,
        fault: Fault? = nil
    ) -> (BatchProtocolDriver, Result?) {
        let token = model.claim()
        var driver = BatchProtocolDriver(
            recorded: model.recorded,
            itemsChanged: model.itemsChanged,
            token: token,
            batchSize: batchSize,
            fault: fault
        )
        let result = driver.run(&model)
        return (driver, result)
    }
}
