import Bolt
import JobStore

/// How to reach the graph, the same for every command and the daemon: URL, user, password, database, TLS CA, and
/// optionally the dialect (instead of probing the server).
///
/// The password never comes from a flag or the configuration file itself: from a password file, the systemd
/// credential `bolt-password`, or `SLUICE_BOLT_PASSWORD`, in that order.
public struct GraphSettings: Sendable {
    public var url: BoltURL
    public var auth: BoltAuth
    /// `nil`: the server's default database.
    public var database: String?
    public var tls: BoltTLSConfiguration
    /// Overrides probing the server; `nil` probes.
    public var dialect: BoltCapabilities.Dialect?
    /// The configured password file (`[graph] password_file`, `SLUICE_BOLT_PASSWORD_FILE`), for a command that
    /// resolves the login itself, with its own flags (``DaemonConfiguration/load(path:environment:readingPassword:)``).
    public var passwordFile: String?

    /// The systemd credential holding the graph's password.
    public static let credentialName = "bolt-password"

    public init(
        url: BoltURL,
        auth: BoltAuth,
        database: String?,
        tls: BoltTLSConfiguration,
        dialect: BoltCapabilities.Dialect?,
        passwordFile: String? = nil
    ) {
        self.url = url
        self.auth = auth
        self.database = database
        self.tls = tls
        self.dialect = dialect
        self.passwordFile = passwordFile
    }

    /// Where the password comes from, first match wins: `passwordFile`, the credential, `SLUICE_BOLT_PASSWORD`.
    /// An empty password file means no password.
    public static func password(
        passwordFile: String?,
        environment: [String: String]
    ) throws(SecretFileError) -> (password: String, source: SettingSource)? {
        // An empty file is no password: an installed but not yet filled-in credential must not count as one.
        if let passwordFile {
            let password = try SecretFile.firstLine(of: passwordFile, what: "password file")
            return password.isEmpty ? nil : (password, .secretFile(passwordFile))
        }
        if let path = SecretFile.credentialPath(credentialName, environment: environment) {
            let password = try SecretFile.firstLine(of: path, what: "systemd credential")
            if !password.isEmpty { return (password, .secretFile(path)) }
        }
        if let password = environment["SLUICE_BOLT_PASSWORD"] {
            return (password, .environment("SLUICE_BOLT_PASSWORD"))
        }
        return nil
    }

    /// Auth `none` without a user, `basic` with one; a password without a user is refused rather than dropped.
    public static func auth(user: String?, password: String?) -> BoltAuth? {
        switch (user, password) {
        case (nil, nil): BoltAuth.none
        case (let user?, let password): .basic(user: user, password: password ?? "")
        case (nil, .some): nil
        }
    }

    /// The job store's key for this graph.
    public var target: JobTarget { JobTarget(url: "\(url)", database: database ?? "") }

    /// Connects; no GOODBYE on close (FalkorDB hangs the next connection after one, and a plain close costs any
    /// server nothing).
    ///
    /// - Parameter answerTimeout: how long the server may send nothing while a request awaits its answer before the
    ///   connection counts as lost (`BoltConnection.connect`'s), and the longest its greeting may take; nil: no bound,
    ///   for queries sent without a `tx_timeout` (``DaemonConfiguration/graphAnswerTimeout`` for the engine's, which
    ///   carry one).
    public func connect(answerTimeout: Duration? = nil) async throws(BoltError) -> BoltConnection {
        try await BoltConnection.connect(
            to: url,
            auth: auth,
            tls: tls,
            sendsGoodbye: false,
            connectTimeout: .milliseconds(Self.connectTimeout.wholeMilliseconds),
            greetingTimeout: .milliseconds(Self.greetingTimeout(answerTimeout: answerTimeout).wholeMilliseconds),
            answerTimeout: answerTimeout
        )
    }

    /// The longest ``connect(answerTimeout:)`` takes when the server accepts the connection and then says nothing (a
    /// stopped process, whose kernel still completes the TCP handshake) or its packets are dropped: what the daemon's
    /// watchdog allows an attempt to connect.
    public static func longestConnect(answerTimeout: Duration?) -> Duration {
        connectTimeout + greetingTimeout(answerTimeout: answerTimeout)
    }

    /// For the TCP connection.
    private static let connectTimeout = Duration.seconds(10)

    /// For the handshake, HELLO and LOGON: generous, as a busy server greets slowly, but no longer than a request may
    /// wait for its answer.
    private static func greetingTimeout(answerTimeout: Duration?) -> Duration {
        min(.seconds(60), answerTimeout ?? .seconds(60))
    }

    /// The dialect's capabilities when one is configured, else what probing the server finds. A database named on a
    /// server that cannot select one is refused: its statements would land in other graphs.
    public func capabilities(of connection: BoltConnection) async throws(BoltError) -> BoltCapabilities {
        let capabilities =
            if let dialect {
                dialect.capabilities
            } else {
                try await BoltCapabilities.probe(connection, options: BoltTransactionOptions(database: database))
            }
        if let database, !capabilities.honoursTransactionMetadata {
            throw .databaseNotSelectable(database)
        }
        return capabilities
    }

    /// Refuses a named database the server cannot select, for commands that need no other capability (`cypher`,
    /// `verify`, `baseline`): asks only the question of ``capabilities(of:)`` that decides it.
    public func checkDatabaseSelectable(on connection: BoltConnection) async throws(BoltError) {
        guard let database else { return }
        let honoured =
            if let dialect {
                dialect.capabilities.honoursTransactionMetadata
            } else {
                try await BoltCapabilities.probeTransactionMetadata(
                    connection,
                    options: BoltTransactionOptions(database: database)
                )
            }
        if !honoured { throw .databaseNotSelectable(database) }
    }
}
