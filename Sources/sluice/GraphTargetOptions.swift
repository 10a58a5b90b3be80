import ArgumentParser
import Bolt
import Daemon
import Foundation
import JobStore

/// Which graph, for commands that name it without connecting to it (`sluice enqueue`): `--url` and `--database`,
/// then `SLUICE_BOLT_URL` and `SLUICE_BOLT_DATABASE`, which override the daemon's configuration file as they do for
/// the daemon (a daemon takes jobs for its configured URL only), then that file, then the defaults, as
/// ``GraphOptions`` has them, without login flags: the one question such a command may ask the graph uses the
/// configuration's login (``settings(configuration:environment:)``).
struct GraphTargetOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Bolt URL of the graph server (default: env SLUICE_BOLT_URL, else the configuration's [graph] url, "
                + "else bolt://localhost:7687)."
        )
    )
    var url: String?

    @Option(help: "Database to use (default: env SLUICE_BOLT_DATABASE, else the configuration's, else the server's).")
    var database: String?

    /// The graph as the job store keys it: the URL as `sluice run` and the daemon connect to it, the database (`""`
    /// for the server's default). `configuration` is the daemon's (``ConfigFileOptions/daemonConfiguration(environment:)``),
    /// whose values already include the `SLUICE_BOLT_*` overrides.
    func jobTarget(configuration: DaemonConfiguration) throws(BoltError) -> JobTarget {
        var url = configuration.graph.url
        if let text = self.url { url = try BoltURL(parsing: text) }
        return JobTarget(url: "\(url)", database: database ?? configuration.graph.database ?? "")
    }

    /// How to reach the graph ``jobTarget(configuration:)`` names, with the configuration's login, for the one
    /// question `sluice enqueue --down` asks the graph (was the migration finalized?).
    func settings(
        configuration: DaemonConfiguration,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> GraphSettings {
        var settings = configuration.graph
        if let url { settings.url = try BoltURL(parsing: url) }
        if let database { settings.database = database.isEmpty ? nil : database }
        settings.auth = try GraphOptions.login(
            user: nil,
            passwordFile: nil,
            configured: configuration.graph,
            environment: environment
        )
        return settings
    }

    /// The job store's key for the graph at `url` (parsed and spelled as ``jobTarget(configuration:)`` spells it).
    static func jobTarget(url: String, database: String?) throws(BoltError) -> JobTarget {
        JobTarget(url: "\(try BoltURL(parsing: url))", database: database ?? "")
    }
}
