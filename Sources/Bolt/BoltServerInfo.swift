/// What a server said about itself when the connection was set up.
///
/// The agent string is informational only: both local servers fake it, so capabilities are probed,
/// never derived from it.
public struct BoltServerInfo: Sendable, Hashable {
    public var version: BoltVersion
    public var agent: String
    public var connectionID: String?

    public init(version: BoltVersion, agent: String, connectionID: String?) {
        self.version = version
        self.agent = agent
        self.connectionID = connectionID
    }
}
