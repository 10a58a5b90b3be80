/// The graph a job changes: a Bolt URL and a database name, never credentials.
///
/// The URL is stored as a key for "one job per graph", and shown in status output and the journal, so user info
/// (`neo4j://user:secret@host`) and secret-looking query parameters are stripped on the way in, and the scheme and
/// host are lower-cased so that trivially different spellings of one server compare equal.
public struct JobTarget: Sendable, Hashable, Codable, CustomStringConvertible {
    /// `bolt://host:7687`, `neo4j+s://cluster.example`... without user info.
    public let url: String
    /// The database name (`neo4j`, `""` for the server's default).
    public let database: String

    public init(url: String, database: String = "") {
        self.url = Self.sanitized(url)
        self.database = database
    }

    /// The URL without user info or secret query parameters, scheme and host lower-cased.
    public static func sanitized(_ url: String) -> String {
        var text = url.trimmingSpacesAndNewlines
        guard let schemeEnd = text.range(of: "://") else { return text }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        var rest = text[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        rest = rest[authorityEnd...]
        var tail = String(rest)
        if let q = tail.firstIndex(of: "?") {
            let path = tail[..<q]
            let query = tail[tail.index(after: q)...]
            let kept = query.split(separator: "&").filter { param in
                let key = param.split(separator: "=", maxSplits: 1).first.map { $0.lowercased() } ?? ""
                return !["password", "pass", "pwd", "secret", "token", "credentials", "auth"].contains(key)
            }
            tail = String(path) + (kept.isEmpty ? "" : "?" + kept.joined(separator: "&"))
        }
        text = scheme + "://" + authority.lowercased() + tail
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    public var description: String { database.isEmpty ? url : "\(url) (database \(database))" }
}

extension String {
    fileprivate var trimmingSpacesAndNewlines: String {
        var s = self[...]
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
