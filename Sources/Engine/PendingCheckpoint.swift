import JobStore

/// A batch's checkpoint being written to the job store, while the next batch runs on the graph when the batch was
/// whole and quarantined nothing (the engine awaits the others at once).
///
/// A checkpoint is three round trips and a commit in Postgres, about 2 ms: a tenth of a FalkorDB batch of 10,000
/// items. Written beside the next batch it leaves the batch's critical path. At most one is in flight, and it is
/// awaited before the next checkpoint, before anything else reads or writes the job store, and before the run
/// returns or throws, so checkpoints stay in order and none outlives the run. A crash meanwhile leaves the graph up
/// to two batches ahead of the job store, which reconciliation records as it records one
/// (``ProgressReconciliation``). The progress of the batch is reported once its checkpoint is written, so a
/// reported batch is a recorded one.
struct PendingCheckpoint: Sendable {
    let task: Task<Result<JobControl, EngineError>, Never>
    /// Reported once the checkpoint is written; nil for a part of a bisected batch.
    let progress: JobRunner.Progress?

    init(progress: JobRunner.Progress?, write: @escaping @Sendable () async throws(EngineError) -> JobControl) {
        self.progress = progress
        self.task = Task {
            do throws(EngineError) {
                return .success(try await write())
            } catch {
                return .failure(error)
            }
        }
    }

    /// The job store's answer to the checkpoint, once written.
    func written() async throws(EngineError) -> JobControl {
        try await task.value.get()
    }
}
