import ArgumentParser
import Bolt

/// `--dialect`: the server's capabilities by name instead of by probing it.
struct DialectOption: ParsableArguments {
    @Option(
        help:
            "Override probing the server: \(BoltCapabilities.Dialect.allCases.map(\.rawValue).joined(separator: ", "))."
    )
    var dialect: String?

    func validate() throws {
        if let dialect, BoltCapabilities.Dialect(rawValue: dialect) == nil {
            throw ValidationError("unknown --dialect '\(dialect)'")
        }
    }

    /// The named dialect's capabilities (the flag's, else the configuration's), or what probing the server finds.
    func capabilities(_ connection: BoltConnection, settings: GraphOptions.Resolved) async throws -> BoltCapabilities {
        var settings = settings
        if let dialect { settings.dialect = BoltCapabilities.Dialect(rawValue: dialect) }
        return try await settings.capabilities(of: connection)
    }
}
