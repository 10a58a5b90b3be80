import Bolt
import JobStore

/// The exactly-once batch protocol as a pure state machine: it decides, ``JobRunner`` does the IO.
///
/// Every answer the runner gets from the graph or the job store goes in as an event, and the machine
/// returns the one ``Action`` to perform next (postgres-nio's `ConnectionStateMachine` is the model).
/// Nothing here touches a socket or a clock, so every interleaving (a crash between the graph's commit
/// and the checkpoint, a lost COMMIT answer, a takeover, a batch size changed between batches, a bad
/// item) is a unit test.
///
/// The invariants it keeps: the plan offset only moves forward, and only after the graph-side job node
/// moved (the graph commits first, Postgres records second); an ambiguous ending (zero rows, unknown
/// outcome) is resolved by reading the node, never by running the batch blindly again; a node held by
/// a newer token ends the run without another write; no batch runs unless the job holds its items' ``GraphHold``,
/// and a hold another job has ends the run (the job resumes later).
public struct BatchProtocol: Sendable {
    /// A slice of the plan: its ids and the plan offset of the first.
    public struct Slice: Sendable, Hashable {
        public var ids: ArraySlice<Int64>
        public var from: Int64
        public var to: Int64 { from + Int64(ids.count) }

        public init(ids: ArraySlice<Int64>, from: Int64) {
            self.ids = ids
            self.from = from
        }
    }

    /// What the runner does next.
    public enum Action: Sendable, Equatable {
        /// Create the graph-side job node, or raise its token to the lease's, then take the items' ``GraphHold``:
        /// answer ``nodeOpened(_:graph:)``.
        case openNode
        /// Read the job's stored plan: answer ``planLoaded(total:)`` (nil when missing or incomplete).
        case loadPlan
        /// Plan the job (read-only, streamed into the job store): answer ``planned(total:)``.
        case plan
        /// Record `[from, to)`, which the graph committed before a crash but the job store missed, as
        /// done, with what the node counted changed and the item its last skip set aside when that lies in the gap
        /// (a crash between a skip and its checkpoint would otherwise lose the quarantine record): answer
        /// ``checkpointed(_:)``.
        case recordGap(from: Int64, to: Int64, changed: Int64, quarantined: [QuarantinedItem])
        /// Record `[from, to)` in the job store: answer ``checkpointed(_:)``.
        case checkpoint(from: Int64, to: Int64, changed: Int64, quarantined: [QuarantinedItem], batchSize: Int?)
        /// Read `count` plan entries from `offset`: answer ``planRead(_:)``.
        case readPlan(offset: Int64, count: Int)
        /// Run the batch statement over the slice in the server's atomic unit: answer ``applied(_:)``.
        case apply(Slice)
        /// Move the job node over one quarantined item without changing it, keeping the item and its error on the
        /// node in the same unit (for ``recordGap(from:to:changed:quarantined:)`` after a crash): answer
        /// ``applied(_:)``.
        case skip(Slice, QuarantinedItem)
        /// Read the job node after an ambiguous ending: answer ``nodeRead(_:)``.
        case readNode
        /// Plan the items created since the plan's highest id once: answer ``caughtUp(total:)``.
        case catchUp
        /// Every item is done: end the job as succeeded, with the items changed, and stop.
        case finish(itemsChanged: Int64)
        /// Give the lease up (the job resumes later) and stop with `ending`.
        case release(JobRunner.Ending)
        /// Stop without another write: another worker holds the job.
        case fenced
        /// Stop: the job cannot go on.
        case fail(EngineError)
    }

    /// How one run of the batch statement (or a skip) ended, as the runner classified it.
    public enum Outcome: Sendable, Equatable {
        /// Committed and returned the number of items changed (at least one).
        case committed(changed: Int64)
        /// Zero rows back: fenced, done before, or nothing in the slice matched any more.
        case zeroRows
        /// The connection was lost around COMMIT: it may or may not have committed.
        case unknownOutcome
        /// The server refused something in the slice's items (bisect to find it).
        case itemFailed(BoltServerError)
        /// The server's memory limit: split and retry; one item alone over it is quarantined.
        case tooLarge(String)
        /// A deadlock, lock timeout or a server too busy to start the statement, outliving its retries:
        /// split and retry, as smaller batches take fewer locks. One item alone is never quarantined for it
        /// (the server's load is the cause, not the item): the job stops, resumable.
        case contended(BoltServerError)
    }

    private enum State: Sendable {
        case opening
        case loadingPlan
        case planning
        case reconciling
        /// Checkpointing the gap up to `to` the graph committed before a crash, then batches.
        case recordingGap(to: Int64, changed: Int64)
        case readingPlan(count: Int)
        /// `current` is in flight; `pending` are the rest of its batch, in order (bisection); `skipping` is the item a
        /// skip moves the node over, nil for a batch.
        case applying(current: Slice, pending: [Slice], skipping: QuarantinedItem?)
        case resolving(current: Slice, pending: [Slice], skipping: QuarantinedItem?)
        /// The node showed `current` not committed and the hold no longer the job's: taking it again.
        case reopening(current: Slice, pending: [Slice], skipping: QuarantinedItem?)
        /// A checkpoint up to `to` in flight; `pending` are the rest of a bisected batch.
        case checkpointing(to: Int64, changed: Int64, pending: [Slice])
        case catchingUp
        case ended
    }

    public let token: Int64
    public let quarantineLimit: Int
    /// Re-runs of one slice the node showed as not committed, before the run gives up.
    public let reapplyLimit: Int
    /// The plan's length once known.
    public private(set) var total: Int64 = 0
    /// The offset the job store has recorded.
    public private(set) var done: Int64
    public private(set) var itemsChanged: Int64
    public private(set) var batchSize: Int

    private var state: State = .opening
    private var node: GraphJobNode.State?
    private var caughtUp = false
    private var stopRequested = false
    private var reapplies = 0
    /// Items of the batch in flight quarantined so far, for the limit.
    private var quarantinedInBatch = 0

    /// - Parameters:
    ///   - recorded: the plan offset the job store has recorded for the job.
    ///   - itemsChanged: the job's count of changed items so far.
    ///   - token: the lease's fencing token.
    ///   - batchSize: items per batch to start with.
    public init(
        recorded: Int64,
        itemsChanged: Int64 = 0,
        token: Int64,
        batchSize: Int,
        quarantineLimit: Int = 100,
        reapplyLimit: Int = 3
    ) {
        self.token = token
        self.done = recorded
        self.itemsChanged = itemsChanged
        self.batchSize = max(1, batchSize)
        self.quarantineLimit = quarantineLimit
        self.reapplyLimit = reapplyLimit
    }

    /// The first action.
    public mutating func start() -> Action {
        state = .opening
        return .openNode
    }

    /// The runner's task was cancelled (Ctrl-C, shutdown): stop at the next batch boundary, never
    /// inside a batch, whose end the node must record first.
    public mutating func requestStop() {
        stopRequested = true
    }

    /// The node was opened (nil: a newer token holds it) and the hold asked for (`graph`; not asked when `node` is
    /// nil).
    public mutating func nodeOpened(_ node: GraphJobNode.State?, graph: GraphHold.Answer) -> Action {
        switch state {
        case .opening:
            guard let node else { return end(.fenced) }
            if case .busy(let holder) = graph { return end(.release(.graphBusy(holder))) }
            // The job ended in the graph and the job store missed it (a crash in between): record it.
            if node.finished { return end(.finish(itemsChanged: itemsChanged)) }
            self.node = node
            state = .loadingPlan
            return .loadPlan
        case .reopening(let current, let pending, let skipping):
            guard let node, node.token == token else { return end(.fenced) }
            if case .busy(let holder) = graph { return end(.release(.graphBusy(holder))) }
            return resolve(current, node: node, pending: pending, skipping: skipping)
        default:
            return unexpected("node opened")
        }
    }

    public mutating func planLoaded(total: Int64?) -> Action {
        guard case .loadingPlan = state else { return unexpected("plan loaded") }
        guard let total else {
            state = .planning
            return .plan
        }
        return reconcile(total: total)
    }

    public mutating func planned(total: Int64) -> Action {
        guard case .planning = state else { return unexpected("planned") }
        return reconcile(total: total)
    }

    private mutating func reconcile(total: Int64) -> Action {
        self.total = total
        state = .reconciling
        switch ProgressReconciliation.decide(recorded: done, graph: node, token: token) {
        case .fenced:
            return end(.fenced)
        case .graphBehind(let graphDone, let recorded):
            return end(.fail(.graphLostProgress(graphDone: graphDone, recorded: recorded)))
        case .nodeMissing:
            return end(.fail(.graphLostProgress(graphDone: 0, recorded: done)))
        case .resume(let at, let recordedUpTo) where at > recordedUpTo:
            // Batches that committed in the graph before a crash: recorded now, before anything else.
            let changed = unrecordedChanges(node)
            // A skip's checkpoint is written before the graph does anything else, so the gap holds at most one, the
            // node's last.
            let skipped = node?.lastQuarantined.flatMap { item in
                (recordedUpTo..<at).contains(item.planOffset ?? -1) ? item : nil
            }
            state = .recordingGap(to: at, changed: changed)
            return .recordGap(from: recordedUpTo, to: at, changed: changed, quarantined: skipped.map { [$0] } ?? [])
        case .resume:
            return nextBatch()
        }
    }

    public mutating func planRead(_ ids: [Int64]) -> Action {
        guard case .readingPlan(let count) = state else { return unexpected("plan read") }
        guard !ids.isEmpty, ids.count <= count else {
            return end(.fail(.migration("the plan has \(ids.count) entries at offset \(done), expected 1 to \(count)")))
        }
        quarantinedInBatch = 0
        let slice = Slice(ids: ids[...], from: done)
        state = .applying(current: slice, pending: [], skipping: nil)
        return .apply(slice)
    }

    public mutating func applied(_ outcome: Outcome) -> Action {
        guard case .applying(let current, let pending, let skipping) = state else { return unexpected("applied") }
        let isSkip = skipping != nil
        switch outcome {
        case .committed(let changed):
            return committed(current, changed: changed, pending: pending, skipping: skipping)
        case .zeroRows, .unknownOutcome:
            state = .resolving(current: current, pending: pending, skipping: skipping)
            return .readNode
        case .itemFailed(let error) where current.ids.count == 1 && !isSkip:
            return quarantine(current, error: "\(error)", pending: pending, server: error)
        case .tooLarge(let reason) where current.ids.count == 1 && !isSkip:
            // One item too heavy for the server on its own: it cannot be split further.
            return quarantine(current, error: reason, pending: pending, server: nil)
        case .itemFailed(let error) where isSkip:
            return end(.fail(.bolt(.server(error))))
        case .contended(let error) where current.ids.count == 1 || isSkip:
            return end(.fail(.bolt(.server(error))))
        case .tooLarge(let reason) where isSkip:
            return end(.fail(.migration("moving the job node over a quarantined item failed: \(reason)")))
        case .itemFailed, .tooLarge, .contended:
            // Halves in order: the offset only ever moves forward.
            let middle = current.ids.startIndex + current.ids.count / 2
            let first = Slice(ids: current.ids[..<middle], from: current.from)
            let second = Slice(ids: current.ids[middle...], from: first.to)
            state = .applying(current: first, pending: [second] + pending, skipping: nil)
            return .apply(first)
        }
    }

    public mutating func nodeRead(_ node: GraphJobNode.State?) -> Action {
        guard case .resolving(let current, let pending, let skipping) = state else { return unexpected("node read") }
        guard let node, node.token == token else { return end(.fenced) }
        if node.done == current.from, !node.holdsGraph {
            // Not committed because the hold expired while the job waited (planning, a throttle's pause): take it
            // again, or end if another job has it now.
            state = .reopening(current: current, pending: pending, skipping: skipping)
            return .openNode
        }
        return resolve(current, node: node, pending: pending, skipping: skipping)
    }

    /// What the node says of `current` after an ambiguous ending: committed, not committed (run it again), or behind.
    private mutating func resolve(
        _ current: Slice,
        node: GraphJobNode.State,
        pending: [Slice],
        skipping: QuarantinedItem?
    ) -> Action {
        if node.done == current.to {
            // It committed (the answer was lost, or no item matched any more).
            return committed(current, changed: unrecordedChanges(node), pending: pending, skipping: skipping)
        }
        guard node.done == current.from else {
            return end(.fail(.graphLostProgress(graphDone: node.done, recorded: current.from)))
        }
        // Not committed: the same slice again, a bounded number of times.
        reapplies += 1
        guard reapplies <= reapplyLimit else {
            return end(
                .fail(.migration("the batch at offset \(current.from) did not commit after \(reapplyLimit) attempts"))
            )
        }
        state = .applying(current: current, pending: pending, skipping: skipping)
        return skipping.map { .skip(current, $0) } ?? .apply(current)
    }

    private mutating func quarantine(
        _ slice: Slice,
        error: String,
        pending: [Slice],
        server: BoltServerError?
    ) -> Action {
        guard quarantinedInBatch < quarantineLimit else {
            let cause = server ?? BoltServerError(code: "sluice.TooLarge", message: error)
            return end(.fail(.tooManyFailingItems(count: quarantinedInBatch + 1, error: cause)))
        }
        quarantinedInBatch += 1
        let item = QuarantinedItem(item: slice.ids[slice.ids.startIndex], planOffset: slice.from, error: error)
        state = .applying(current: slice, pending: pending, skipping: item)
        return .skip(slice, item)
    }

    /// The node moved over `slice`: record it. Each committed part of a bisected batch is checkpointed
    /// at once, so a crash loses no quarantine record the graph has moved past.
    private mutating func committed(
        _ slice: Slice,
        changed: Int64,
        pending: [Slice],
        skipping: QuarantinedItem?
    ) -> Action {
        reapplies = 0
        let changed = skipping == nil ? changed : 0
        state = .checkpointing(to: slice.to, changed: changed, pending: pending)
        return .checkpoint(
            from: done,
            to: slice.to,
            changed: changed,
            quarantined: skipping.map { [$0] } ?? [],
            batchSize: pending.isEmpty ? batchSize : nil
        )
    }

    /// The job store recorded the last checkpoint and answered with the job's control row.
    public mutating func checkpointed(_ control: JobControl?) -> Action {
        switch state {
        case .recordingGap(let at, let changed):
            done = at
            itemsChanged += changed
            return nextBatch()
        case .checkpointing(let to, let changed, let pending):
            done = to
            itemsChanged += changed
            if let control {
                if control.shouldStop { return end(.release(.stopped(control))) }
                if control.requestedBatchSize > 0 { batchSize = control.requestedBatchSize }
            }
            if let next = pending.first {
                state = .applying(current: next, pending: Array(pending.dropFirst()), skipping: nil)
                return .apply(next)
            }
            return nextBatch()
        default:
            return unexpected("checkpointed")
        }
    }

    public mutating func caughtUp(total: Int64) -> Action {
        guard case .catchingUp = state else { return unexpected("caught up") }
        self.total = max(self.total, total)
        return nextBatch()
    }

    private mutating func nextBatch() -> Action {
        // A stop takes effect here too after the last batch: the catch-up re-plan and the verify query read the
        // graph at length (a scan of the label on a server without id seeks) and are done again on resuming.
        if stopRequested { return end(.release(.stopped(nil))) }
        if done >= total {
            guard caughtUp else {
                caughtUp = true
                state = .catchingUp
                return .catchUp
            }
            return end(.finish(itemsChanged: itemsChanged))
        }
        let count = Int(min(Int64(batchSize), total - done))
        state = .readingPlan(count: count)
        return .readPlan(offset: done, count: count)
    }

    /// Items the node counted changed beyond those recorded: what batches that committed unrecorded changed. Zero
    /// for a node from before the count, or one behind the record (a job begun before it).
    private func unrecordedChanges(_ node: GraphJobNode.State?) -> Int64 {
        max(0, (node?.changed ?? 0) - itemsChanged)
    }

    private mutating func end(_ action: Action) -> Action {
        state = .ended
        return action
    }

    private mutating func unexpected(_ event: String) -> Action {
        end(.fail(.migration("internal: \(event) in state \(state)")))
    }
}
