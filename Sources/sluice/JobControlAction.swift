import Foundation
import JobStore

/// What `pause`, `resume`, `cancel` and `throttle` share: find the job, change it in Postgres (which notifies the
/// daemons), and report the job as it is now, in a line or as JSON.
struct JobControlAction {
    let db: DBOptions
    let job: JobArgument
    let json: Bool

    /// Applies `change` to the job as this operator and prints the outcome; `describe` says what the change means,
    /// given the job before and after it.
    func run(
        _ change: (JobStore, JobID, String) async throws -> Job,
        describe: (_ before: Job, _ after: Job) -> String
    ) async throws {
        let id = try job.jobID()
        let (before, after) = try await db.withClientStore { store in
            guard let before = try await store.job(id) else { throw JobStoreError.jobNotFound(id) }
            return (before, try await change(store, id, OperatorName.current()))
        }
        if json {
            try JSONOutput.write(JobDocument(JobView(after)))
        } else {
            var output = StandardOutput()
            output.write("job \(after.id) (\(JobView(after).title)): \(describe(before, after))\n")
        }
    }
}
