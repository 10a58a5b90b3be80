import ArgumentParser
import Bolt
import Foundation
import JobStore

/// Which graph, for commands that name it without connecting to it (`sluice enqueue`): `--url` and `--database`,
/// then `SLUICE_BOLT_URL` and `SLUICE_BOLT_DATABASE`, then the defaults, as ``GraphOptions`` has them, without the
/// credentials such a command has no use for.
struct GraphTargetOptions: ParsableArguments {
    @Option(help: "Bolt URL of the graph server (env SLUICE_BOLT_URL; default bolt://localhost:7687).")
    var url: String?

    @Option(help: "Database to use (env SLUICE_BOLT_DATABASE; default: the server's default).")
    var database: String?

    /// The URL and database after flags and environment are combined; a malformed URL is refused here.
    func resolve(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(BoltError) -> (url: BoltURL, database: String?) {
        let url = try BoltURL(parsing: url ?? environment["SLUICE_BOLT_URL"] ?? "bolt://localhost:7687")
        let database = (self.database ?? environment["SLUICE_BOLT_DATABASE"]).flatMap { $0.isEmpty ? nil : $0 }
        return (url, database)
    }

    /// The graph as the job store keys it: the URL as `sluice run` and the daemon connect to it, the database (`""`
    /// for the server's default).
    func jobTarget(environment: [String: String] = ProcessInfo.processInfo.environment) throws(BoltError) -> JobTarget {
        let (url, database) = try resolve(environment: environment)
        return JobTarget(url: "\(url)", database: database ?? "")
    }

    /// The job store's key for the graph at `url` (parsed and spelled as ``jobTarget(environment:)`` spells it).
    static func jobTarget(url: String, database: String?) throws(BoltError) -> JobTarget {
        JobTarget(url: "\(try BoltURL(parsing: url))", database: database ?? "")
    }
}
