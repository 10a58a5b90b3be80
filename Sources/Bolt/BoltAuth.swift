/// Credentials for HELLO (Bolt 5.0) or LOGON (5.1+).
///
/// Its description never shows the password, so an auth value can be logged or printed safely.
public enum BoltAuth: Sendable, Hashable, CustomStringConvertible {
    case none
    case basic(user: String, password: String)

    /// The auth token's entries in the specification's order.
    ///
    /// An empty password is left out, as the official drivers do: FalkorDB refuses `credentials: ""`
    /// but accepts a basic token without the key.
    var token: [(key: String, value: BoltValue)] {
        switch self {
        case .none:
            return [("scheme", .string("none"))]
        case .basic(let user, let password):
            var token: [(key: String, value: BoltValue)] = [("scheme", .string("basic")), ("principal", .string(user))]
            if !password.isEmpty {
                token.append(("credentials", .string(password)))
            }
            return token
        }
    }

    public var description: String {
        switch self {
        case .none: "none"
        case .basic(let user, _): "basic(user: \(user), password: ***)"
        }
    }
}
