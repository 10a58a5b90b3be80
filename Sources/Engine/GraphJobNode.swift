import Bolt

/// The job's node in the graph, `(:SluiceJob {id, token, done})`: the authority on a job's progress.
///
/// Postgres holds the checkpoint, but a batch commits in the graph first; after a crash between the
/// two, the node's `done` says which batches really committed. Its `token` fences workers: a worker
/// whose lease was taken over carries an older token, and every batch statement refuses it.
public enum GraphJobNode {
    /// Creates the node on first use, or takes it over: raises `token` to the caller's if that is not
    /// older. Returns `done` and `token`; no row means a newer worker holds the job.
    public static let open = """
        MERGE (sluice_job:SluiceJob {id: $sluice_job})
        ON CREATE SET sluice_job.token = $sluice_token, sluice_job.done = 0, sluice_job.migration = $sluice_migration,
            sluice_job.direction = $sluice_direction
        SET sluice_job.lock = coalesce(sluice_job.lock, 0) + 1
        WITH sluice_job
        WHERE sluice_job.token <= $sluice_token
        SET sluice_job.token = $sluice_token
        RETURN sluice_job.done AS done, sluice_job.token AS token
        """

    /// The node's state, for reconciling after an ambiguous batch.
    public static let read = """
        MATCH (sluice_job:SluiceJob {id: $sluice_job})
        RETURN sluice_job.done AS done, sluice_job.token AS token
        """

    /// Removes the node when the job ends; only the holder of the current token may.
    public static let remove = """
        MATCH (sluice_job:SluiceJob {id: $sluice_job})
        WHERE sluice_job.token = $sluice_token
        DELETE sluice_job
        RETURN count(*) AS removed
        """

    /// The node's progress and holder, as read back.
    public struct State: Sendable, Hashable {
        public var done: Int64
        public var token: Int64

        public init(done: Int64, token: Int64) {
            self.done = done
            self.token = token
        }

        init?(_ record: BoltRecord?) {
            guard let done = record?["done"]?.intValue, let token = record?["token"]?.intValue else { return nil }
            self.init(done: done, token: token)
        }
    }
}
