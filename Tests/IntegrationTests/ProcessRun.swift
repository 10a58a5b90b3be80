import Foundation

/// A child process run to its end: its exit status and what it wrote.
struct ProcessRun {
    var status: Int32
    var output: String
    var errors: String

    /// stderr without log lines (`2026-11-25T13:00:00+0000 warning sluice.run: ...`, from
    /// StderrLogHandler): what a failing command says about its failure.
    var errorMessages: [Substring] {
        errors.split(separator: "\n").filter { $0.wholeMatch(of: /\d{4}-\d\d-\d\dT\S+ \w+ .*/) == nil }
    }

    /// Runs `executable` to its end, with `input` (if any) on its standard input, awaiting its exit without
    /// holding a thread: on a 2-core machine two tests blocked in a wait starve Swift's cooperative pool.
    static func run(
        _ executable: URL,
        _ arguments: [String],
        environment: [String: String]? = nil,
        input: String? = nil
    ) async throws -> ProcessRun {
        let child = try JobStoreTestDatabase.Child(executable.path, arguments, environment: environment, input: input)
        let status = await child.wait()
        return ProcessRun(status: status, output: child.standardOutput, errors: child.standardError)
    }
}
