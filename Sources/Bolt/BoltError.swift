import NIOCore

/// Why a Bolt operation failed, with what a user needs to act on it.
public enum BoltError: Error, Sendable, Equatable {
    /// The URL could not be used (unknown scheme, missing host, a scheme not supported yet).
    case invalidURL(String, reason: String)
    /// No TCP connection could be made.
    case connectionFailed(host: String, port: Int, reason: String)
    /// The TLS of `bolt+s://` or `bolt+ssc://` could not be set up: retrying does not help until the
    /// certificate, the CA file or the URL changes.
    case tls(host: String, port: Int, BoltTLSFailure)
    /// The server speaks none of the Bolt versions this client offered.
    case handshakeRejected(proposed: String)
    /// HELLO or LOGON was refused (wrong credentials, unknown auth scheme).
    case authenticationFailed(BoltServerError)
    /// The server answered a request with FAILURE.
    case server(BoltServerError)
    /// The server ran out of memory for the transaction: retry with a smaller batch, not unchanged.
    case batchTooLarge(BoltServerError)
    /// The connection was lost after a commit was requested (COMMIT, or an auto-commit query) and
    /// before the server answered: the work may or may not be committed. Never retry blindly; read
    /// the state back (sluice reads its graph-side job node).
    case unknownOutcome(reason: String)
    /// The request was not run because an earlier request in the same pipeline failed.
    case ignored
    /// The server sent bytes that do not decode as a Bolt message.
    case malformedMessage(PackStreamError)
    /// The server sent something the protocol does not allow at this point.
    case protocolViolation(String)
    /// A server message exceeded the client's size limit.
    case messageTooLarge(limit: Int)
    /// The connection closed while a request was outstanding (or was used after closing).
    case connectionClosed
    /// The connection broke (reset, timeout, IO error).
    case connectionLost(reason: String)
    /// The client used the connection in a way the protocol does not allow, e.g. two results at once.
    case misuse(String)
    /// A database was named on a server that cannot select one over Bolt: FalkorDB takes the first key of the
    /// `extra` map as its graph's name, so `db` would send each statement to a graph called "db" (or, beside other
    /// keys, to whichever comes first), never the one named.
    case databaseNotSelectable(String)
}

extension BoltError {
    /// Any error from the IO layer as a BoltError: NIO's errors mean the connection broke.
    init(_ error: any Error) {
        switch error {
        case let error as BoltError: self = error
        case let error as PackStreamError: self = .malformedMessage(error)
        default: self = .connectionLost(reason: BoltConnection.describe(error))
        }
    }

    /// Awaits a future completed by the channel handler.
    static func await<Value: Sendable>(_ future: EventLoopFuture<Value>) async throws(BoltError) -> Value {
        do {
            return try await future.get()
        } catch {
            throw BoltError(error)
        }
    }

    /// The connection this error came from is closed for good: work may be tried again only on a new one.
    public var isConnectionGone: Bool {
        switch self {
        case .connectionFailed, .connectionClosed, .connectionLost, .unknownOutcome: true
        default: false
        }
    }

    /// Whether the same work may be tried again unchanged, as the official drivers decide: transient
    /// server errors except a terminated transaction or a stopped lock client (an operator or a
    /// timeout ended it on purpose), and a connection lost before anything could have committed.
    public var isRetryable: Bool {
        switch self {
        case .server(let error):
            error.isRetryable
        case .connectionFailed, .connectionClosed, .connectionLost:
            true
        case .invalidURL, .tls, .handshakeRejected, .authenticationFailed, .batchTooLarge, .unknownOutcome, .ignored,
            .malformedMessage, .protocolViolation, .messageTooLarge, .misuse, .databaseNotSelectable:
            false
        }
    }
}

extension BoltError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .invalidURL(let url, let reason):
            "invalid Bolt URL '\(url)': \(reason)"
        case .connectionFailed(let host, let port, let reason):
            "cannot connect to \(host):\(port): \(reason)"
        case .tls(let host, let port, let failure):
            "TLS: \(failure.message(peer: host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"))"
        case .handshakeRejected(let proposed):
            "the server speaks none of the Bolt versions offered (\(proposed))"
        case .authenticationFailed(let error):
            "authentication failed: \(error.message) (\(error.code))"
        case .server(let error):
            error.description
        case .batchTooLarge(let error):
            "batch too large for the server's memory limit: \(error)"
        case .unknownOutcome(let reason):
            "the connection was lost before the server answered (\(reason)): whether the request took effect is unknown"
        case .ignored:
            "request ignored by the server after an earlier failure"
        case .malformedMessage(let error):
            "malformed message from the server: \(error)"
        case .protocolViolation(let reason):
            "Bolt protocol violation: \(reason)"
        case .messageTooLarge(let limit):
            "a server message exceeded the \(limit)-byte limit"
        case .connectionClosed:
            "the connection to the server was closed"
        case .connectionLost(let reason):
            "the connection to the server was lost: \(reason)"
        case .misuse(let reason):
            "invalid use of a Bolt connection: \(reason)"
        case .databaseNotSelectable(let database):
            "this server cannot select database '\(database)' over Bolt (it reads the first key of a query's "
                + "metadata as a graph's name, as FalkorDB does): leave the database unset to use its default graph"
        }
    }
}

/// A FAILURE from the server, with its Neo4j status code.
public struct BoltServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The Neo4j status code, e.g. `Neo.ClientError.Statement.SyntaxError`. FalkorDB sends `SyntaxError`
    /// for every failure.
    public var code: String
    public var message: String
    /// The GQL status (Bolt 5.7+), when the server sends one.
    public var gqlStatus: String?

    public init(code: String, message: String, gqlStatus: String? = nil) {
        self.code = code
        self.message = message
        self.gqlStatus = gqlStatus
    }

    /// Reads FAILURE metadata in both shapes: `code` (up to 5.6) and `neo4j_code` (5.7's GQL errors).
    init(metadata: [String: BoltValue]) {
        func string(_ key: String) -> String? {
            if case .string(let value) = metadata[key] { return value }
            return nil
        }
        self.code = string("neo4j_code") ?? string("code") ?? "Neo.DatabaseError.General.UnknownError"
        self.message = string("message") ?? string("description") ?? "no message"
        self.gqlStatus = string("gql_status")
    }

    /// The error's class from its code: what a caller may do about it.
    public var classification: Classification {
        let parts = code.split(separator: ".")
        guard parts.count >= 2, parts[0] == "Neo" else { return .unknown }
        switch parts[1] {
        case "ClientError": return .client
        case "TransientError": return .transient
        case "DatabaseError": return .database
        default: return .unknown
        }
    }

    public enum Classification: Sendable, Hashable {
        /// The request was wrong; retrying it unchanged fails again.
        case client
        /// A temporary condition (deadlock, leader switch); the work may be retried.
        case transient
        /// The database failed; an operator has to look.
        case database
        /// A code outside Neo4j's scheme (FalkorDB's `SyntaxError` is one).
        case unknown
    }

    public var description: String { "\(code): \(message)" }

    /// See ``BoltError/isRetryable``.
    public var isRetryable: Bool {
        switch code {
        case "Neo.TransientError.Transaction.Terminated", "Neo.TransientError.Transaction.LockClientStopped":
            false
        case "Neo.ClientError.Cluster.NotALeader", "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase":
            true
        default:
            classification == .transient
        }
    }

    /// The transaction hit the server's memory limit (Neo4j's memory pool or per-transaction cap).
    var isMemoryLimit: Bool {
        code.hasSuffix("MemoryPoolOutOfMemoryError") || code.hasSuffix("TransactionOutOfMemoryError")
            || code.hasSuffix("TransactionMemoryLimit")
    }
}
