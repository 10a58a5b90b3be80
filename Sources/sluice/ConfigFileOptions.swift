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

    /// The configuration as the daemon reads it: the file with its `SLUICE_*` overrides, or without a file the
    /// defaults and the environment alone, so a command honours every variable the daemon does
    /// (`SLUICE_POSTGRES_SCHEMA`, `SLUICE_BOLT_DIALECT`...). An invalid one fails with its file, line and key.
    /// The graph's password is left unread unless `readingPassword` (``GraphOptions`` reads it with its flags when
    /// the command connects): `sluice jobs` needs none, and `--user` must count before a password without a user
    /// is refused.
    func daemonConfiguration(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        readingPassword: Bool = false
    ) throws -> DaemonConfiguration {
        let path = DaemonConfiguration.path(explicit: config, environment: environment)
        do {
            return try DaemonConfiguration.load(path: path, environment: environment, readingPassword: readingPassword)
        } catch {
            throw CommandError(error.description)
        }
    }
}
