/// Why a job-store operation failed, with what an operator or the engine needs to react.
public enum JobStoreError: Error, Sendable, Equatable {
    /// Postgres failed (connection, statement): the underlying error, password-free.
    case postgres(PostgresError)
    /// The job store's schema does not exist yet: run `sluice db migrate` (or start the daemon, which migrates).
    case schemaMissing(schema: String)
    /// The schema was migrated by a newer sluice; this one does not know its tables and refuses to touch them.
    case schemaTooNew(schema: String, found: Int, supported: Int)
    /// A schema name that is not a plain lower-case identifier.
    case invalidSchemaName(String)
    case jobNotFound(JobID)
    /// The caller's lease was taken over (or the job was never leased with this token): stop working on the job.
    case leaseLost(job: JobID, token: Int64, currentToken: Int64?, owner: String?)
    /// A checkpoint did not start where the job's progress is: someone else recorded progress, or a batch was lost.
    case checkpointConflict(job: JobID, expectedDone: Int64, actualDone: Int64)
    /// The job's state does not allow the action (`resume` on a running job, `pause` on a finished one...).
    case invalidTransition(job: JobID, state: JobState, action: String)
    /// An argument out of range (negative offsets, empty plans...).
    case invalidArgument(String)
    /// Another job already holds the target graph (the partial unique index refused a second active job).
    case targetBusy(JobTarget)
    /// The migration already has an unfinished job on this graph (``existing``); a second one is refused.
    case migrationAlreadyQueued(migration: String, target: JobTarget, existing: JobID, state: JobState)

    /// The wrapped Postgres error, if this is one.
    public var postgresError: PostgresError? {
        if case .postgres(let error) = self { return error }
        return nil
    }
}

extension JobStoreError: CustomStringConvertible {
    /// The command that creates or upgrades `schema`: `--schema` named unless it is the default one.
    public static func migrateCommand(_ schema: String) -> String {
        "sluice db migrate" + (schema == JobStoreConfiguration().schema ? "" : " --schema \(schema)")
    }

    /// One line, no password.
    public var description: String {
        switch self {
        case .postgres(let error):
            return error.description
        case .schemaMissing(let schema):
            return "the job store schema \"\(schema)\" does not exist: run `\(Self.migrateCommand(schema))`"
        case .schemaTooNew(let schema, let found, let supported):
            return
                "the job store schema \"\(schema)\" is at version \(found), newer than this sluice supports (\(supported)): upgrade sluice"
        case .invalidSchemaName(let name):
            return "invalid schema name \(name.debugDescription): use lower-case letters, digits and _ (at most 40)"
        case .jobNotFound(let id):
            return "no job \(id)"
        case .leaseLost(let job, let token, let current, let owner):
            var text = "lease on job \(job) lost: token \(token) is no longer current"
            if let current { text += " (now \(current)" + (owner.map { ", held by \($0)" } ?? "") + ")" }
            return text
        case .checkpointConflict(let job, let expected, let actual):
            return "checkpoint for job \(job) starts at offset \(expected) but the job is at \(actual)"
        case .invalidTransition(let job, let state, let action):
            let now = state.isFinished ? "it has already ended (\(state.rawValue))" : "it is \(state.rawValue) now"
            return "cannot \(action) job \(job): \(now)"
        case .invalidArgument(let reason):
            return "invalid argument: \(reason)"
        case .targetBusy(let target):
            return "another job is already active on \(target)"
        case .migrationAlreadyQueued(let migration, let target, let existing, let state):
            return "migration \(migration) already has job \(existing) (\(state.rawValue)) on \(target): "
                + "watch it with `sluice status \(existing)`, or cancel it first (`sluice cancel \(existing)`)"
        }
    }
}
