/// What a worker learns from each heartbeat and checkpoint: the job's current state as operators have set it.
///
/// NOTIFY wakes a worker at once, but a lost notification must not leave a pause unnoticed, so every write returns
/// this too.
public struct JobControl: Sendable, Equatable {
    public let state: JobState
    public let cancelRequested: Bool
    public let priority: Int
    public let requestedBatchSize: Int
    public let planDone: Int64
    /// The operator's cap in items per second (`sluice throttle JOB --max-rate N`), `nil` when none is set.
    public let operatorMaxRate: Int?
    /// Seconds until the lease expires, on the Postgres clock.
    public let leaseRemainingSeconds: Double

    public init(
        state: JobState,
        cancelRequested: Bool,
        priority: Int,
        requestedBatchSize: Int,
        planDone: Int64,
        operatorMaxRate: Int? = nil,
        leaseRemainingSeconds: Double
    ) {
        self.state = state
        self.cancelRequested = cancelRequested
        self.priority = priority
        self.requestedBatchSize = requestedBatchSize
        self.planDone = planDone
        self.operatorMaxRate = operatorMaxRate
        self.leaseRemainingSeconds = leaseRemainingSeconds
    }

    /// The worker should stop after the batch in flight (paused, cancel requested, or finished elsewhere).
    public var shouldStop: Bool {
        cancelRequested || state == .paused || state.isFinished
    }

    init(row: PostgresRow) throws(PostgresError) {
        state = try Job.enumValue(row, "state")
        cancelRequested = try row.decode("cancel_requested")
        priority = try row.decode("priority")
        requestedBatchSize = try row.decode("requested_batch_size")
        planDone = try row.decode("plan_done")
        operatorMaxRate = try row.decode("operator_max_rate")
        leaseRemainingSeconds = try row.decode("lease_remaining", as: Double?.self) ?? 0
    }
}
