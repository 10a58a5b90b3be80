/// Why a TLS connection could not be set up, in terms an operator can act on.
public enum BoltTLSFailure: Sendable, Hashable {
    /// The server's certificate chain does not lead to a CA trusted here (`trusting` says which ones),
    /// or a certificate in it has expired or is not fit for a server.
    case certificateVerifyFailed(trusting: String)
    /// The certificate is trusted but names neither this host name nor this address.
    case hostnameMismatch(expected: String)
    /// The CA file could not be read, or holds no certificate.
    case unreadableCAFile(path: String, reason: String)
    /// A CA file was given for a URL that would ignore it: `bolt://` does not encrypt and `bolt+ssc://`
    /// verifies nothing. Refused, so an operator does not believe the connection is verified.
    case caFileIgnored(path: String, scheme: String)
    /// The TLS handshake failed otherwise (no common protocol version or cipher, a server that does not
    /// speak TLS on this port).
    case handshakeFailed(String)

    /// One line naming the server (`host:port`), starting with what failed.
    func message(peer: String) -> String {
        switch self {
        case .certificateVerifyFailed(let trusting):
            "certificate verify failed for \(peer): its certificate is not signed by a CA trusted here "
                + "(\(trusting)), or has expired"
        case .hostnameMismatch(let expected):
            "hostname mismatch for \(peer): the server's certificate is not valid for '\(expected)'"
        case .unreadableCAFile(let path, let reason):
            "cannot use the CA file \(path) for \(peer): \(reason)"
        case .caFileIgnored(let path, let scheme):
            "a CA file (\(path)) was given for \(scheme)://\(peer), which "
                + (scheme == "bolt" ? "does not use TLS" : "verifies no certificate")
                + "; use bolt+s:// to verify the server against it"
        case .handshakeFailed(let reason):
            "handshake with \(peer) failed: \(reason)"
        }
    }
}
