import Glibc

/// Why a notification did not reach systemd.
public enum SystemdNotifierError: Error, Sendable, Equatable {
    /// `sd_notify` failed: the socket in `NOTIFY_SOCKET` is missing, refuses datagrams, or is full.
    /// `message` is what was to be sent (status text carries no secrets by contract).
    case sendFailed(message: String, errno: Int32)
}

extension SystemdNotifierError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .sendFailed(let message, let errno):
            "cannot notify systemd (\(message.split(separator: "\n").joined(separator: ", "))): "
                + String(cString: strerror(errno))
        }
    }
}
