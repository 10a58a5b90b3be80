/// A Bolt protocol version, as negotiated in the handshake.
public struct BoltVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var major: UInt8
    public var minor: UInt8

    public init(major: UInt8, minor: UInt8) {
        self.major = major
        self.minor = minor
    }

    public var description: String { "\(major).\(minor)" }

    public static func < (lhs: BoltVersion, rhs: BoltVersion) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }

    /// LOGON/LOGOFF carry authentication from 5.1 on; 5.0 puts it in HELLO.
    var hasLogon: Bool { self >= BoltVersion(major: 5, minor: 1) }

    /// HELLO must carry `bolt_agent` from 5.3 on.
    var requiresBoltAgent: Bool { self >= BoltVersion(major: 5, minor: 3) }

    /// The versions this client speaks, newest first.
    static let supported = BoltVersion(major: 5, minor: 0)...BoltVersion(major: 5, minor: 7)
}
