import ArgumentParser
import Daemon

/// `sluice daemon`: the long-running service systemd starts (see `systemd/sluice.service`).
struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Claim jobs from the job store and run them, until stopped.",
        discussion: """
            Reads the configuration file (--config, else SLUICE_CONFIG, else \(DaemonConfiguration.defaultPath) \
            when present), every setting overridable by its SLUICE_* variable (sluice config check lists them). \
            SIGTERM or SIGINT stop it after the batch in flight; SIGHUP reloads the configuration. Postgres or the \
            graph being unreachable is waited out, not an exit, and so is one that stops answering: Postgres after \
            [postgres] answer_timeout of silence, the graph after [engine] batch_timeout plus half of [daemon] \
            watchdog_margin (before the watchdog would take the daemon for hung). Under systemd it reports through \
            sd_notify and writes structured entries to the journal.
            """
    )

    @Option(help: ArgumentHelp("Configuration file (TOML).", valueName: "path"))
    var config: String?

    func run() async throws {
        do {
            try await DaemonMain.run(configPath: config)
        } catch let error as ConfigurationError {
            throw CommandError(error.description)
        }
    }
}
