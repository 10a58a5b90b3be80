import Bolt
import JobStore

/// Why the engine stopped a job, with what an operator needs to act.
public enum EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The migration cannot run as written.
    case migration(String)
    /// The graph is behind the checkpoint: it lost committed batches (restored from a backup, or a
    /// server without durable storage restarted). Resuming would skip items, so the job stops.
    case graphLostProgress(graphDone: Int64, recorded: Int64)
    /// Another worker took the job over; this one must stop without writing.
    case leaseLost
    /// So many items of one batch failed that the statement itself is at fault, not its items.
    case tooManyFailingItems(count: Int, error: BoltServerError)
    /// A schema step failed or its index did not come ONLINE.
    case schema(String)
    /// Pre-flight refused the job before its first write.
    case preflight(PreflightFailure)
    case bolt(BoltError)
    case store(StoreOperation, JobStoreError)

    public enum StoreOperation: String, Sendable {
        case recordParameters = "record the bound parameters"
        case beginPlan = "begin the plan"
        case appendPlan = "store the plan"
        case completePlan = "complete the plan"
        case planEntries = "read the plan"
        case checkpoint = "checkpoint"
        case heartbeat = "renew the lease"
        case release = "release the lease"
        case finish = "finish the job"
        case history = "read the migration history"
    }

    public var description: String {
        switch self {
        case .migration(let reason):
            "migration: \(reason)"
        case .graphLostProgress(let graphDone, let recorded):
            "the graph's job node is at offset \(graphDone) but Postgres recorded \(recorded): the graph lost "
                + "committed batches (restored from a backup?); resuming would skip items, so the job stopped"
        case .leaseLost:
            "another worker took over the job"
        case .tooManyFailingItems(let count, let error):
            "\(count) items of one batch failed (last: \(error)): the statement fails for its items, not one bad item; "
                + "the job stopped"
        case .schema(let reason):
            "schema step: \(reason)"
        case .preflight(let failure):
            "pre-flight: \(failure)"
        case .bolt(let error):
            "graph: \(error)"
        case .store(let operation, let error):
            "job store: could not \(operation.rawValue): \(error)"
        }
    }
}
