import Bolt
import Throttle

/// The catch-up re-plan's read of the graph, started on a connection of its own while the job's last batches run.
///
/// Where the server reads a plan by scanning the label (``BatchStatement/PlanReading/groups``: ArcadeDB, Neo4j), the
/// re-plan after the last batch was the longest wait of a job's end: 1.2 s at a million ArcadeDB nodes, against 0.1 s
/// of batches. It reads only ids above the highest planned, which no batch of the plan writes, so it may run beside
/// them. An item created after the scan read its part of the label is missed, as one created after the re-plan at the
/// end was; the scan only starts so much earlier that it ends about with the last batch.
struct LateArrivalScan: Sendable {
    private let task: Task<[Int64]?, Never>
    private let started: ContinuousClock.Instant
    private let lead: Duration

    /// Whether to start the scan now: when what remains of the plan, at the pace of the last batch, takes no longer
    /// than `lead` (planning's duration, which read the same label, times ``JobRunner/Configuration/lateScanLead``).
    static func isDue(remaining: Int64, lastBatch: CompletedBatch, lead: Duration) -> Bool {
        guard lastBatch.size > 0 else { return false }
        let batches = (Double(remaining) / Double(lastBatch.size)).rounded(.up)
        return batches * (lastBatch.duration / .seconds(1)) <= lead / .seconds(1)
    }

    /// Starts reading the ids above `highest` the step selects now on a connection `connect` opens, keeping at most
    /// `limit` of them.
    init(
        statement: BatchStatement,
        after highest: Int64,
        parameters: [String: BoltValue],
        options: BoltTransactionOptions,
        limit: Int,
        lead: Duration,
        connect: @escaping @Sendable () async throws(BoltError) -> BoltConnection
    ) {
        started = .now
        self.lead = lead
        task = Task {
            guard let connection = try? await connect() else { return nil }
            let reader = PlanReader(
                connection: connection,
                statement: statement,
                options: options,
                chunkSize: limit,
                window: limit
            )
            // More than `limit` late items: the re-plan reads them itself.
            var found: [Int64]? = []
            let read = try? await reader.readLate(after: highest, parameters: parameters) { chunk in
                if let kept = found, kept.count + chunk.count <= limit { found = kept + chunk } else { found = nil }
            }
            await connection.close()
            return read == nil || Task.isCancelled ? nil : found
        }
    }

    /// The late items the scan found, or nil when it failed, found more than its limit, or started more than twice
    /// its lead ago (the job was paused or slowed down after it started), so that items created since would be
    /// missed: the catch-up re-plan then reads the graph itself.
    func items() async -> [Int64]? {
        guard ContinuousClock.now - started <= lead * 2 else {
            task.cancel()
            return nil
        }
        return await task.value
    }

    /// For a job that ends before its catch-up: the scan's answer is dropped (the server finishes the query).
    func cancel() {
        task.cancel()
    }
}
