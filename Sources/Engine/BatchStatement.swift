import Bolt
import Migrations

/// The Cypher the engine runs for one data step: the planning query and the batch statement.
///
/// A batch statement does three things in one atomic unit, in this order:
/// 1. takes the write lock of the job's graph-side node (`:SluiceJob`) by setting a property on it:
///    reading alone takes no lock, and without the lock two workers could both read the same offset
///    and both apply the batch (Neo4j's documented lost-update pattern);
/// 2. proceeds only if the node's `token` is the caller's lease token and its `done` is the offset
///    the batch starts at, and the job still holds the step's items (``GraphHold``), renews that hold, and
///    moves `done` to the batch's end;
/// 3. changes the batch's items, re-checking each against the step's label and full predicate, so an
///    item changed, deleted or replaced (ids are reused) since planning is skipped.
///
/// It adds the number of items changed to the node's `changed`, so that a crash between the graph's commit and the
/// checkpoint loses no count, and returns it as one row; no row means "fenced, or nothing left to change in this
/// slice": the caller tells them apart by reading the node, never by retrying blindly.
public struct BatchStatement: Sendable, Hashable {
    /// How a batch names its items.
    public enum Addressing: String, Sendable, Hashable {
        /// `UNWIND $sluice_ids`: exact, for servers that take large parameters (Neo4j, ArcadeDB).
        case idList
        /// `id(n) >= $sluice_low AND id(n) <= $sluice_high`: small parameters only, for servers that
        /// paste parameters into the query text (FalkorDB). Items created inside the range since
        /// planning are changed too; the predicate still decides.
        case idRange
    }

    public let step: DataStep
    public let addressing: Addressing

    public init(step: DataStep, addressing: Addressing) {
        self.step = step
        self.addressing = addressing
    }

    /// The addressing a server's probed capabilities allow.
    public init(step: DataStep, capabilities: BoltCapabilities) {
        self.init(step: step, addressing: capabilities.acceptsLargeParameters ? .idList : .idRange)
    }

    private var variable: String { step.pattern.variable }

    /// Lists the step's items once, read-only, one record per id, in whatever order the server finds them (a
    /// server sorting them would hold them all in its heap): for the dry run and the finalizer. A job's plan is read
    /// as ``planReading`` says.
    public var planning: String {
        "MATCH \(step.pattern.text) WHERE (\(step.predicate)) RETURN id(\(variable)) AS sluice_id"
    }

    /// How planning reads the planned set from the server.
    public enum PlanReading: String, Sendable, Hashable {
        /// ``groupPlanning``: one query, answered as one record per group of at most ``planGroup`` ids. Where
        /// parameters are values the server also seeks ids in lists, not ranges (Neo4j has no id-range seek, and
        /// ArcadeDB scans the label for one), so a window per query would scan the label each time; and one record
        /// per id is what planning cost there: ArcadeDB sent 200,000 ids as records in 100 s and as 87 lists in 5 s.
        case groups
        /// ``IDSpanSearch`` by ``planningSeek``, then per ``IDWindows`` window ``windowCount``, and ``windowPlanning``
        /// for a window neither empty nor full: a record per 4,096 ids.
        /// Where batches address id ranges the server seeks them (FalkorDB's `Node By Label and ID Scan`),
        /// and there one record per id is what planning cost: 18 s of a 22 s run at a million nodes.
        case idWindows
    }

    /// Id windows where batches address id ranges and the item is a node (a relationship's id is not sought
    /// by range); groups otherwise.
    public var planReading: PlanReading {
        addressing == .idRange && step.pattern.kind == .node ? .idWindows : .groups
    }

    /// The planned set as lists of at most ``planGroup`` ids, one record per group (`id / planGroup`), the groups in
    /// order (each list is sorted by ``PlanReader``), so that the plan is appended as it is read: sorting the ids in
    /// the job store instead (staged, then merged) took 0.1-0.2 s more at a million ArcadeDB nodes. The server holds
    /// the groups until it has seen every item, and sorts only them (ArcadeDB refuses to sort over 500,000 rows: a
    /// million ArcadeDB ids came as 357 groups).
    public var groupPlanning: String {
        "MATCH \(step.pattern.text) WHERE (\(step.predicate)) \(groupedIDs)"
    }

    /// Whether the pattern matches an id within `$sluice_low...$sluice_high`, predicate left out (every planned item
    /// lies within the label's span): a seek that ends at its first node (FalkorDB's `Node By Label and ID Scan` under
    /// `Limit`, 0.3 ms at a million nodes), for ``IDSpanSearch`` to find the span the windows cover.
    public var planningSeek: String {
        "MATCH \(step.pattern.text) WHERE id(\(variable)) >= $sluice_low AND id(\(variable)) <= $sluice_high "
            + "RETURN id(\(variable)) AS sluice_id LIMIT 1"
    }

    /// How many items the id window `$sluice_low...$sluice_high` holds. As many as the window has ids is every id in
    /// it (ids are distinct): the common case where ids are dense (FalkorDB's, on a fresh backfill), planned with no
    /// list at all; a count aggregates without grouping (a million FalkorDB nodes: 0.30 s in 20 windows, against
    /// 0.52 s grouped and collected by ``windowPlanning``, which lists the other windows).
    public var windowCount: String {
        "MATCH \(step.pattern.text) WHERE id(\(variable)) >= $sluice_low AND id(\(variable)) <= $sluice_high "
            + "AND (\(step.predicate)) RETURN count(\(variable)) AS sluice_count"
    }

    /// Ids per record of ``windowPlanning``: FalkorDB's Bolt breaks a record over 64 KB (a list of 13,000 ids of
    /// five bytes each hung the connection, one of 40,000 came back corrupt), and 4,096 ids of nine bytes fit.
    public static let planGroup = 4_096

    /// The items of one id window, `$sluice_low...$sluice_high`, one record per group of at most ``planGroup`` ids:
    /// its lowest and highest id, `sluice_first` and `sluice_last`, and its ids, `sluice_ids`, or an empty list when
    /// it holds every id from the first to the last (ids are distinct, so a count that fills the span is all of it).
    /// Node ids that need no list are the common case where they are dense (FalkorDB's, on a fresh backfill): at a
    /// million nodes the lists took planning from 2.9 s to 14 s through the Python driver.
    public var windowPlanning: String {
        "MATCH \(step.pattern.text) WHERE id(\(variable)) >= $sluice_low AND id(\(variable)) <= $sluice_high "
            + "AND (\(step.predicate)) "
            + "WITH id(\(variable)) / \(Self.planGroup) AS sluice_group, min(id(\(variable))) AS sluice_first, "
            + "max(id(\(variable))) AS sluice_last, collect(id(\(variable))) AS sluice_ids "
            + "RETURN sluice_first, sluice_last, "
            + "CASE WHEN size(sluice_ids) = sluice_last - sluice_first + 1 THEN [] ELSE sluice_ids END AS sluice_ids"
    }

    /// Items created since `$sluice_after`, the highest planned id, grouped as ``groupPlanning``: the catch-up
    /// re-plan.
    public var latePlanning: String {
        "MATCH \(step.pattern.text) WHERE id(\(variable)) > $sluice_after AND (\(step.predicate)) \(groupedIDs)"
    }

    /// The matched ids as lists of at most ``planGroup`` ids, one record per group.
    private var groupedIDs: String {
        "RETURN id(\(variable)) / \(Self.planGroup) AS sluice_group, collect(id(\(variable))) AS sluice_ids "
            + "ORDER BY sluice_group"
    }

    /// The batch statement. Parameters: `sluice_job`, `sluice_token`, `sluice_from`, `sluice_to`, `sluice_graph`,
    /// `sluice_hold`, and `sluice_ids` or `sluice_low`/`sluice_high`, plus the migration's own parameters.
    public var batch: String {
        """
        MATCH (sluice_job:SluiceJob {id: $sluice_job})
        SET sluice_job.lock = coalesce(sluice_job.lock, 0) + 1
        WITH sluice_job
        WHERE sluice_job.token = $sluice_token AND sluice_job.done = $sluice_from
        \(GraphHold.renewal)
        SET sluice_job.done = $sluice_to
        WITH sluice_job
        \(items)
        \(step.change)
        WITH count(*) AS sluice_changed
        WHERE sluice_changed > 0
        MATCH (sluice_job:SluiceJob {id: $sluice_job})
        SET sluice_job.changed = coalesce(sluice_job.changed, 0) + sluice_changed
        RETURN sluice_changed
        """
    }

    /// The batch's items, each checked again against the label and the full predicate.
    var items: String {
        switch addressing {
        case .idList:
            """
            UNWIND $sluice_ids AS sluice_item
            MATCH \(step.pattern.text)
            WHERE id(\(variable)) = sluice_item AND (\(step.predicate))
            """
        case .idRange:
            """
            MATCH \(step.pattern.text)
            WHERE id(\(variable)) >= $sluice_low AND id(\(variable)) <= $sluice_high AND (\(step.predicate))
            """
        }
    }

    /// Moves the job node over a slice without changing items: for an item that was quarantined, so
    /// that the offset still advances under the same compare-and-set. The item and its error stay on the node
    /// (``GraphJobNode/State/lastQuarantined``) until the next skip: were the process to die before the skip's
    /// checkpoint, the gap the next run records would otherwise pass over the item without a quarantine record.
    public static let skip = """
        MATCH (sluice_job:SluiceJob {id: $sluice_job})
        SET sluice_job.lock = coalesce(sluice_job.lock, 0) + 1
        WITH sluice_job
        WHERE sluice_job.token = $sluice_token AND sluice_job.done = $sluice_from
        SET sluice_job.done = $sluice_to, sluice_job.quarantined_item = $sluice_item,
            sluice_job.quarantined_offset = $sluice_from, sluice_job.quarantined_error = $sluice_error
        RETURN sluice_job.done AS done
        """

    /// Every parameter of one batch: the migration's `bound` ones, the job's fence (`job`, the node's
    /// key from ``GraphJobNode/key(_:)``, `token`, and
    /// the slice's plan offsets: `from`, and its end, `from` plus the number of ids), the step's ``GraphHold`` and
    /// how long a batch renews it for (`hold`), and its items.
    public func parameters(
        ids: ArraySlice<Int64>,
        job: BoltValue,
        token: Int64,
        from: Int64,
        hold: Duration,
        bound: [String: BoltValue] = [:]
    ) -> [String: BoltValue] {
        var parameters = bound.merging(itemParameters(ids)) { _, item in item }
        parameters["sluice_job"] = job
        parameters["sluice_graph"] = .string(GraphHold.key(of: step))
        parameters["sluice_hold"] = GraphHold.milliseconds(hold)
        parameters["sluice_token"] = .integer(token)
        parameters["sluice_from"] = .integer(from)
        parameters["sluice_to"] = .integer(from + Int64(ids.count))
        return parameters
    }

    /// Parameters that address the items of one batch.
    public func itemParameters(_ ids: ArraySlice<Int64>) -> [String: BoltValue] {
        switch addressing {
        case .idList:
            ["sluice_ids": .list(ids.map { .integer($0) })]
        case .idRange:
            ["sluice_low": .integer(ids.first ?? 0), "sluice_high": .integer(ids.last ?? -1)]
        }
    }
}
