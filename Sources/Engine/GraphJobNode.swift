import Bolt
import Foundation
import JobStore

/// The job's node in the graph, `(:SluiceJob {id, token, done})`: the authority on a job's progress.
///
/// Postgres holds the checkpoint, but a batch commits in the graph first; after a crash between the
/// two, the node's `done` says which batches really committed. Its `token` fences workers: a worker
/// whose lease was taken over carries an older token, and every batch statement refuses it.
///
/// The node stays when the job ends, marked `finished`, as history and as the fence: were it removed,
/// a worker stalled before it opened the node would create it anew at offset 0 and apply the job a
/// second time (the state machine's tests found that interleaving).
public enum GraphJobNode {
    /// Creates the node on first use, or takes it over: raises `token` to the caller's if that is not
    /// older. Returns `done`, `token` and `finished`; no row means a newer worker holds the job.
    public static let open = """
        MERGE (sluice_job:SluiceJob {id: $sluice_job})
        ON CREATE SET sluice_job.token = $sluice_token, sluice_job.done = 0, sluice_job.migration = $sluice_migration,
            sluice_job.direction = $sluice_direction
        SET sluice_job.lock = coalesce(sluice_job.lock, 0) + 1
        WITH sluice_job
        WHERE sluice_job.token <= $sluice_token
        SET sluice_job.token = $sluice_token
        RETURN sluice_job.done AS done, sluice_job.token AS token, coalesce(sluice_job.finished, false) AS finished,
            sluice_job.changed AS changed, \(lastQuarantinedColumns)
        """

    /// The node's state, for reconciling after an ambiguous batch, and whether the job still holds the items of
    /// `$sluice_graph` (``GraphHold``): a batch whose job lost the hold commits nothing.
    /// Whether the node of job `$sluice_job` is on this graph: the mark a job leaves on the graph it ran on.
    static let exists = "MATCH (sluice_job:SluiceJob {id: $sluice_job}) RETURN count(sluice_job) AS found"

    public static let read = """
        MATCH (sluice_job:SluiceJob {id: $sluice_job})
        OPTIONAL MATCH (sluice_graph:SluiceGraph {key: $sluice_graph})
        WITH sluice_job, sluice_graph ORDER BY id(sluice_graph) LIMIT 1
        RETURN sluice_job.done AS done, sluice_job.token AS token, coalesce(sluice_job.finished, false) AS finished,
            sluice_job.changed AS changed, coalesce(sluice_graph.holder = $sluice_job, false) AS holds_graph,
            \(lastQuarantinedColumns)
        """

    /// The item the job's last skip moved the node over, as ``State/lastQuarantined`` reads it.
    static let lastQuarantinedColumns = """
        sluice_job.quarantined_item AS quarantined_item, sluice_job.quarantined_offset AS quarantined_offset, \
        sluice_job.quarantined_error AS quarantined_error
        """

    /// Marks the node finished when the job ends; only the holder of the current token may.
    public static let finish = """
        MATCH (sluice_job:SluiceJob {id: $sluice_job})
        WHERE sluice_job.token = $sluice_token
        SET sluice_job.finished = true
        RETURN count(*) AS finished
        """

    /// Takes the node over (as ``open`` does: never from a newer token) and marks it finished, for
    /// ``finishWithoutMigration(_:connection:options:)``.
    static let takeOverFinished = """
        MATCH (sluice_job:SluiceJob {id: $sluice_job})
        WHERE sluice_job.token <= $sluice_token
        SET sluice_job.token = $sluice_token, sluice_job.finished = true
        RETURN count(*) AS finished
        """

    /// Ends in the graph a job that Postgres has ended (failed or cancelled) and whose migration file cannot be read,
    /// changed or gone since it was queued: its node is taken over and marked finished, as a job's other endings leave
    /// it, and every hold it has is given up (``GraphHold/releaseEvery``). The file names the items a hold is for, so
    /// without this the next job on them waited for the hold to lapse, a lease later, behind a job that had ended.
    /// Auto-commit statements: each is one idempotent write, fenced by the lease's token.
    public static func finishWithoutMigration(
        _ lease: JobLease,
        connection: BoltConnection,
        options: BoltTransactionOptions
    ) async throws(BoltError) {
        let parameters: [String: BoltValue] = ["sluice_job": key(lease.job), "sluice_token": .integer(lease.token)]
        _ = try await connection.run(takeOverFinished, parameters: parameters, options: options).collect()
        _ = try await connection.run(GraphHold.releaseEvery, parameters: parameters, options: options).collect()
    }

    /// The index every batch statement's lookup of its job's node by `id` uses. Finished jobs' nodes stay as
    /// history, so without it each batch scans all of them. Plain `CREATE INDEX`: FalkorDB has no `IF NOT EXISTS`,
    /// so the engine creates it only when the server does not list one.
    public static let index = "CREATE INDEX FOR (sluice_job:SluiceJob) ON (sluice_job.id)"

    /// Whether a listed index serves the lookup of a job's node by `id`.
    public static func isIndex(_ index: GraphIndex) -> Bool {
        index.entity == .node && index.labelsOrTypes.contains("SluiceJob") && index.properties.first == "id"
    }

    /// The node's `id`: the job's id and the time it was enqueued (microseconds). Job ids count from 1
    /// in each job store, and several stores (schemas, test runs, a store rebuilt from scratch) may
    /// meet on one graph, where a finished job's node stays: the time keeps their nodes apart.
    public static func key(_ job: Job) -> BoltValue {
        .string("\(job.id.rawValue)/\(Int64((job.createdAt.timeIntervalSince1970 * 1_000_000).rounded()))")
    }

    /// The node's progress and holder, as read back.
    public struct State: Sendable, Hashable {
        public var done: Int64
        public var token: Int64
        /// The job ended: its graph part is complete.
        public var finished: Bool
        /// Items the job's batches changed, counted by the batches themselves; nil on a node from before the count.
        public var changed: Int64?
        /// The job holds its items' ``GraphHold``, as ``read`` says (true where the answer does not say).
        public var holdsGraph: Bool
        /// The item the job's last skip moved the node over, kept by the skip itself: a crash before the skip's
        /// checkpoint leaves its quarantine record here only.
        public var lastQuarantined: QuarantinedItem?

        public init(
            done: Int64,
            token: Int64,
            finished: Bool = false,
            changed: Int64? = nil,
            holdsGraph: Bool = true,
            lastQuarantined: QuarantinedItem? = nil
        ) {
            self.done = done
            self.token = token
            self.finished = finished
            self.changed = changed
            self.holdsGraph = holdsGraph
            self.lastQuarantined = lastQuarantined
        }

        init?(_ record: BoltRecord?) {
            guard let record, let done = record["done"]?.intValue, let token = record["token"]?.intValue else {
                return nil
            }
            self.init(
                done: done,
                token: token,
                finished: record["finished"] == .boolean(true),
                changed: record["changed"]?.intValue,
                holdsGraph: record["holds_graph"] != .boolean(false),
                lastQuarantined: record["quarantined_item"]?.intValue.map { item in
                    QuarantinedItem(
                        item: item,
                        planOffset: record["quarantined_offset"]?.intValue,
                        error: record["quarantined_error"]?.stringValue ?? ""
                    )
                }
            )
        }
    }
}
