/// What to do after reading the job's graph-side node, when Postgres and the graph may disagree.
///
/// The graph's `done` wins: a batch commits in the graph before its checkpoint reaches Postgres, so
/// after a crash (or a lost answer) the graph can be ahead by the batches that committed unrecorded,
/// never behind. A graph behind Postgres means the graph lost writes (restored from a backup, a
/// server without durable storage restarted): resuming would skip items, so the job must stop.
public enum ProgressReconciliation: Sendable, Hashable {
    /// Carry on from this offset; `recordedUpTo` is what Postgres had, so `[recordedUpTo, offset)`
    /// committed in the graph and must be checkpointed before the next batch.
    case resume(at: Int64, recordedUpTo: Int64)
    /// Another worker holds a newer token: stop without writing.
    case fenced(currentToken: Int64)
    /// The graph lost progress that Postgres recorded.
    case graphBehind(graphDone: Int64, recorded: Int64)
    /// The node is missing: the graph lost the job (or it was removed by hand).
    case nodeMissing

    /// Decides from the checkpoint in Postgres, the node as read, and the caller's token.
    public static func decide(recorded: Int64, graph: GraphJobNode.State?, token: Int64) -> ProgressReconciliation {
        guard let graph else { return .nodeMissing }
        if graph.token != token { return .fenced(currentToken: graph.token) }
        if graph.done < recorded { return .graphBehind(graphDone: graph.done, recorded: recorded) }
        return .resume(at: graph.done, recordedUpTo: recorded)
    }
}
