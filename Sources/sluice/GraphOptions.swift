import ArgumentParser
import Bolt
import Daemon
import Foundation

/// How to reach the graph: flags, then the daemon's configuration (`--config`: its `[graph]`, else the defaults),
/// `SLUICE_BOLT_*` overrides included, as the daemon reads it.
///
/// The password never comes from a flag (it would show in the process list and shell history): it is
/// read from `--password-file`, the systemd credential `bolt-password`, or `SLUICE_BOLT_PASSWORD`.
struct GraphOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Bolt URL of the graph server (env SLUICE_BOLT_URL; default bolt://localhost:7687).",
            discussion: "A command that takes --config connects to that file's [graph], as the daemon does; these "
                + "flags override its settings one by one."
        )
    )
    var url: String?

    @Option(help: "User name (env SLUICE_BOLT_USER). Without a user, auth 'none' is used.")
    var user: String?

    @Option(
        help: ArgumentHelp(
            "File holding the password (first line).",
            discussion: "Otherwise $CREDENTIALS_DIRECTORY/bolt-password, then env SLUICE_BOLT_PASSWORD."
        )
    )
    var passwordFile: String?

    @Option(help: "Database to use (env SLUICE_BOLT_DATABASE; default: the server's default).")
    var database: String?

    @Option(
        name: .customLong("tls-ca"),
        help: ArgumentHelp(
            "PEM file of the CA that signed the server's certificate (env SLUICE_BOLT_TLS_CA).",
            discussion: "For bolt+s:// URLs; without it the system trust store is used. bolt+ssc:// accepts any "
                + "certificate: it encrypts but does not authenticate the server.",
            valueName: "file"
        )
    )
    var tlsCA: String?

    /// The settings after flags and environment are combined, as the daemon's configuration has them too.
    typealias Resolved = GraphSettings

    /// The configuration's graph (`[graph]` and its `SLUICE_BOLT_*` overrides) with what the flags set instead: the
    /// graph a daemon with that configuration runs jobs on, so a job this command queues is keyed as the daemon's
    /// are (one job per graph at a time).
    func resolve(
        configuration: DaemonConfiguration,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> Resolved {
        let configured = configuration.graph
        var settings = configured
        if let url { settings.url = try BoltURL(parsing: url) }
        if let database { settings.database = database.isEmpty ? nil : database }
        if let tlsCA { settings.tls = BoltTLSConfiguration(caFile: tlsCA.isEmpty ? nil : tlsCA) }
        settings.auth = try Self.login(
            user: user,
            passwordFile: passwordFile,
            configured: configured,
            environment: environment
        )
        return settings
    }

    /// The login, resolved here and not when the configuration was read: `user` and `passwordFile` (a command's
    /// flags) first, then the `configured` graph's.
    static func login(
        user: String?,
        passwordFile: String?,
        configured: GraphSettings,
        environment: [String: String]
    ) throws -> BoltAuth {
        var configuredUser: String?
        if case .basic(let name, _) = configured.auth { configuredUser = name }
        let password: String?
        do {
            password = try GraphSettings.password(
                passwordFile: passwordFile ?? configured.passwordFile,
                environment: environment
            )?.password
        } catch {
            throw CommandError(error.description)
        }
        guard let auth = GraphSettings.auth(user: user ?? configuredUser, password: password) else {
            throw CommandError("a password was given but no user: set --user, [graph] user or SLUICE_BOLT_USER")
        }
        return auth
    }

    /// Connects with the resolved settings, runs `body`, and closes the connection however it ends. A database named on
    /// a server that cannot select one is refused first: every statement would land in another graph (FalkorDB's
    /// "db"), so `cypher` would write there and `verify` would answer for it. `answerTimeout` bounds the server's
    /// silence (``GraphSettings/connect(answerTimeout:)``): for commands whose queries carry a `tx_timeout`.
    func withConnection<Result>(
        configuration: DaemonConfiguration,
        answerTimeout: Duration? = nil,
        _ body: (BoltConnection, Resolved) async throws -> Result
    ) async throws -> Result {
        let resolved = try resolve(configuration: configuration)
        let connection: BoltConnection
        do {
            connection = try await resolved.connect(answerTimeout: answerTimeout)
        } catch .authenticationFailed(let refusal) {
            // Which login, and where each half of it comes from: the server's own message names neither.
            let login =
                if case .basic(let user, _) = resolved.auth { "user \"\(user)\"" } else { "no login (auth none)" }
            throw CommandError(
                "\(resolved.url) refused \(login): \(refusal.message) (\(refusal.code)); the user comes from --user, "
                    + "[graph] user or SLUICE_BOLT_USER, the password from --password-file, [graph] password_file, the "
                    + "credential bolt-password or SLUICE_BOLT_PASSWORD, first found"
            )
        }
        do {
            try await resolved.checkDatabaseSelectable(on: connection)
            let result = try await body(connection, resolved)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }
}
