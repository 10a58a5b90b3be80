/// Where a Bolt server is and how to reach it, parsed from `bolt://host:port`, `bolt+s://` (TLS, the
/// certificate verified) or `bolt+ssc://` (TLS, any certificate accepted).
///
/// Schemes that need what this client does not do yet are refused with the reason, never downgraded:
/// `neo4j://` treated as `bolt://` would send writes to whichever cluster member the address names,
/// possibly a follower.
public struct BoltURL: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var tls: TLS

    public static let defaultPort = 7687

    /// Whether the connection is encrypted, and whom it trusts: the scheme says it, so a URL copied
    /// from a Neo4j setting means the same here.
    public enum TLS: Sendable, Hashable {
        /// `bolt://`: plain TCP.
        case none
        /// `bolt+s://`: TLS; the server's certificate must lead to a trusted CA (the system's trust
        /// store, or the CA file of ``BoltTLSConfiguration``) and name the host.
        case verified
        /// `bolt+ssc://`: TLS with any certificate, self-signed or not, for any name. It encrypts but
        /// does not authenticate: whoever can intercept the traffic can impersonate the server and read
        /// the password. An explicit opt-in for test servers and private networks.
        case selfSignedAccepted

        var scheme: String {
            switch self {
            case .none: "bolt"
            case .verified: "bolt+s"
            case .selfSignedAccepted: "bolt+ssc"
            }
        }
    }

    public init(host: String, port: Int = BoltURL.defaultPort, tls: TLS = .none) {
        self.host = host
        self.port = port
        self.tls = tls
    }

    public init(parsing url: String) throws(BoltError) {
        // Errors quote the URL without its user information: a password typed into it must not reach
        // the terminal, the journal or a log.
        let text = Self.withoutUserInfo(url)
        let parts = url.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw .invalidURL(text, reason: "expected bolt://HOST[:PORT]")
        }
        let scheme = parts[0].lowercased()
        var rest = parts[1]
        let tls: TLS
        switch scheme {
        case "bolt":
            tls = .none
        case "bolt+s":
            tls = .verified
        case "bolt+ssc":
            tls = .selfSignedAccepted
        case "neo4j", "neo4j+s", "neo4j+ssc":
            throw .invalidURL(
                text,
                reason:
                    "routing (\(scheme)://) is not supported yet; connect to the cluster leader with bolt:// instead"
            )
        default:
            throw .invalidURL(text, reason: "unknown scheme '\(scheme)'; expected bolt://, bolt+s:// or bolt+ssc://")
        }
        if let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) {
            let tail = rest[end...]
            guard tail == "/" || tail.isEmpty else {
                throw .invalidURL(
                    text,
                    reason: "paths and query parameters are not supported; give the database separately"
                )
            }
            rest = rest[..<end]
        }
        if rest.contains("@") {
            throw .invalidURL(
                text,
                reason: "credentials do not belong in the URL; use the user option and a password file"
            )
        }
        let host: Substring
        var port = BoltURL.defaultPort
        if rest.hasPrefix("[") {  // [IPv6]:port
            guard let close = rest.firstIndex(of: "]") else { throw .invalidURL(text, reason: "unclosed '['") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let number = Int(after.dropFirst()) else {
                    throw .invalidURL(text, reason: "invalid port")
                }
                port = number
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            guard let number = Int(rest[rest.index(after: colon)...]) else {
                throw .invalidURL(text, reason: "invalid port '\(rest[rest.index(after: colon)...])'")
            }
            port = number
        } else {
            host = rest
        }
        guard !host.isEmpty else { throw .invalidURL(text, reason: "missing host") }
        guard (1...65535).contains(port) else { throw .invalidURL(text, reason: "port \(port) out of range") }
        self.host = String(host)
        self.port = port
        self.tls = tls
    }

    /// `url` with everything between its scheme and its last `@` replaced by `***`: the last, since a
    /// password may hold `/`, `?`, `#` or `@`, and a URL with a path is refused anyway.
    static func withoutUserInfo(_ url: String) -> String {
        let afterScheme = url.range(of: "://")?.upperBound ?? url.startIndex
        guard let at = url[afterScheme...].lastIndex(of: "@") else { return url }
        return url[..<afterScheme] + "***" + url[at...]
    }

    public var description: String {
        host.contains(":") ? "\(tls.scheme)://[\(host)]:\(port)" : "\(tls.scheme)://\(host):\(port)"
    }
}
