import ArgumentParser
import Bolt
import Foundation

/// How to reach the graph: flags, then the `SLUICE_BOLT_*` environment, then defaults.
///
/// The password never comes from a flag (it would show in the process list and shell history): it is
/// read from `--password-file`, the systemd credential `bolt-password`, or `SLUICE_BOLT_PASSWORD`.
struct GraphOptions: ParsableArguments {
    @Option(help: "Bolt URL of the graph server (env SLUICE_BOLT_URL; default bolt://localhost:7687).")
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

    /// The settings after flags and environment are combined.
    struct Resolved {
        var url: BoltURL
        var auth: BoltAuth
        var database: String?
        var tls: BoltTLSConfiguration
    }

    func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Resolved {
        let urlText = url ?? environment["SLUICE_BOLT_URL"] ?? "bolt://localhost:7687"
        let url = try BoltURL(parsing: urlText)
        let user = self.user ?? environment["SLUICE_BOLT_USER"]
        let password = try readPassword(environment: environment)
        let auth: BoltAuth
        switch (user, password) {
        case (nil, nil): auth = .none
        case (let user?, let password): auth = .basic(user: user, password: password ?? "")
        case (nil, .some): throw CommandError("a password was given but no user: set --user or SLUICE_BOLT_USER")
        }
        let database = self.database ?? environment["SLUICE_BOLT_DATABASE"]
        let caFile = tlsCA ?? environment["SLUICE_BOLT_TLS_CA"]
        return Resolved(
            url: url,
            auth: auth,
            database: database.flatMap { $0.isEmpty ? nil : $0 },
            tls: BoltTLSConfiguration(caFile: caFile.flatMap { $0.isEmpty ? nil : $0 })
        )
    }

    private func readPassword(environment: [String: String]) throws -> String? {
        if let passwordFile {
            return try Self.firstLine(ofFile: passwordFile, what: "password file")
        }
        if let directory = environment["CREDENTIALS_DIRECTORY"] {
            let path = directory + "/bolt-password"
            if FileManager.default.fileExists(atPath: path) {
                return try Self.firstLine(ofFile: path, what: "systemd credential")
            }
        }
        return environment["SLUICE_BOLT_PASSWORD"]
    }

    private static func firstLine(ofFile path: String, what: String) throws -> String {
        let contents: String
        do {
            contents = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw CommandError("cannot read \(what) \(path): \(Self.reason(error))")
        }
        return String(contents.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }

    private static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
            let code = POSIXErrorCode(rawValue: Int32(underlying.code))
        {
            return String(cString: strerror(code.rawValue))
        }
        if nsError.domain == NSCocoaErrorDomain, nsError.code == NSFileReadNoSuchFileError {
            return "no such file"
        }
        return nsError.localizedDescription
    }

    /// Connects with the resolved settings, runs `body`, and closes the connection however it ends.
    func withConnection<Result>(
        _ body: (BoltConnection, Resolved) async throws -> Result
    ) async throws -> Result {
        let resolved = try resolve()
        // No GOODBYE: the server is not probed, and FalkorDB hangs the next connection after one. A plain
        // close costs any server nothing.
        let connection = try await BoltConnection.connect(
            to: resolved.url,
            auth: resolved.auth,
            tls: resolved.tls,
            sendsGoodbye: false
        )
        do {
            let result = try await body(connection, resolved)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }
}
