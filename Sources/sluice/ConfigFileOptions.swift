import ArgumentParser
import Daemon
import Foundation

/// The daemon's configuration file, for commands that should reach the graph, the job store and the migrations as
/// the daemon with that file does, so that a foreground command and the daemons agree on what "the graph" is.
struct ConfigFileOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The daemon's configuration file (TOML), to find Postgres, the graph and the migrations as it does "
                + "(env SLUICE_CONFIG; default \(DaemonConfiguration.defaultPath) when present).",
            valueName: "path"
        )
    )
    var config: String?

    /// The configuration file as the daemon reads it (its `SLUICE_*` overrides applied), `nil` when there is none;
    /// an invalid one fails with its file, line and key.
    func fileConfiguration(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> DaemonConfiguration? {
        guard let path = DaemonConfiguration.path(explicit: config, environment: environment) else { return nil }
        do {
            return try DaemonConfiguration.load(path: path, environment: environment)
        } catch {
            throw CommandError(error.description)
        }
    }
}
