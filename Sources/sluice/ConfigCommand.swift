import ArgumentParser

/// `sluice config`: the daemon's configuration file.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check the daemon's configuration.",
        subcommands: [ConfigCheckCommand.self]
    )
}
