import ArgumentParser

/// `sluice db`: the job store's own schema in Postgres.
struct DBCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Create, upgrade and inspect the job store in Postgres.",
        subcommands: [DBMigrateCommand.self, DBStatusCommand.self]
    )
}
