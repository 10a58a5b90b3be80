extension BoltCapabilities {
    /// Whether connections to this server may say GOODBYE before closing.
    ///
    /// FalkorDB hangs the next new connection after a client sends GOODBYE (BOLT-SERVERS.md). That bug
    /// cannot be probed without setting it off, so FalkorDB's probed signature stands in for it:
    /// parameters pasted into the query text, which no other known server does. A plain close is always
    /// safe; GOODBYE only lets the server free the connection sooner.
    public var handlesGoodbye: Bool { acceptsLargeParameters }
}
