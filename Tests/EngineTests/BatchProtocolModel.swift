import Bolt
import Engine
import JobStore

/// A graph and a job store as plain values, for driving ``BatchProtocol`` through crashes, lost
/// answers and takeovers without IO. The graph applies a batch the way the real batch statement does:
/// compare-and-set on the job node and the check of the items' hold, then `counter + 1` on every item, all or nothing.
struct BatchProtocolModel {
    /// Who holds the job's items (``GraphHold``): nobody (free or expired), this job (any of its workers), or
    /// a job of another job store.
    enum Hold: Equatable {
        case free
        case job
        case other(GraphHold.Holder)
    }

    /// The graph-side job node; nil before it is opened (or after it was lost).
    var node: GraphJobNode.State?
    var hold = Hold.free
    /// How often each item was changed: exactly once is the goal.
    var counters: [Int64: Int] = [:]
    /// Items whose change fails (an unparseable date).
    var bad: Set<Int64> = []
    /// Items the server finds too heavy in any slice larger than one.
    var heavyWithOthers: Set<Int64> = []
    /// Items whose batches keep meeting a deadlock or a busy server, alone or not.
    var contended: Set<Int64> = []
    /// The plan: item ids in order, complete once planned.
    var plan: [Int64] = []
    var planComplete = false
    /// Items created after planning, picked up by the catch-up re-plan.
    var lateArrivals: [Int64] = []
    /// The job store's checkpoint, lease token and records.
    var recorded: Int64 = 0
    var leaseToken: Int64 = 0
    var itemsChanged: Int64 = 0
    var quarantine: [QuarantinedItem] = []
    var succeeded = false
    var control: JobControl?

    init(items: Int, bad: Set<Int64> = [], lateArrivals: Int = 0) {
        let ids = (0..<Int64(items)).map { $0 * 3 + 1 }
        for id in ids { counters[id] = 0 }
        self.bad = bad
        self.plan = ids
        self.lateArrivals = (0..<Int64(lateArrivals)).map { Int64(items) * 3 + $0 * 3 + 1 }
        for id in self.lateArrivals { counters[id] = 0 }
    }

    /// What the server answers for a batch holding the bad item `id`.
    static func badError(_ id: Int64) -> BoltServerError {
        BoltServerError(code: "Neo.ClientError.Statement.ArgumentError", message: "bad \(id)")
    }

    /// A claim: the job store raises the token.
    mutating func claim() -> Int64 {
        leaseToken += 1
        return leaseToken
    }

    /// Ends the job: the node is marked finished (kept) and the hold given up by its current holder, then the job
    /// store.
    mutating func finish(token: Int64) -> Bool {
        if node?.token == token {
            node?.finished = true
            releaseHold(token: token)
        }
        guard leaseToken == token else { return false }
        succeeded = true
        return true
    }

    mutating func openNode(token: Int64) -> GraphJobNode.State? {
        guard var node else {
            node = GraphJobNode.State(done: 0, token: token)
            return node
        }
        guard node.token <= token else { return nil }
        node.token = token
        self.node = node
        return node
    }

    /// ``GraphHold/acquire``: free, or already this job's.
    mutating func acquire() -> GraphHold.Answer {
        if case .other(let holder) = hold { return .busy(holder) }
        hold = .job
        return .held
    }

    /// ``GraphHold/release``: only while `token` is the node's.
    mutating func releaseHold(token: Int64) {
        if node?.token == token, hold == .job { hold = .free }
    }

    /// The node as ``GraphJobNode/read`` answers: with whether this job holds its items.
    var nodeRead: GraphJobNode.State? {
        node.map { node in
            var node = node
            node.holdsGraph = hold == .job
            return node
        }
    }

    /// The batch statement over `slice`, as one atomic unit.
    mutating func apply(_ slice: BatchProtocol.Slice, token: Int64) -> BatchProtocol.Outcome {
        guard var node, node.token == token, node.done == slice.from, hold == .job else { return .zeroRows }
        if let failing = slice.ids.first(where: bad.contains) { return .itemFailed(Self.badError(failing)) }
        if slice.ids.count > 1, slice.ids.contains(where: heavyWithOthers.contains) {
            return .tooLarge("memory limit")
        }
        if slice.ids.contains(where: contended.contains) {
            return .contended(
                BoltServerError(code: "Neo.TransientError.Transaction.DeadlockDetected", message: "waited in the queue")
            )
        }
        node.done = slice.to
        // The statement adds what it changed to the node's count, only when it changed something.
        if !slice.ids.isEmpty { node.changed = (node.changed ?? 0) + Int64(slice.ids.count) }
        self.node = node
        for id in slice.ids { counters[id, default: 0] += 1 }
        return slice.ids.isEmpty ? .zeroRows : .committed(changed: Int64(slice.ids.count))
    }

    /// The skip statement: the node moves and keeps the item, no item changes.
    mutating func skip(_ slice: BatchProtocol.Slice, item: QuarantinedItem, token: Int64) -> BatchProtocol.Outcome {
        guard var node, node.token == token, node.done == slice.from else { return .zeroRows }
        node.done = slice.to
        node.lastQuarantined = item
        self.node = node
        return .committed(changed: 1)
    }

    enum StoreFailure: Error { case leaseLost, conflict }

    mutating func checkpoint(
        token: Int64,
        from: Int64,
        to: Int64,
        changed: Int64,
        quarantined: [QuarantinedItem]
    ) throws(StoreFailure) -> JobControl? {
        guard token == leaseToken else { throw .leaseLost }
        if recorded == to && to > from { return control }  // a repeat of a checkpoint that committed
        guard recorded == from else { throw .conflict }
        recorded = to
        itemsChanged += changed
        quarantine += quarantined
        return control
    }
}
