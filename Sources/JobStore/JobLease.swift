/// Proof that a worker holds a job: the job id and the lease token it was granted.
///
/// Every write a worker makes about its job (heartbeat, checkpoint, plan, finish) carries the token and is refused
/// with ``JobStoreError/leaseLost(job:token:currentToken:owner:)`` once another claim has raised it. The same token
/// fences the graph-side `:SluiceJob` node.
public struct JobLease: Sendable, Equatable {
    /// The job as it was right after the claim.
    public let job: Job
    /// The token this lease holds; higher than any token handed out before for this job.
    public let token: Int64
    /// The worker identity the lease was granted to.
    public let owner: String
    /// How long each renewal extends the lease (measured on the Postgres clock).
    public let duration: Duration
    /// The owner before this claim, when the job was taken over from another worker or from a previous incarnation.
    public let previousOwner: String?
    /// The previous owner let its lease go (a shutdown, a pause honoured, the graph's hold: ``JobStore/release(_:)``)
    /// rather than lose it (a crash, a kill, the watchdog): the job is taken up again, not reclaimed after a crash.
    public let previousReleased: Bool

    public var jobID: JobID { job.id }

    /// True when the job was already started by someone (this identity after a crash, or another worker) before.
    public var isResumption: Bool { job.attempts > 1 }

    /// A lease from known values: for tests, and for a worker that persisted its lease across an in-process restart.
    public init(
        job: Job,
        token: Int64,
        owner: String,
        duration: Duration,
        previousOwner: String? = nil,
        previousReleased: Bool = false
    ) {
        self.job = job
        self.token = token
        self.owner = owner
        self.duration = duration
        self.previousOwner = previousOwner
        self.previousReleased = previousReleased
    }
}
