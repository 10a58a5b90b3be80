import Foundation

/// What `sluice enqueue` asks for: a migration, a direction and a target graph.
public struct JobRequest: Sendable {
    /// The batch sizes a job row holds (a Postgres `integer`): commands check theirs against it to name the flag.
    public static let batchSizes = 1...Int(Int32.max)
    /// The priorities a job row holds, as ``batchSizes``.
    public static let priorities = Int(Int32.min)...Int(Int32.max)

    public var migrationVersion: String
    public var migrationName: String
    public var migrationChecksum: String
    public var direction: JobDirection
    public var dryRun: Bool
    public var target: JobTarget
    public var batchSize: Int
    public var priority: Int
    /// Do not start before this time. Jobs queued after it on the same graph wait for it: migrations on one graph
    /// run in queue order.
    public var notBefore: Date?
    /// Who asked (user name, `systemd timer`...), for the event log and history.
    public var enqueuedBy: String
    public var options: PostgresJSON
    /// Run only after this job has succeeded; cancelled if it fails or is cancelled. Set by
    /// ``JobStore/enqueueChain(_:)`` for all but the first of a chain.
    public var after: JobID?

    public init(
        migrationVersion: String,
        migrationName: String = "",
        migrationChecksum: String,
        direction: JobDirection = .up,
        dryRun: Bool = false,
        target: JobTarget,
        batchSize: Int = 10_000,
        priority: Int = 0,
        notBefore: Date? = nil,
        enqueuedBy: String,
        options: PostgresJSON = PostgresJSON(text: "{}"),
        after: JobID? = nil
    ) {
        self.migrationVersion = migrationVersion
        self.migrationName = migrationName
        self.migrationChecksum = migrationChecksum
        self.direction = direction
        self.dryRun = dryRun
        self.target = target
        self.batchSize = batchSize
        self.priority = priority
        self.notBefore = notBefore
        self.enqueuedBy = enqueuedBy
        self.options = options
        self.after = after
    }
}
