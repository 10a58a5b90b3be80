import CLibPQ
import Foundation
import Logging

/// Opens libpq connections: one attempt, or attempts with backoff while the server is unreachable.
///
/// Every call here blocks (DNS, TCP, TLS, authentication, for at most `connect_timeout` a host), so it runs only on a
/// connection's own thread.
enum PostgresConnector {
    /// A failed attempt, and whether waiting might help.
    struct Failure: Error {
        let error: PostgresError
        let transient: Bool
    }

    /// One `PQconnectdbParams` call, then the session settings sluice's decoders rely on. The connection is left in
    /// non-blocking mode, as ``PostgresExchange`` needs it.
    static func connectOnce(_ configuration: PostgresConfiguration) -> Result<OpaquePointer, Failure> {
        let (keywords, values) = parameters(configuration)
        let connection = withCStringArrays(keywords, values) { k, v in PQconnectdbParams(k, v, 1) }
        guard let connection else {
            return .failure(
                Failure(error: .connectionFailed(message: "libpq could not allocate a connection"), transient: false)
            )
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = scrubbed(String(cString: PQerrorMessage(connection)), configuration)
            // A server that asked for a password answered: the password (or its absence) was refused, unless the
            // attempt broke off on the client's side after that (a timeout, a connection cut), which waiting may
            // cure. No ping for a refusal, which would be a second failed login in the server's log.
            let askedForPassword =
                PQconnectionUsedPassword(connection) != 0 || PQconnectionNeedsPassword(connection) != 0
            PQfinish(connection)
            if askedForPassword, !clientSideFailures.contains(where: { message.contains($0) }) {
                return .failure(Failure(error: .connectionRefused(message: message), transient: false))
            }
            // PQping tells "server down or starting/stopping" (worth waiting for) from "server answered and said no"
            // (password, database, pg_hba: waiting cannot fix those) without parsing localized messages. It waits
            // at most `pingTimeoutSeconds` for the server: the attempt that failed waited out `connect_timeout` for a
            // server that accepts connections but never answers (hung, or behind a partition), and the ping would
            // wait as long again to say so. A server that answers only later counts as not answering: tried again,
            // the side to err on.
            let (pingKeywords, pingValues) = parameters(configuration, connectTimeoutSeconds: pingTimeoutSeconds)
            // PQPING_OK: the server answered the ping, so the attempt was refused, not unanswered.
            let ping = withCStringArrays(pingKeywords, pingValues) { k, v in PQpingParams(k, v, 1) }
            switch ping {
            case PQPING_OK:
                return .failure(Failure(error: .connectionRefused(message: message), transient: false))
            case PQPING_NO_RESPONSE, PQPING_REJECT:
                return .failure(Failure(error: .connectionFailed(message: message), transient: true))
            default:
                return .failure(Failure(error: .connectionFailed(message: message), transient: false))
            }
        }
        // Server notices (NOTICE, WARNING) go to the log, not to the process's standard error.
        PQsetNoticeProcessor(connection, postgresNoticeProcessor, nil)
        guard PQsetnonblocking(connection, 1) == 0 else {
            let message = scrubbed(String(cString: PQerrorMessage(connection)), configuration)
            PQfinish(connection)
            return .failure(Failure(error: .connectionFailed(message: message), transient: true))
        }
        // Timestamps come back as ISO text in UTC whatever the server's or role's defaults, so decoding never
        // depends on configuration we do not control.
        let settings = "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET bytea_output = 'hex'"
        let setup: OpaquePointer
        do {
            setup = try PostgresExchange.run(
                on: connection,
                sql: settings,
                answerTimeout: configuration.answerTimeout,
                configuration: configuration
            ) { PQsendQuery($0, settings) }
        } catch {
            PQfinish(connection)
            return .failure(Failure(error: error, transient: true))
        }
        let ok = PQresultStatus(setup) == PGRES_COMMAND_OK
        PQclear(setup)
        guard ok else {
            let message = scrubbed(String(cString: PQerrorMessage(connection)), configuration)
            PQfinish(connection)
            return .failure(Failure(error: .connectionFailed(message: message), transient: true))
        }
        return .success(connection)
    }

    /// libpq's own words (its messages are not translated here: sluice never sets a locale) for an attempt that broke
    /// off on the client's side, not refused by the server.
    static let clientSideFailures = [
        "timeout expired", "server closed the connection unexpectedly", "could not receive data from server",
        "could not send data to server",
    ]

    /// How long the ping after a failed attempt waits for the server: libpq's shortest `connect_timeout`.
    static let pingTimeoutSeconds = 2

    /// Connects, retrying transient failures with exponential backoff within the configuration's policy. Each retry
    /// is logged at debug level: whoever waits for the connection says once that Postgres is unreachable.
    ///
    /// - Parameters:
    ///   - unreachable: told of every attempt that failed because the server did not answer (or not yet), and when
    ///     the attempt began.
    ///   - sleep: waits the given seconds; returns false to stop retrying (shutdown or cancellation).
    static func connect(
        _ configuration: PostgresConfiguration,
        logger: Logger,
        unreachable: (PostgresError, ContinuousClock.Instant) -> Void = { _, _ in },
        sleep: (Double) -> Bool
    ) throws(PostgresError) -> OpaquePointer {
        let policy = configuration.reconnect
        let started = ContinuousClock.now
        var delays = policy.delays().makeIterator()
        var attempt = 0
        while true {
            attempt += 1
            let attempted = ContinuousClock.now
            switch connectOnce(configuration) {
            case .success(let connection):
                if attempt > 1 {
                    logger.info(
                        "connected to Postgres",
                        metadata: [
                            "postgres.attempts": "\(attempt)", "postgres.backend_pid": "\(PQbackendPID(connection))",
                        ]
                    )
                }
                return connection
            case .failure(let failure):
                if failure.transient { unreachable(failure.error, attempted) }
                let elapsed = (ContinuousClock.now - started).seconds
                guard failure.transient, let delay = delays.next(), delay > 0,
                    elapsed + delay <= policy.giveUpAfter.seconds
                else { throw failure.error }
                logger.debug(
                    "Postgres unreachable, retrying",
                    metadata: [
                        "postgres.attempt": "\(attempt)",
                        "postgres.retry_in_ms": "\(Int(delay * 1000))",
                        "postgres.error": "\(failure.error)",
                    ]
                )
                guard sleep(delay) else { throw failure.error }
            }
        }
    }

    /// Keyword/value arrays for `PQconnectdbParams`. Our defaults come before `dbname`, so that anything in the
    /// user's conninfo (expanded from `dbname`) overrides them; PG* variables still apply to whatever neither sets.
    /// `connectTimeoutSeconds`: instead of the configuration's (``PostgresConfiguration/effectiveConnectTimeoutSeconds``).
    static func parameters(
        _ configuration: PostgresConfiguration,
        connectTimeoutSeconds: Int? = nil
    ) -> ([String], [String]) {
        var keywords = ["fallback_application_name"]
        var values = [configuration.applicationName]
        if let timeout = connectTimeoutSeconds ?? configuration.effectiveConnectTimeoutSeconds,
            ProcessInfo.processInfo.environment["PGCONNECT_TIMEOUT"] == nil
        {
            keywords.append("connect_timeout")
            values.append(String(timeout))
        }
        if !configuration.conninfo.isEmpty {
            keywords.append("dbname")
            values.append(configuration.conninfo)
        }
        return (keywords, values)
    }

    static func scrubbed(_ message: String, _ configuration: PostgresConfiguration) -> String {
        PostgresConnInfo.scrub(message, conninfo: configuration.conninfo).oneLine
    }

    /// Calls `body` with NULL-terminated C arrays of C strings.
    static func withCStringArrays<R>(
        _ a: [String],
        _ b: [String],
        _ body: (UnsafePointer<UnsafePointer<CChar>?>, UnsafePointer<UnsafePointer<CChar>?>) -> R
    ) -> R {
        let ca = a.map { strdup($0) }
        let cb = b.map { strdup($0) }
        defer {
            for pointer in ca { free(pointer) }
            for pointer in cb { free(pointer) }
        }
        let pa: [UnsafePointer<CChar>?] = ca.map { UnsafePointer($0) } + [nil]
        let pb: [UnsafePointer<CChar>?] = cb.map { UnsafePointer($0) } + [nil]
        return pa.withUnsafeBufferPointer { ka in
            pb.withUnsafeBufferPointer { vb in body(ka.baseAddress!, vb.baseAddress!) }
        }
    }
}

/// Where libpq's notices go: the log at debug level (`DROP ... CASCADE` chatter), warnings at warning level.
private let noticeLogger = Logger(label: "sluice.postgres.notice")

private func postgresNoticeProcessor(_ argument: UnsafeMutableRawPointer?, _ message: UnsafePointer<CChar>?) {
    guard let message else { return }
    let text = String(cString: message).oneLine
    if text.hasPrefix("WARNING") {
        noticeLogger.warning("Postgres warning", metadata: ["postgres.notice": "\(text)"])
    } else {
        noticeLogger.debug("Postgres notice", metadata: ["postgres.notice": "\(text)"])
    }
}
