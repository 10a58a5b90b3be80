import Engine
import JobStore
import Synchronization

/// Runs a ``JobRunner`` so that stopping it takes effect between batches, never inside one.
///
/// The runner stops when its task is cancelled, but cancellation also cuts off the Bolt result stream of the batch in
/// flight, which leaves that batch's transaction open (the next BEGIN fails and the job with it). So the runner runs
/// in a task of its own that a caller's cancellation does not reach; a stop request (``requestStop()``, or the
/// caller's cancellation) is passed on by cancelling that task right after a batch has been checkpointed, where the
/// runner looks for it before starting the next one.
public final class GracefulJobRun: Sendable {
    private let stopRequested = Mutex(false)

    public init() {}

    /// Asks the runner to stop after the batch in flight; it releases the lease and ends with `.stopped(nil)`.
    public func requestStop() {
        stopRequested.withLock { $0 = true }
    }

    public var isStopRequested: Bool { stopRequested.withLock { $0 } }

    /// Runs `runner` on `lease` to its end, with `probe` timing the graph for its pacer when given; `progress` sees
    /// every batch, and every pause the throttle makes between batches (where a stop takes effect too).
    public func run(
        _ runner: JobRunner,
        lease: JobLease,
        probe: LatencyProbe? = nil,
        progress: @escaping @Sendable (JobRunner.Progress) -> Void
    ) async -> Result<JobRunner.Ending, EngineError> {
        // Unstructured on purpose: the one task the caller's cancellation must not reach (see above).
        let task = Task { [self] () -> Result<JobRunner.Ending, EngineError> in
            if isStopRequested { withUnsafeCurrentTask { $0?.cancel() } }
            do throws(EngineError) {
                let report: @Sendable (JobRunner.Progress) -> Void = { update in
                    progress(update)
                    // The batch is checkpointed, or the runner waits between batches: it checks for cancellation
                    // before the next one.
                    if self.isStopRequested { withUnsafeCurrentTask { $0?.cancel() } }
                }
                if let probe {
                    return .success(try await runner.run(lease, probe: probe, progress: report))
                }
                return .success(try await runner.run(lease, progress: report))
            } catch {
                return .failure(error)
            }
        }
        return await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            requestStop()
        }
    }
}
