import CLibPQ
import Foundation

/// One statement's round trip on a libpq connection, with a bound on the server's silence: the one place sluice runs
/// SQL (``PostgresConnection``'s statements, a new session's settings, ``PostgresListener``'s `LISTEN`s and probes).
///
/// `PQexec` and `PQexecParams` wait for the answer in `poll` without a timeout, so a server that stops answering
/// without closing the connection (a hung host, a partition that drops packets, a SIGSTOPped postmaster) held the
/// calling thread until TCP gave up on it: about 15 minutes of retransmissions, never on a Unix socket. This does what
/// `PQexec` does with libpq's asynchronous calls instead: send (`PQsendQueryParams`, `PQsendQuery`) and `PQflush`,
/// `poll` the socket for the time left, `PQconsumeInput`, and `PQgetResult` until libpq has no more, keeping the last
/// result. The connection must be in non-blocking mode, as ``PostgresConnector`` leaves every one: in blocking mode
/// sending a large parameter, or `PQfinish`'s goodbye, can block on a socket buffer a silent server never empties.
enum PostgresExchange {
    /// Runs the statement `send` sends (returning 1 as libpq's send calls do) and returns its last result, an error
    /// result included, for the caller to read as it would `PQexec`'s; the caller owns it.
    ///
    /// - Parameters:
    ///   - sql: the statement, for errors.
    ///   - answerTimeout: how long the connection may go without a sign of life (a byte from the server, or room
    ///     for more of the statement); `nil`: as long as it takes.
    /// - Throws: ``PostgresError/connectionLost(message:query:)`` when the connection broke, or the server sent
    ///   nothing for `answerTimeout` ("no answer from Postgres for 30s"). Either way the statement's outcome is
    ///   unknown and the session is mid-statement: the caller must close it (`PQfinish`) and not use it again.
    static func run(
        on connection: OpaquePointer,
        sql: String,
        answerTimeout: Duration?,
        configuration: PostgresConfiguration,
        send: (OpaquePointer) -> Int32
    ) throws(PostgresError) -> OpaquePointer {
        func lost() -> PostgresError {
            .connectionLost(
                message: PostgresConnector.scrubbed(String(cString: PQerrorMessage(connection)), configuration),
                query: summarize(sql: sql)
            )
        }
        var silence = Silence(answerTimeout: answerTimeout, sql: sql)
        guard send(connection) == 1 else { throw lost() }
        // What does not fit the socket's buffer (a plan chunk of 800 KB) goes as the server reads.
        while true {
            let flushed = PQflush(connection)
            if flushed == 0 { break }
            if flushed < 0 { throw lost() }
            let ready = try silence.wait(connection, for: Int16(POLLIN | POLLOUT))
            // Input (or a hang-up) while sending: libpq must read it, or a server that answers early blocks.
            if ready != Int16(POLLOUT), PQconsumeInput(connection) == 0 { throw lost() }
        }
        var last: OpaquePointer?
        do throws(PostgresError) {
            while true {
                while PQisBusy(connection) != 0 {
                    _ = try silence.wait(connection, for: Int16(POLLIN))
                    // A read that failed before the answer was complete: the connection broke.
                    if PQconsumeInput(connection) == 0, PQisBusy(connection) != 0 { throw lost() }
                }
                guard let result = PQgetResult(connection) else { break }
                if let last { PQclear(last) }
                last = result
                // libpq reports a broken connection in a result; there is nothing after it.
                if PQstatus(connection) == CONNECTION_BAD { break }
            }
        } catch {
            if let last { PQclear(last) }
            throw error
        }
        guard let last else { throw lost() }
        return last
    }

    /// How long the connection has been silent: a deadline moved on by every sign of life.
    private struct Silence {
        let answerTimeout: Duration?
        let sql: String
        private var deadline: ContinuousClock.Instant?

        /// How often a wait on a TLS connection looks for input without the socket's word: OpenSSL may hold the rest
        /// of a record that libpq read only in part (records reach 16 kB, PostgreSQL 17 and later writing a large
        /// message in one go, where libpq reads into as little as 8 kB of free buffer), which `poll` cannot see, and
        /// which libpq's own waits look for but its API does not show. Without a look now and then, a statement whose
        /// answer ends in such a remainder would wait out its whole ``answerTimeout`` and count as lost.
        private static let tlsSliceMilliseconds: Int32 = 100

        init(answerTimeout: Duration?, sql: String) {
            self.answerTimeout = answerTimeout
            self.sql = sql
            deadline = answerTimeout.map { .now + $0 }
        }

        /// Waits until the connection's socket is ready for `events` (or hung up) and returns what it is ready for;
        /// on a TLS connection returns 0 after a slice without (the caller reads anyway). Throws once the deadline
        /// passes first.
        mutating func wait(_ connection: OpaquePointer, for events: Int16) throws(PostgresError) -> Int16 {
            let socket = PQsocket(connection)
            // No socket: libpq dropped the connection, and its next call says why.
            guard socket >= 0 else { return events }
            let tls = PQsslInUse(connection) != 0
            while true {
                var milliseconds: Int32 = -1
                if let deadline, let answerTimeout {
                    let left = deadline - .now
                    guard left > .zero else {
                        throw .connectionLost(
                            message: "no answer from Postgres for \(Self.format(answerTimeout))",
                            query: summarize(sql: sql)
                        )
                    }
                    milliseconds = Int32(clamping: Int64((left.seconds * 1000).rounded(.up)))
                }
                if tls {
                    milliseconds =
                        milliseconds < 0 ? Self.tlsSliceMilliseconds : min(milliseconds, Self.tlsSliceMilliseconds)
                }
                var descriptor = pollfd(fd: socket, events: events, revents: 0)
                let ready = poll(&descriptor, 1, milliseconds)
                if ready > 0 {
                    deadline = answerTimeout.map { .now + $0 }
                    return descriptor.revents
                }
                if ready == 0, tls { return 0 }
                if ready < 0, errno != EINTR {
                    throw .connectionLost(
                        message: "poll on the Postgres socket failed: \(String(cString: strerror(errno)))",
                        query: summarize(sql: sql)
                    )
                }
            }
        }

        /// `30s`, `1500ms`.
        private static func format(_ duration: Duration) -> String {
            let milliseconds = Int64((duration.seconds * 1000).rounded())
            return milliseconds % 1000 == 0 ? "\(milliseconds / 1000)s" : "\(milliseconds)ms"
        }
    }
}
