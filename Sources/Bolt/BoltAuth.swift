/// Credentials for HELLO (Bolt 5.0) or LOGON (5.1+).
///
/// Its description never shows the password, so an auth value can be logged or printed safely.
public enum BoltAuth: Sendable, Hashable, CustomStringConvertible {
    case none
    case basic(user: String, password: String)

    /// The auth token map as the protocol carries it.
    var token: [String: BoltValue] {
        switch self {
        case .none:
            ["scheme": .string("none")]
        case .basic(let user, let password):
            ["scheme": .string("basic"), "principal": .string(user), "credentials": .string(password)]
        }
    }

    public var description: String {
        switch self {
        case .none: "none"
        case .basic(let user, _): "basic(user: \(user), password: ***)"
        }
    }
}
