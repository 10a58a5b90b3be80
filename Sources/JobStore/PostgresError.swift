/// What went wrong talking to Postgres, with the context an operator needs to act on it.
///
/// Messages come from libpq or the server and are scrubbed of passwords before they are stored here, so an
/// error can be printed or logged as is. SQL is summarised (statement text only: values travel as parameters and
/// never appear in it).
public enum PostgresError: Error, Sendable, Equatable {
    /// No connection could be made (libpq's message: host, port, authentication...).
    case connectionFailed(message: String)
    /// The server answered and refused the connection: a wrong password, an unknown user or database, no
    /// `pg_hba.conf` entry, or no free connection slot. Unlike ``connectionFailed(message:)``, trying again at once
    /// cannot help (and each try is one more failed login in the server's log): an operator fixes it.
    case connectionRefused(message: String)
    /// The connection broke while a statement was in flight, so its outcome is unknown to us.
    case connectionLost(message: String, query: String)
    /// The server rejected a statement; `sqlState` is the five-character SQLSTATE code (`23505` unique violation...).
    case queryFailed(sqlState: String, message: String, detail: String?, constraint: String?, query: String)
    /// A column could not be read as the Swift type asked for.
    case decodingFailed(column: String, type: String, reason: String)
    /// The caller passed something that cannot be sent (an invalid identifier, a malformed value).
    case invalidArgument(String)
    /// The connection was closed by its owner.
    case closed

    /// The SQLSTATE of a server error, `nil` for errors that did not come from the server.
    public var sqlState: String? {
        if case .queryFailed(let state, _, _, _, _) = self { return state }
        return nil
    }

    /// True when the failure says nothing about the statement itself: connecting again may help.
    public var isConnectionProblem: Bool {
        switch self {
        case .connectionFailed, .connectionLost, .closed: return true
        case .queryFailed(let state, _, _, _, _):
            // 57P01..57P03: admin shutdown, crash shutdown, cannot connect now; 08xxx: connection exceptions.
            return state.hasPrefix("08") || state == "57P01" || state == "57P02" || state == "57P03"
        default: return false
        }
    }

    /// True when the server refuses the statement for a condition of its own, not of the statement: it is
    /// read-only (25006: `default_transaction_read_only`, a standby after a failover) or out of disk space, memory
    /// or connections (class 53: `53100 disk_full`). An operator or a failover clears it; the same statement then
    /// succeeds, so a job waits instead of failing.
    public var isServerCondition: Bool {
        guard let state = sqlState else { return false }
        return state == "25006" || state.hasPrefix("53")
    }

    /// True when the statement lost a race or was stopped from outside, not for what it is: a serialization failure
    /// (40001), a deadlock (40P01), a lock not available (55P03), or cancelled (57014: `pg_cancel_backend`, a
    /// `statement_timeout`). The same statement may succeed when run again.
    public var isConflict: Bool {
        guard let state = sqlState else { return false }
        return ["40001", "40P01", "55P03", "57014"].contains(state)
    }

    /// True when the server refused the connection itself (``connectionRefused(message:)``).
    public var isRefusedConnection: Bool {
        if case .connectionRefused = self { return true }
        return false
    }

    /// Waiting and trying again may help: the connection broke, the server refuses writes for now, the statement
    /// met a conflict, or the server refused the connection (which waits for an operator's fix, not for a job's).
    public var isTransient: Bool { isConnectionProblem || isServerCondition || isConflict || isRefusedConnection }
}

extension PostgresError: CustomStringConvertible {
    /// One line, safe to print: no password, no parameter values.
    public var description: String {
        switch self {
        case .connectionFailed(let message):
            return "cannot connect to Postgres: \(message.oneLine)"
        case .connectionRefused(let message):
            return "Postgres refused the connection: \(message.oneLine)"
        case .connectionLost(let message, let query):
            return "lost the Postgres connection during \(query) (outcome unknown): \(message.oneLine)"
        case .queryFailed(let state, let message, let detail, _, let query):
            var text = "Postgres error \(state) in \(query): \(message.oneLine)"
            if let detail, !detail.isEmpty { text += " (\(detail.oneLine))" }
            return text
        case .decodingFailed(let column, let type, let reason):
            return "cannot read column \(column) as \(type): \(reason)"
        case .invalidArgument(let reason):
            return "invalid argument: \(reason)"
        case .closed:
            return "the Postgres connection is closed"
        }
    }
}

extension String {
    /// libpq messages end in newlines and sometimes span lines; errors are printed on one line.
    var oneLine: String {
        split(whereSeparator: \.isNewline).map { $0.trimmingSpaces }.filter { !$0.isEmpty }.joined(separator: "; ")
    }
}

extension Substring {
    var trimmingSpaces: String {
        var s = self[...]
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}

/// A short, value-free label for a statement, for errors and logs: its first words, whitespace collapsed.
func summarize(sql: String, limit: Int = 72) -> String {
    let words = sql.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" })
    var out = ""
    for w in words {
        if out.count + w.count + 1 > limit {
            out += "…"
            break
        }
        out += out.isEmpty ? String(w) : " " + w
    }
    return "\"\(out)\""
}
