import Foundation

/// One line of a job's event log: a change of state, lease, throttle, error, priority, batch size or operator max
/// rate, or a line of a dry run's preview.
///
/// Written by a trigger on the job table, so every change is logged whichever code path made it; a preview by the
/// worker that ends the dry run (``JobStore/finish(_:_:history:preview:)``).
public struct JobEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case state
        case lease
        case throttle
        case error
        case priority
        case batchSize = "batch_size"
        /// The operator's max rate set (new value) or cleared (no new value).
        case maxRate = "max_rate"
        /// One line of what a dry run found (new value): `data step at line 4: 200 items would be changed`.
        case preview
    }

    public let id: Int64
    public let job: JobID
    public let at: Date
    public let kind: Kind
    public let oldValue: String?
    public let newValue: String?
    /// Who made the change: the worker identity, or the operator named in a control command.
    public let actor: String?
    public let leaseToken: Int64?

    init(row: PostgresRow) throws(PostgresError) {
        id = try row.decode("id")
        job = JobID(rawValue: try row.decode("job_id"))
        at = try row.decode("at")
        kind = try Job.enumValue(row, "kind")
        oldValue = try row.decode("old_value")
        newValue = try row.decode("new_value")
        actor = try row.decode("actor")
        leaseToken = try row.decode("lease_token")
    }
}
