import ArgumentParser
import JobStore

/// The `JOB` argument of the commands that act on one job: its id as `sluice enqueue` and `sluice jobs` print it.
///
/// Taken as text and checked in ``jobID()`` so that a malformed id fails with sluice's one-line error naming the
/// argument, like every other bad input.
struct JobArgument: ParsableArguments {
    @Argument(help: ArgumentHelp("The job's id, as `sluice enqueue` and `sluice jobs` print it.", valueName: "job"))
    var job: String

    func jobID() throws -> JobID {
        try Self.parse(job)
    }

    static func parse(_ text: String) throws -> JobID {
        guard let id = JobID(text) else {
            // A usage error (exit 64), as a malformed option value is.
            throw ValidationError("invalid JOB '\(text)': expected a job id, a positive number such as 12")
        }
        return id
    }
}
